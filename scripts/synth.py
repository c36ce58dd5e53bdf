"""Write a synthetic pilotkg source folder of a chosen size, optionally with planted violations.

    python scripts/synth.py --triples 100000 --seed 1 --out /tmp/synth-100k [--violations 13]

The folder holds copies of this checkout's ``ontology/``, ``shapes/`` and ``queries/`` and a
``data/`` folder with a deterministic graph in pilotkg's own model, so that
``pilotkg build --source DIR`` and ``pilotkg serve --source DIR`` run on it unchanged. Without
``--violations`` the graph passes every check (shapes, QC queries, links, OWL); with
``--violations K`` it carries K faults of varied kinds, and ``DIR/expected-violations.json`` lists
every finding each fault must produce (check, focus node, path, constraint component). The
benchmark (``scripts/bench.py``) and ``tests/test_synth.py`` rely on both.

Why synthetic rather than the real data copied many times: copies would repeat labels (a QC
violation) and IRIs (no growth), and a benchmark needs graphs of 10k to 1M triples whose shape is
like the real one: a region tree ending at ``id/region/china``, a sector scheme of fields and
directions, designations that point at regions, sectors, organisations and policies, every entity
citing a source and each of its statements citing it too (in the annotation blocks curators
write), labels in ``@en`` and ``@zh``, dates at mixed precision. A few entities keep the
slugs of the canned queries' examples (``id/region/guangdong``, ``id/zone/shenzhen`` …) so that
every example binding finds rows.

The same ``--seed`` and ``--triples`` give byte-identical files: one ``random.Random`` drives every
choice, entities are emitted in a fixed order, and pyoxigraph serialises (fast; the only blank
nodes are the citation blocks' reifiers, named after the statement they cite). Data files are written in chunks of about ``FILE_TRIPLES`` triples, named by kind.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from pilotkg.namespaces import (  # noqa: E402  (the checkout's package, also when not installed)
    ID,
    KIND_CLASSES,
    ORG,
    OWL,
    PILOT,
    PREFIXES,
    PROV,
    RDF,
    RDFS,
    SCHEMA,
    SH,
    SKOS,
    WIKIDATA_ENTITY,
    XSD,
)

#: About how many triples a data file holds (files stay small enough to open in an editor).
FILE_TRIPLES = 50_000
#: Parts copied verbatim from this checkout.
COPIED_PARTS = ("ontology", "shapes", "queries")

Term = ox.NamedNode | ox.Literal


def node(kind: str, slug: str) -> ox.NamedNode:
    """``https://w3id.org/pilotkg/id/{kind}/{slug}``."""
    return ox.NamedNode(f"{ID}{kind}/{slug}")


def term(namespace: str, local: str) -> ox.NamedNode:
    return ox.NamedNode(namespace + local)


def en(text: str) -> ox.Literal:
    return ox.Literal(text, language="en")


def zh(text: str) -> ox.Literal:
    return ox.Literal(text, language="zh")


def typed(text: str, datatype: str) -> ox.Literal:
    return ox.Literal(text, datatype=ox.NamedNode(XSD + datatype))


A = term(RDF, "type")
LABEL = term(RDFS, "label")
COMMENT = term(RDFS, "comment")
DERIVED = term(PROV, "wasDerivedFrom")
SAME_AS = term(OWL, "sameAs")
PREF_LABEL = term(SKOS, "prefLabel")


def p(local: str) -> ox.NamedNode:
    """A property of the pilot ontology."""
    return term(PILOT, local)


REIFIES = term(RDF, "reifies")
#: The kinds whose statements cite their source (queries/qc/statement-without-source-violation.rq).
CITED_KINDS = frozenset({"zone", "base", "programme", "policy", "org", "region", "event", "target"})
#: What needs no citation: type, labels, descriptions, provenance and the Wikidata links.
UNCITED_PREDICATES = frozenset(
    {
        A,
        LABEL,
        PREF_LABEL,
        COMMENT,
        DERIVED,
        SAME_AS,
        term(SKOS, "altLabel"),
        term(SKOS, "definition"),
        term(SKOS, "exactMatch"),
        term(SKOS, "closeMatch"),
    }
)


