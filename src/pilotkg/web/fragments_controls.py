"""The metadata and Hydra controls of a Triple Pattern Fragment, as RDF.

What the TPF specification asks of a fragment, in the vocabulary and the shape the
reference server (LinkedDataFragments/Server.js) writes and Comunica reads:

* the dataset, ``void:Dataset`` and ``hydra:Collection``, with the fragment as a
  ``void:subset`` and a ``hydra:search`` form: a ``hydra:IriTemplate``
  ``…/fragments{?subject,predicate,object}`` whose three ``hydra:mapping``\\s tie each variable
  to ``rdf:subject``, ``rdf:predicate`` and ``rdf:object``, values in
  ``hydra:ExplicitRepresentation`` (``fragments_selector``);
* the page, a ``hydra:PartialCollectionView`` of the fragment (``void:subset``), with the
  count as ``hydra:totalItems`` and ``void:triples``, ``hydra:itemsPerPage``, and links
  ``hydra:first``, ``hydra:previous``, ``hydra:next`` (and ``hydra:last`` when the count is
  exact).

In a format that holds graphs the metadata goes in a graph of its own, named after the page
and marked as the page's by ``foaf:primaryTopic`` pointing at the fragment: Comunica takes
that graph for metadata and every other triple for data. It finds it through the last
``void:subset`` whose object is the page it fetched, so the fragment's own ``void:subset`` of
its page comes after the dataset's, even on page 1, where fragment and page are one IRI.
In Turtle and N-Triples, which hold one graph, metadata and data stand side by side, as the
specification allows; a client tells them apart by the pattern.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from ..namespaces import DATASET_IRI, DCTERMS, FOAF, RDF, VOID, XSD
from .fragments_selector import PATTERN_PARAMETERS, Selector, canonical_query
from .fragments_window import MAX_PAGES, PAGE_SIZE, Window

HYDRA = "http://www.w3.org/ns/hydra/core#"
_INTEGER = ox.NamedNode(XSD + "integer")


@dataclass(frozen=True)
class Fragments:
    """Where this server serves fragments: ``base`` is the absolute URL of ``/fragments``."""

    base: str

    def url(self, selector: Selector) -> str:
        """The one address of ``selector``'s page (``fragments_selector.canonical_query``)."""
        query = canonical_query(selector.pairs())
        return f"{self.base}?{query}" if query else self.base

    @property
    def template(self) -> str:
        return self.base + "{?" + ",".join(PATTERN_PARAMETERS) + "}"

    def metadata_graph(self, selector: Selector) -> ox.NamedNode:
        return ox.NamedNode(self.url(selector) + "#metadata")


def last_page(window: Window) -> int | None:
    """The number of the fragment's last page when the count is exact, else None."""
    if not window.exact:
        return None
    return min(max(1, -(-window.count // PAGE_SIZE)), MAX_PAGES)


def controls(
    fragments: Fragments, selector: Selector, window: Window, titles: list[ox.Literal]
) -> list[ox.Triple]:
    """The metadata and controls of the page ``window`` of ``selector``'s fragment, titled
    ``titles``, in the order Comunica needs (see the module's docstring)."""
    dataset = ox.NamedNode(DATASET_IRI)
    fragment = ox.NamedNode(fragments.url(selector.on_page(1)))
    page = ox.NamedNode(fragments.url(selector))
    search = ox.NamedNode(fragments.base + "#triple-pattern")
    out: list[ox.Triple] = []

    def add(subject: ox.NamedNode, predicate: str, obj: ox.NamedNode | ox.Literal) -> None:
        out.append(ox.Triple(subject, ox.NamedNode(predicate), obj))

    add(dataset, RDF + "type", ox.NamedNode(VOID + "Dataset"))
    add(dataset, RDF + "type", ox.NamedNode(HYDRA + "Collection"))
    add(dataset, VOID + "subset", page)
    add(dataset, HYDRA + "search", search)
    add(search, RDF + "type", ox.NamedNode(HYDRA + "IriTemplate"))
    add(search, HYDRA + "template", ox.Literal(fragments.template))
    add(search, HYDRA + "variableRepresentation", ox.NamedNode(HYDRA + "ExplicitRepresentation"))
    for name in PATTERN_PARAMETERS:
        mapping = ox.NamedNode(f"{fragments.base}#{name}")
        add(search, HYDRA + "mapping", mapping)
        add(mapping, RDF + "type", ox.NamedNode(HYDRA + "IriTemplateMapping"))
        add(mapping, HYDRA + "variable", ox.Literal(name))
        add(mapping, HYDRA + "property", ox.NamedNode(RDF + name))
        add(
            mapping, HYDRA + "required", ox.Literal("false", datatype=ox.NamedNode(XSD + "boolean"))
        )
    add(fragment, VOID + "subset", page)
    add(page, RDF + "type", ox.NamedNode(HYDRA + "PartialCollectionView"))
    for title in titles:
        add(page, DCTERMS + "title", title)
    add(page, DCTERMS + "source", dataset)
    add(page, HYDRA + "totalItems", ox.Literal(str(window.count), datatype=_INTEGER))
    add(page, VOID + "triples", ox.Literal(str(window.count), datatype=_INTEGER))
    add(page, HYDRA + "itemsPerPage", ox.Literal(str(PAGE_SIZE), datatype=_INTEGER))
    add(page, HYDRA + "first", fragment)
    if selector.page > 1:
        add(
            page,
            HYDRA + "previous",
            ox.NamedNode(fragments.url(selector.on_page(selector.page - 1))),
        )
    if window.more and selector.page < MAX_PAGES:
        add(page, HYDRA + "next", ox.NamedNode(fragments.url(selector.on_page(selector.page + 1))))
    last = last_page(window)
    if last is not None:
        add(page, HYDRA + "last", ox.NamedNode(fragments.url(selector.on_page(last))))
    return out


def in_graphs(
    fragments: Fragments, selector: Selector, data: list[ox.Triple], metadata: list[ox.Triple]
) -> list[ox.Quad]:
    """The data in the default graph and the metadata in the page's metadata graph, which
    names the fragment as its ``foaf:primaryTopic``."""
    graph = fragments.metadata_graph(selector)
    topic = ox.Quad(
        graph,
        ox.NamedNode(FOAF + "primaryTopic"),
        ox.NamedNode(fragments.url(selector.on_page(1))),
        graph,
    )
    return [
        *(ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in data),
        topic,
        *(ox.Quad(t.subject, t.predicate, t.object, graph) for t in metadata),
    ]
