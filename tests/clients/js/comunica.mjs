// Runs the client matrix's Comunica jobs in one Node process (tests/clients/test_comunica.py).
//
// Reads a JSON list of jobs on stdin, each {id, kind, query, sources}, where kind is the
// QueryEngine method's result: "bindings", "boolean", "quads" or "void" (an update), and
// prints one JSON object mapping each id to {rows} | {boolean} | {triples} | {done} |
// {error}. Terms are written as in N-Triples, so the tests compare them with the data.
// One process for every job: Comunica's start-up is most of a single query's time.
import { QueryEngine } from '@comunica/query-sparql';

function term(t) {
  if (t.termType === 'NamedNode') return `<${t.value}>`;
  if (t.termType === 'BlankNode') return `_:${t.value}`;
  if (t.termType === 'Literal') {
    const text = JSON.stringify(t.value);
    if (t.language) return `${text}@${t.language}`;
    if (t.datatype.value === 'http://www.w3.org/2001/XMLSchema#string') return text;
    return `${text}^^<${t.datatype.value}>`;
  }
  return String(t.value);
}

async function run(engine, job) {
  const context = { sources: job.sources, lenient: false };
  if (job.kind === 'bindings') {
    const stream = await engine.queryBindings(job.query, context);
    const rows = (await stream.toArray()).map((b) => {
      const row = {};
      for (const [variable, value] of b) row[variable.value] = term(value);
      return row;
    });
    return { rows };
  }
  if (job.kind === 'boolean') return { boolean: await engine.queryBoolean(job.query, context) };
  if (job.kind === 'quads') {
    const stream = await engine.queryQuads(job.query, context);
    const triples = (await stream.toArray()).map(
      (q) => `${term(q.subject)} ${term(q.predicate)} ${term(q.object)} .`,
    );
    return { triples };
  }
  await engine.queryVoid(job.query, { ...context, destination: job.sources[0] });
  return { done: true };
}

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const jobs = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const results = {};
const engine = new QueryEngine();
for (const job of jobs) {
  await engine.invalidateHttpCache(); // no job reads another's answers
  try {
    results[job.id] = await run(engine, job);
  } catch (error) {
    results[job.id] = { error: String(error && error.message ? error.message : error) };
  }
}
process.stdout.write(JSON.stringify(results));