@dataclass
class Entity:
    """One described thing: its IRI, its kind (``zone``, ``region`` …) and its statements."""

    iri: ox.NamedNode
    kind: str
    statements: list[tuple[ox.NamedNode, Term]] = field(default_factory=list)

    def add(self, predicate: ox.NamedNode, *objects: Term) -> Entity:
        self.statements.extend((predicate, obj) for obj in objects)
        return self

    def values(self, predicate: ox.NamedNode) -> list[Term]:
        return [obj for pred, obj in self.statements if pred == predicate]

    def drop(self, predicate: ox.NamedNode, keep: Callable[[Term], bool] = lambda _: False) -> None:
        """Remove this predicate's values, except those ``keep`` accepts."""
        self.statements = [(pr, o) for pr, o in self.statements if pr != predicate or keep(o)]

    def triples(self) -> Iterator[ox.Triple]:
        for predicate, obj in self.statements:
            yield ox.Triple(self.iri, predicate, obj)

    def citations(self) -> Iterator[ox.Triple]:
        """Each in-scope statement's citation block (``{| prov:wasDerivedFrom source |}``) as
        the parser gives it: a reifier of the statement, citing the entity's first source.
        An entity that cites no source (a planted fault) cites none for its statements."""
        sources = self.values(DERIVED)
        if self.kind not in CITED_KINDS or not sources:
            return
        for predicate, obj in self.statements:
            if predicate in UNCITED_PREDICATES:
                continue
            statement = ox.Triple(self.iri, predicate, obj)
            reifier = ox.BlankNode("c" + hashlib.sha256(str(statement).encode()).hexdigest()[:24])
            yield ox.Triple(reifier, REIFIES, statement)
            yield ox.Triple(reifier, DERIVED, sources[0])


# ---------------------------------------------------------------------------------------------
# Sizes
# ---------------------------------------------------------------------------------------------

#: Entities per 1,000 data triples, by kind; tuned so that the data holds about --triples triples.
RATES = {
    "source": 25.3,
    "org": 13.8,
    "policy": 16.1,
    "zone": 10.3,
    "base": 10.3,
    "event": 11.5,
    "city": 5.2,
    "district": 10.3,
}


@dataclass(frozen=True)
class Counts:
    """How many entities of each kind a graph of ``triples`` triples gets."""

    triples: int
    per_kind: dict[str, int]
    fields: int
    directions_per_field: int = 4

    @classmethod
    def for_size(cls, triples: int) -> Counts:
        thousands = triples / 1000
        per_kind = {kind: max(8, round(rate * thousands)) for kind, rate in RATES.items()}
        # The sector scheme grows slower than the graph, as a real classification would.
        fields = max(len(NAMED_FIELDS), round(6 * math.sqrt(thousands)))
        return cls(triples, per_kind, fields)


# ---------------------------------------------------------------------------------------------
# The fixed part: China, its provinces, the programmes and the bodies that run them
# ---------------------------------------------------------------------------------------------

PROVINCES = (
    ("beijing", "Beijing", "北京"),
    ("tianjin", "Tianjin", "天津"),
    ("hebei", "Hebei", "河北"),
    ("shanxi", "Shanxi", "山西"),
    ("inner-mongolia", "Inner Mongolia", "内蒙古"),
    ("liaoning", "Liaoning", "辽宁"),
    ("jilin", "Jilin", "吉林"),
    ("heilongjiang", "Heilongjiang", "黑龙江"),
    ("shanghai", "Shanghai", "上海"),
    ("jiangsu", "Jiangsu", "江苏"),
    ("zhejiang", "Zhejiang", "浙江"),
    ("anhui", "Anhui", "安徽"),
    ("fujian", "Fujian", "福建"),
    ("jiangxi", "Jiangxi", "江西"),
    ("shandong", "Shandong", "山东"),
    ("henan", "Henan", "河南"),
    ("hubei", "Hubei", "湖北"),
    ("hunan", "Hunan", "湖南"),
    ("guangdong", "Guangdong", "广东"),
    ("guangxi", "Guangxi", "广西"),
    ("hainan", "Hainan", "海南"),
    ("chongqing", "Chongqing", "重庆"),
    ("sichuan", "Sichuan", "四川"),
    ("guizhou", "Guizhou", "贵州"),
    ("yunnan", "Yunnan", "云南"),
    ("tibet", "Tibet", "西藏"),
    ("shaanxi", "Shaanxi", "陕西"),
    ("gansu", "Gansu", "甘肃"),
    ("qinghai", "Qinghai", "青海"),
    ("ningxia", "Ningxia", "宁夏"),
    ("xinjiang", "Xinjiang", "新疆"),
)
NAMED_FIELDS = (
    ("artificial-intelligence", "artificial intelligence", "人工智能"),
    ("manufacturing", "manufacturing", "制造"),
    ("intelligent-manufacturing", "intelligent manufacturing", "智能制造"),
    ("healthcare", "healthcare", "医疗卫生"),
    ("finance", "finance", "金融"),
    ("energy", "energy", "能源"),
    ("transportation", "transportation", "交通运输"),
)
#: (slug, English, Chinese, slug of the body that runs it, kind of designation it grants)
PROGRAMMES = (
    (
        "miit-ai-innovation-application-pilot-zones",
        "National AI Innovation and Application Pilot Zones (MIIT)",
        "国家人工智能创新应用先导区",
        "miit",
        "zone",
    ),
    (
        "most-ai-innovation-development-pilot-zones",
        "National New Generation AI Innovation and Development Pilot Zones (MOST)",
        "国家新一代人工智能创新发展试验区",
        "most",
        "zone",
    ),
    (
        "ai-application-pilot-test-bases",
        "National AI Application Pilot Test Bases",
        "国家人工智能应用中试基地",
        "ndrc",
        "base",
    ),
)
MINISTRIES = (
    ("miit", "Ministry of Industry and Information Technology", "工业和信息化部", "工信部"),
    ("most", "Ministry of Science and Technology", "科学技术部", "国科发"),
    ("ndrc", "National Development and Reform Commission", "国家发展和改革委员会", "发改高技"),
    ("state-council", "State Council", "国务院", "国发"),
)
POLICY_KINDS = ("Opinions", "Notice", "Plan", "Guideline", "Proposal", "Letter")
DIGITS_ZH = "〇一二三四五六七八九"


def zh_number(number: int) -> str:
    """``1203`` → ``一二〇三``: keeps Chinese labels unique and written in Chinese characters."""
    return "".join(DIGITS_ZH[int(d)] for d in str(number))


class Generator:
    """Builds the entities of one synthetic graph; every random choice goes through ``rng``."""

    def __init__(self, counts: Counts, seed: int) -> None:
        self.counts = counts
        self.rng = random.Random(seed)
        self.entities: dict[str, list[Entity]] = {}
        self.wikidata = 1_000_000  # next unused Wikidata number: each item is linked once

    # -- small helpers -------------------------------------------------------------------------

    def new(self, group: str, kind: str, slug: str) -> Entity:
        entity = Entity(node(kind, slug), kind)
        entity.add(A, ox.NamedNode(KIND_CLASSES[kind]))
        self.entities.setdefault(group, []).append(entity)
        return entity

    def pick(self, group: str) -> Entity:
        return self.rng.choice(self.entities[group])

    def cite(self, entity: Entity, sources: int = 2) -> None:
        chosen = self.rng.sample(self.entities["sources"], sources)
        entity.add(DERIVED, *(s.iri for s in chosen))

    def date(self, year: int) -> ox.Literal:
        """A date in ``year`` at the precision a source might give: day, month or year."""
        month, day = self.rng.randint(1, 12), self.rng.randint(1, 28)
        roll = self.rng.random()
        if roll < 0.6:
            return typed(f"{year}-{month:02d}-{day:02d}", "date")
        if roll < 0.85:
            return typed(f"{year}-{month:02d}", "gYearMonth")
        return typed(str(year), "gYear")

    def next_wikidata(self) -> ox.NamedNode:
        self.wikidata += 1
        return ox.NamedNode(f"{WIKIDATA_ENTITY}Q{self.wikidata}")

    def labelled(self, group: str, kind: str, slug: str, english: str, chinese: str) -> Entity:
        entity = self.new(group, kind, slug)
        entity.add(LABEL, en(english), zh(chinese))
        return entity

    # -- the graph, kind by kind ---------------------------------------------------------------

    def generate(self) -> dict[str, list[Entity]]:
        self.sources()
        self.regions()
        self.sectors()
        self.organisations()
        self.programmes()
        self.policies()
        self.measures_and_targets()
        self.zones()
        self.bases()
        self.events()
        return self.entities

    def sources(self) -> None:
        publishers = ("Xinhua", "新华社", "China Daily", "人民日报", "EqualOcean", "工业和信息化部")
        for i in range(self.counts.per_kind["source"]):
            source = self.labelled(
                "sources",
                "source",
                f"synthetic-{i}",
                f"Synthetic article {i}",
                f"合成报道{zh_number(i)}",
            )
            source.add(p("publisherName"), ox.Literal(self.rng.choice(publishers)))
            source.add(p("publicationDate"), self.date(self.rng.randint(2017, 2025)))
            source.add(term(SCHEMA, "url"), ox.NamedNode(f"https://example.org/news/{i}"))

    def region(
        self, slug: str, english: str, chinese: str, level: str, parent: Entity | None
    ) -> Entity:
        region = self.labelled("regions", "region", slug, english, chinese)
        region.add(p("administrativeLevel"), p(level))
        if parent is not None:
            region.add(p("partOf"), parent.iri)
        if self.rng.random() < 0.3:
            region.add(SAME_AS, self.next_wikidata())
        self.cite(region, 1)
        return region

    def regions(self) -> None:
        china = self.region("china", "China", "中国", "Country", None)
        provinces = [self.region(s, e, z, "ProvincialLevel", china) for s, e, z in PROVINCES]
        self.region("greater-bay-area", "Greater Bay Area", "粤港澳大湾区", "EconomicArea", china)
        cities = [
            self.region("shenzhen", "Shenzhen", "深圳市", "PrefecturalLevel", provinces[18])
        ]  # provinces[18] is Guangdong
        for i in range(self.counts.per_kind["city"]):
            province = self.rng.choice(provinces)
            cities.append(
                self.region(
                    f"city-{i}",
                    f"Synthetic City {i}",
                    f"合成市{zh_number(i)}",
                    "PrefecturalLevel",
                    province,
                )
            )
        for i in range(self.counts.per_kind["district"]):
            self.region(
                f"district-{i}",
                f"Synthetic District {i}",
                f"合成区{zh_number(i)}",
                "CountyLevel",
                self.rng.choice(cities),
            )

    def sector(self, slug: str, english: str, chinese: str, broader: Entity | None) -> Entity:
        sector = self.labelled("sectors", "sector", slug, english, chinese)
        sector.add(PREF_LABEL, en(english), zh(chinese))
        sector.add(term(SKOS, "inScheme"), node("scheme", "sectors"))
        if broader is not None:
            sector.add(term(SKOS, "broader"), broader.iri)
        elif self.rng.random() < 0.5:
            sector.add(term(SKOS, "exactMatch"), self.next_wikidata())
        self.cite(sector, 1)
        return sector

    def sectors(self) -> None:
        scheme = self.labelled("sectors", "scheme", "sectors", "Sectors", "领域")
        self.cite(scheme, 1)
        fields = [self.sector(s, e, z, None) for s, e, z in NAMED_FIELDS]
        for i in range(len(fields), self.counts.fields):
            fields.append(
                self.sector(f"field-{i}", f"Synthetic field {i}", f"合成领域{zh_number(i)}", None)
            )
        self.fields = fields
        self.directions: dict[str, list[Entity]] = {}
        for f_index, parent in enumerate(fields):
            for d in range(self.counts.directions_per_field):
                slug = f"{parent.iri.value.rsplit('/', 1)[-1]}-direction-{d}"
                direction = self.sector(
                    slug,
                    f"Synthetic direction {f_index}.{d}",
                    f"合成方向{zh_number(f_index)}之{zh_number(d)}",
                    parent,
                )
                self.directions.setdefault(parent.iri.value, []).append(direction)

    def organisations(self) -> None:
        china = self.entities["regions"][0]
        self.ministries = {}
        for slug, english, chinese, _prefix in MINISTRIES:
            ministry = self.labelled("orgs", "org", slug, english, chinese)
            ministry.add(p("locatedIn"), china.iri)
            self.cite(ministry, 1)
            self.ministries[slug] = ministry
        unionpay = self.labelled("orgs", "org", "china-unionpay", "China UnionPay", "中国银联")
        self.cite(unionpay, 1)
        for i in range(self.counts.per_kind["org"]):
            org = self.labelled(
                "orgs", "org", f"org-{i}", f"Synthetic Organisation {i}", f"合成机构{zh_number(i)}"
            )
            org.add(p("locatedIn"), self.pick("regions").iri)
            if self.rng.random() < 0.3:
                org.add(
                    term(ORG, "subOrganizationOf"),
                    self.rng.choice(list(self.ministries.values())).iri,
                )
            self.cite(org, 1)

    def programmes(self) -> None:
        self.programme_runner: dict[str, Entity] = {}
        for slug, english, chinese, runner, _grants in PROGRAMMES:
            programme = self.labelled("programmes", "programme", slug, english, chinese)
            programme.add(p("sector"), self.fields[0].iri)
            programme.add(term(PROV, "wasAttributedTo"), self.ministries[runner].iri)
            self.cite(programme)
            self.programme_runner[slug] = self.ministries[runner]

    def policy(self, slug: str, english: str, chinese: str, kind: str, year: int) -> Entity:
        policy = self.labelled("policies", "policy", slug, english, chinese)
        policy.add(p("policyKind"), p(kind))
        issuer_slug, _e, _z, doc_prefix = self.rng.choice(MINISTRIES)
        policy.add(p("issuedBy"), self.ministries[issuer_slug].iri)
        if self.rng.random() < 0.7:
            number = f"{doc_prefix}〔{year}〕{self.rng.randint(1, 400)}号"
            policy.add(p("documentNumber"), ox.Literal(number))
        policy.add(p("signingDate"), self.date(year))
        policy.add(p("publicationDate"), typed(str(year + 1), "gYear"))
        policy.add(COMMENT, en(f"A synthetic {kind.lower()} issued in {year}."))
        self.cite(policy)
        return policy

    def policies(self) -> None:
        self.policy(
            "ai-plus-opinions",
            "Opinions on the AI+ initiative",
            "关于深入实施人工智能+行动的意见",
            "Opinions",
            2025,
        )
        for i in range(self.counts.per_kind["policy"]):
            kind = self.rng.choice(POLICY_KINDS)
            policy = self.policy(
                f"policy-{i}",
                f"Synthetic policy {i}",
                f"合成政策文件{zh_number(i)}",
                kind,
                self.rng.randint(2017, 2025),
            )
            if kind == "Proposal":
                policy.add(
                    p("concernsRegion"), self.entities["regions"][1 + i % len(PROVINCES)].iri
                )
                policy.add(
                    p("aiEmphasis"),
                    en(f"Emphasis {i} on applied AI."),
                    zh(f"侧重点{zh_number(i)}：人工智能应用。"),
                )
                policy.add(p("focusArea"), self.rng.choice(self.fields).iri)

    def measures_and_targets(self) -> None:
        opinions = self.entities["policies"][0]
        for i in range(14):
            measure = self.labelled(
                "measures",
                "measure",
                f"measure-{i}",
                f"Synthetic measure {i}",
                f"合成举措{zh_number(i)}",
            )
            measure.add(term(SKOS, "notation"), ox.Literal(str(i + 1)))
            self.cite(measure, 1)
            opinions.add(p("keyAction" if i < 6 else "foundationalSupport"), measure.iri)
        for year in (2027, 2030, 2035):
            target = self.labelled(
                "measures", "target", f"ai-plus-{year}", f"Targets for {year}", f"{year}年目标"
            )
            target.add(p("targetYear"), typed(str(year), "gYear"))
            self.cite(target, 1)
            opinions.add(p("target"), target.iri)

    def designation(
        self, group: str, kind: str, slug: str, english: str, chinese: str, programme: str
    ) -> Entity:
        designation = self.labelled(group, kind, slug, english, chinese)
        designation.add(p("programme"), node("programme", programme))
        designation.add(p("designatedBy"), self.programme_runner[programme].iri)
        designation.add(p("designationDocument"), self.pick("policies").iri)
        designation.add(p("batch"), typed(str(self.rng.randint(1, 4)), "integer"))
        approved = self.rng.randint(2019, 2024)
        designation.add(p("approvalDate"), self.date(approved))
        designation.add(p("launchDate"), self.date(approved + 1))
        designation.add(
            COMMENT, en(f"A synthetic {kind} for benchmarks."), zh("用于基准测试的合成数据。")
        )
        self.cite(designation)
        return designation

    def zones(self) -> None:
        regions = self.entities["regions"]
        for i in range(self.counts.per_kind["zone"]):
            slug = "shenzhen" if i == 0 else f"zone-{i}"
            programme = PROGRAMMES[i % 2][0]
            zone = self.designation(
                "zones",
                "zone",
                slug,
                f"Synthetic AI Pilot Zone {i}",
                f"合成人工智能试点区{zh_number(i)}",
                programme,
            )
            zone.add(
                p("locatedIn"),
                *(r.iri for r in self.rng.sample(regions[1:], self.rng.randint(1, 2))),
            )
            focus = self.rng.sample(self.fields, 2)
            zone.add(p("sector"), focus[0].iri)
            zone.add(p("focusArea"), *(f.iri for f in focus))

    def bases(self) -> None:
        orgs = self.entities["orgs"]
        for i in range(self.counts.per_kind["base"]):
            base = self.designation(
                "bases",
                "base",
                f"base-{i}",
                f"Synthetic Pilot Test Base {i}",
                f"合成中试基地{zh_number(i)}",
                PROGRAMMES[2][0],
            )
            field_entity = self.rng.choice(self.fields)
            direction = self.rng.choice(self.directions[field_entity.iri.value])
            base.add(p("field"), field_entity.iri)
            base.add(p("direction"), direction.iri)
            base.add(p("sector"), field_entity.iri)
            base.add(p("locatedIn"), self.pick("regions").iri)
            base.add(p("leadOrganisation"), self.rng.choice(orgs).iri)
            base.add(p("constructionStartDate"), self.date(2025))

    def events(self) -> None:
        for i in range(self.counts.per_kind["event"]):
            event = self.labelled(
                "events",
                "event",
                f"event-{i}",
                f"Synthetic conference {i}",
                f"合成大会{zh_number(i)}",
            )
            year, month, day = (
                self.rng.randint(2019, 2025),
                self.rng.randint(1, 12),
                self.rng.randint(1, 25),
            )
            event.add(p("startDate"), typed(f"{year}-{month:02d}-{day:02d}", "date"))
            event.add(
                p("endDate"),
                typed(f"{year}-{month:02d}-{day + self.rng.randint(0, 3):02d}", "date"),
            )
            event.add(p("organisedBy"), self.pick("orgs").iri)
            event.add(p("locatedIn"), self.pick("regions").iri)
            event.add(p("about"), self.pick("zones").iri)
            self.cite(event, 1)


# ---------------------------------------------------------------------------------------------
# Planted violations
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    """A finding that a planted fault must produce in ``pilotkg check``."""

    fault: str
    check: str
    focus: str
    path: str
    component: str


def component(name: str) -> str:
    return f"{SH}{name}ConstraintComponent"


def expected(
    fault: str, entity: Entity, path: ox.NamedNode | None, name: str, check: str = "shacl"
) -> Expected:
    return Expected(
        fault, check, str(entity.iri), str(path) if path else "", component(name) if name else ""
    )


def _not_lang(lang: str) -> Callable[[Term], bool]:
    return lambda o: not (isinstance(o, ox.Literal) and o.language == lang)


Fault = Callable[[Entity], list[Expected]]


def missing_zh_label(entity: Entity) -> list[Expected]:
    entity.drop(LABEL, keep=_not_lang("zh"))
    return [expected("missing-zh-label", entity, LABEL, "QualifiedMinCount")]


def missing_en_label(entity: Entity) -> list[Expected]:
    entity.drop(LABEL, keep=_not_lang("en"))
    return [expected("missing-en-label", entity, LABEL, "QualifiedMinCount")]


def zh_label_not_chinese(entity: Entity) -> list[Expected]:
    entity.drop(LABEL, keep=_not_lang("zh"))
    entity.add(LABEL, zh(f"no chinese here {entity.iri.value.rsplit('/', 1)[-1]}"))
    return [expected("zh-label-not-chinese", entity, LABEL, "Or")]


def two_en_labels(entity: Entity) -> list[Expected]:
    entity.add(LABEL, en(f"Another name for {entity.iri.value.rsplit('/', 1)[-1]}"))
    return [expected("two-en-labels", entity, LABEL, "UniqueLang")]


def bad_date_datatype(entity: Entity) -> list[Expected]:
    """An approval date typed xsd:string; the entailed pilot:date copy breaks its shape too."""
    (old,) = entity.values(p("approvalDate"))
    entity.drop(p("approvalDate"))
    assert isinstance(old, ox.Literal)
    entity.add(p("approvalDate"), ox.Literal(old.value))
    return [
        expected("bad-date-datatype", entity, p("approvalDate"), "Or"),
        expected("bad-date-datatype", entity, p("date"), "Or"),
    ]


def two_approval_dates(entity: Entity) -> list[Expected]:
    (old,) = entity.values(p("approvalDate"))
    assert isinstance(old, ox.Literal)
    entity.add(
        p("approvalDate"),
        typed(old.value[:4], "gYear")
        if len(old.value) > 4
        else typed(old.value + "-01", "gYearMonth"),
    )
    return [expected("two-approval-dates", entity, p("approvalDate"), "MaxCount")]


def missing_source(entity: Entity) -> list[Expected]:
    """No prov:wasDerivedFrom: the shapes and the link check both say so, and the QC query
    names each of its statements, which then cite nothing either."""
    entity.drop(DERIVED)
    uncited = [
        Expected(
            "missing-source",
            "qc:statement-without-source-violation",
            str(entity.iri),
            str(predicate),
            "",
        )
        for predicate, _obj in entity.statements
        if predicate not in UNCITED_PREDICATES
    ]
    return [
        expected("missing-source", entity, DERIVED, "MinCount"),
        Expected("missing-source", "links", str(entity.iri), str(DERIVED), ""),
        *uncited,
    ]


def bad_document_number(entity: Entity) -> list[Expected]:
    entity.drop(p("documentNumber"))
    entity.add(p("documentNumber"), ox.Literal("No. 2021-123"))
    return [expected("bad-document-number", entity, p("documentNumber"), "Pattern")]


def policy_two_kinds(entity: Entity) -> list[Expected]:
    """A second kind beside the one the policy has (the shapes allow none, or one)."""
    (kind,) = entity.values(p("policyKind"))
    other = next(k for k in POLICY_KINDS if p(k) != kind)
    entity.add(p("policyKind"), p(other))
    return [expected("policy-two-kinds", entity, p("policyKind"), "MaxCount")]


def region_not_in_china(entity: Entity) -> list[Expected]:
    """A district (no region is inside it) that is part of nothing: its chain stops short of China."""
    entity.drop(p("partOf"))
    return [expected("region-not-in-china", entity, None, "SPARQL")]


def source_unfindable(entity: Entity) -> list[Expected]:
    """Neither a publisher nor a web address: no reader could find the source again."""
    entity.drop(p("publisherName"))
    entity.drop(term(SCHEMA, "url"))
    return [expected("source-unfindable", entity, None, "SPARQL")]


def sector_not_in_scheme(entity: Entity) -> list[Expected]:
    entity.drop(term(SKOS, "inScheme"))
    return [expected("sector-not-in-scheme", entity, term(SKOS, "inScheme"), "HasValue")]


def event_end_before_start(entity: Entity) -> list[Expected]:
    (start,) = entity.values(p("startDate"))
    assert isinstance(start, ox.Literal)
    entity.drop(p("endDate"))
    entity.add(p("endDate"), typed(f"{int(start.value[:4]) - 1}{start.value[4:]}", "date"))
    return [expected("event-end-before-start", entity, p("endDate"), "SPARQL")]


def _is_district(entity: Entity) -> bool:
    return "/region/district-" in entity.iri.value


def _is_direction(entity: Entity) -> bool:
    return "-direction-" in entity.iri.value


def _has_number(entity: Entity) -> bool:
    return bool(entity.values(p("documentNumber")))


#: Each fault with the entities it may be planted on (group, filter); planted round-robin.
FAULTS: tuple[tuple[Fault, str, Callable[[Entity], bool]], ...] = (
    (missing_zh_label, "zones", lambda e: True),
    (bad_date_datatype, "zones", lambda e: True),
    (missing_source, "orgs", lambda e: "/org/org-" in e.iri.value),
    (bad_document_number, "policies", _has_number),
    (region_not_in_china, "regions", _is_district),
    (missing_en_label, "bases", lambda e: True),
    (zh_label_not_chinese, "orgs", lambda e: "/org/org-" in e.iri.value),
    (source_unfindable, "sources", lambda e: True),
    (policy_two_kinds, "policies", lambda e: "/policy/policy-" in e.iri.value),
    (sector_not_in_scheme, "sectors", _is_direction),
    (two_en_labels, "events", lambda e: True),
    (event_end_before_start, "events", lambda e: True),
    (two_approval_dates, "bases", lambda e: True),
)


def plant_violations(
    entities: dict[str, list[Entity]], count: int, rng: random.Random
) -> list[Expected]:
    """Plant ``count`` faults, each on its own entity, and return every finding they must cause."""
    used: set[str] = set()
    findings: list[Expected] = []
    for index in range(count):
        fault, group, eligible = FAULTS[index % len(FAULTS)]
        pool = [e for e in entities[group] if eligible(e) and e.iri.value not in used]
        if not pool:
            raise SystemExit(f"synth: too few {group} for {count} violations: use more --triples")
        victim = rng.choice(pool)
        used.add(victim.iri.value)
        findings.extend(fault(victim))
    return sorted(findings, key=lambda f: (f.focus, f.check, f.path, f.component))


# ---------------------------------------------------------------------------------------------
# Writing the folder
# ---------------------------------------------------------------------------------------------


def copy_sources(out: Path) -> None:
    """Fresh copies of the checkout's ontology/, shapes/ and queries/ (data/ is generated)."""
    for part in COPIED_PARTS:
        target = out / part
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(ROOT / part, target)


def write_data(
    out: Path, entities: dict[str, list[Entity]], *, file_triples: int = FILE_TRIPLES
) -> int:
    """Each group as Turtle files of about ``file_triples`` triples (an entity is never split
    across files, nor from its citations); returns the count of fact triples (citations apart)."""
    data = out / "data"
    if data.exists():
        shutil.rmtree(data)
    data.mkdir(parents=True)
    total = 0
    for group, members in entities.items():
        chunk: list[ox.Triple] = []
        index = 0
        facts = 0
        for entity in members:
            stated = list(entity.triples())
            facts += len(stated)
            chunk.extend([*stated, *entity.citations()])
            if len(chunk) >= file_triples:
                _write_chunk(data / f"{group}-{index:03d}.ttl", chunk)
                total, index, chunk, facts = total + facts, index + 1, [], 0
        if chunk:
            _write_chunk(data / f"{group}-{index:03d}.ttl", chunk)
            total += facts
    return total


def _write_chunk(path: Path, triples: list[ox.Triple]) -> None:
    header = b"# Synthetic data written by scripts/synth.py for tests and benchmarks: not facts.\n"
    path.write_bytes(
        header + (ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES) or b"")
    )


def synthesise(
    out: Path, *, triples: int, seed: int, violations: int = 0, file_triples: int = FILE_TRIPLES
) -> tuple[int, list[Expected]]:
    """Write the whole source folder; returns the data triple count and the planted findings."""
    entities = Generator(Counts.for_size(triples), seed).generate()
    planted = plant_violations(entities, violations, random.Random(seed + 1))
    out.mkdir(parents=True, exist_ok=True)
    copy_sources(out)
    written = write_data(out, entities, file_triples=file_triples)
    report = out / "expected-violations.json"
    if violations:
        rows = [f.__dict__ for f in planted]
        report.write_text(json.dumps(rows, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    elif report.exists():
        report.unlink()
    return written, planted


def parse_size(text: str) -> int:
    """``10k``, ``1m``, ``250000`` → a number of triples."""
    text = text.strip().lower()
    factor = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * factor)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--triples", type=parse_size, required=True, help="about this many data triples (10k, 1m …)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--violations", type=int, default=0, help="plant this many faults")
    args = parser.parse_args(argv)
    written, planted = synthesise(
        args.out, triples=args.triples, seed=args.seed, violations=args.violations
    )
    print(
        f"synth: wrote {written} data triples to {args.out}/data"
        + (f", {len(planted)} expected findings" if planted else "")
    )


if __name__ == "__main__":
    main()
