"""SHACL validation of one article's graph, turned into a typed ``Report`` that the CLI, API and tests read.

Validation runs on the article graph plus the entity triples it refers to and the ontology (for the class
hierarchy), with ``inference="none"``: never on the whole store, whose size would make pyshacl slow.

pyshacl, given the ontology, copies the data graph and mixes the ontology's RDFS/OWL axioms into the copy on
every call (and copies it again for advanced mode).  The axioms are the same each time, so they are mixed
once (:func:`ontology_axioms`) and each call builds one working graph, data plus axioms, that pyshacl then
validates in place: the same data graph pyshacl would build, with a third less time per article.

At ingest (:func:`validate_extraction`) two more things are left out, each because it cannot change the
verdict: the shapes that only check derived triples (``kg:derivedFrom`` in the ontology: kg.rdf computes them
from the claims after these passed, so they hold whatever the claims say; ``kg validate`` of the store and
``tests/test_derived.py`` still check them), and every ontology axiom but ``rdfs:subClassOf``, the only one
SHACL Core reads from a data graph (a "SHACL instance" of a class is a node whose ``rdf:type`` is the class or
one of its subclasses).  Together with validating before the derived triples are added (kg.ingest), a third
less SHACL time per article.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import cache

from pyshacl import validate as shacl_validate
from pyshacl.rdfutil.inoculate import inoculate
from rdflib import Graph, URIRef
from rdflib.namespace import RDFS, SH

from kg.model import Report, Result
from kg.paths import data_dir
from kg.store.base import Store

log = logging.getLogger(__name__)


@cache
def ontology() -> Graph:
    return Graph().parse(data_dir("ontology") / "kg.ttl")


@cache
def shapes() -> Graph:
    return Graph().parse(data_dir("ontology") / "shapes.ttl")


@cache
def ontology_axioms() -> Graph:
    """The ontology's RDFS and OWL axioms as pyshacl mixes them into a data graph (``ont_graph``), once."""
    return inoculate(Graph(), ontology())  # type: ignore[arg-type]  # pyshacl's DataGraph is a Graph


@cache
def class_hierarchy() -> Graph:
    """The ``rdfs:subClassOf`` triples of :func:`ontology_axioms`: all that SHACL Core reads of the ontology in a
    data graph (``sh:class`` and ``sh:targetClass`` follow ``rdf:type/rdfs:subClassOf*``), with the same
    prefixes for pyshacl's messages."""
    hierarchy = Graph()
    axioms = ontology_axioms()
    for prefix, namespace in axioms.namespaces():
        hierarchy.bind(prefix, namespace, override=False)
    for triple in axioms.triples((None, RDFS.subClassOf, None)):
        hierarchy.add(triple)
    return hierarchy


def _uses_sparql(shapes_graph: Graph) -> bool:
    """Whether a shape runs SPARQL (which may read any ontology triple), so needs every axiom."""
    return any(True for _ in shapes_graph.triples((None, SH.sparql, None))) or any(
        True for _ in shapes_graph.triples((None, SH.select, None))
    )


@cache
def ingest_shapes() -> Graph:
    """kg's shapes without the node shapes whose every property path is a derived property (one the ontology
    annotates with ``kg:derivedFrom``): at ingest the claims are validated before kg.rdf adds the triples
    derived from them, so such a shape has nothing to look at, and pyshacl would still spend a fifth of an
    article's validation walking every claim through it."""
    from kg.ns import KG

    full = shapes()
    derived = set(ontology().subjects(KG.derivedFrom, None))
    out = Graph()
    for prefix, namespace in full.namespaces():
        out.bind(prefix, namespace, override=False)
    dropped: set[tuple[object, object, object]] = set()
    for shape in set(full.subjects(SH.property, None)):
        paths = [full.value(prop, SH.path) for prop in full.objects(shape, SH.property)]
        if paths and all(path in derived for path in paths):
            dropped.update(full.cbd(shape))  # the shape and its property shapes (blank nodes, lists)
    for triple in full:
        if triple not in dropped:
            out.add(triple)
    return out


@cache
def conflict_shapes() -> Graph:
    """The store-wide warning shapes (conflicting troop estimates), never run per article at ingest."""
    return Graph().parse(data_dir("ontology") / "conflicts.ttl")


def validate_extraction(doc: str, data: Graph | Iterable[Graph]) -> Report:
    """Validate an article's graph made without its derived triples (``kg.rdf.article_graph(derived=False)``)
    and its entity triples, as ingest does: against :func:`ingest_shapes` with :func:`class_hierarchy`.  The
    same verdict and messages as :func:`validate_graph` on the whole graph, for less time."""
    return validate_graph(doc, data, ingest_shapes(), axioms=class_hierarchy())


def validate_graph(
    doc: str, data: Graph | Iterable[Graph], shapes_graph: Graph | None = None, *, axioms: Graph | None = None
) -> Report:
    """Validate ``data`` (a graph, or several taken together) against kg's shapes (or ``shapes_graph``) and
    the ontology (or only ``axioms`` of it, when no shape runs SPARQL).  ``data`` is never modified."""
    work = Graph()
    shapes_graph = shapes_graph if shapes_graph is not None else shapes()
    if axioms is None or _uses_sparql(shapes_graph):
        axioms = ontology_axioms()
    for prefix, namespace in axioms.namespaces():  # as pyshacl's mixing binds them, for its messages
        work.bind(prefix, namespace, override=False)
    for graph in [data] if isinstance(data, Graph) else data:
        for triple in graph:
            work.add(triple)
    for triple in axioms:
        work.add(triple)
    _conforms, results, _text = shacl_validate(
        work,
        shacl_graph=shapes_graph,
        inference="none",
        inplace=True,  # ``work`` is this call's own copy
        abort_on_first=False,
        allow_warnings=True,
        advanced=True,
    )
    report = Report(doc)
    assert isinstance(results, Graph)
    for result in results.subjects(SH.resultSeverity, None):
        severity = results.value(result, SH.resultSeverity)
        message = results.value(result, SH.resultMessage)
        focus = results.value(result, SH.focusNode)
        path = results.value(result, SH.resultPath)
        item = Result(
            message=str(message) if message is not None else "shape violated",
            focus=str(focus),
            path=str(path) if isinstance(path, URIRef) else None,
            severity=str(severity).rsplit("#", 1)[-1],
        )
        (report.violations if severity == SH.Violation else report.warnings).append(item)
    report.violations.sort(key=lambda r: (r.focus, r.message))
    report.warnings.sort(key=lambda r: (r.focus, r.message))
    return report


def validate_store(store: Store) -> list[Report]:
    """Validate every stored article graph again, each with the entity data it refers to; then the claims of
    all articles together against the conflict shapes, each warning added to the report of the article of
    its focus claim (``validate_conflicts``)."""
    from kg.ns import doc_id_of_graph
    from kg.queries import get_query

    query = get_query("article-graph")
    reports = []
    for graph in store.graphs():
        doc = doc_id_of_graph(str(graph))
        if doc is None:
            continue
        reports.append(validate_graph(doc, store.construct(query.text, query.bind({"graph": str(graph)}))))
    by_doc = {r.doc: r for r in reports}
    for doc, result in validate_conflicts(store):
        if doc not in by_doc:  # pragma: no cover - a claim's article graph is always there
            by_doc[doc] = Report(doc)
            reports.append(by_doc[doc])
        by_doc[doc].warnings.append(result)
    return reports


def validate_conflicts(store: Store) -> list[tuple[str, Result]]:
    """Conflicting troop estimates across the whole store, as SHACL warnings of ``ontology/conflicts.ttl``.

    The shape runs over the stored estimate claims only (``queries/estimate-claims.rq``), a small part of the
    store, rather than over everything.  Each warning comes with the id of the article of its focus claim;
    its message names both claims' numbers, articles and evidence.
    """
    from kg.ns import KG, SCHEMA
    from kg.queries import get_query

    data = store.construct(get_query("estimate-claims").text)
    if not len(data):
        return []
    report = validate_graph("store", data, conflict_shapes())
    found = []
    for result in [*report.violations, *report.warnings]:
        article = data.value(URIRef(result.focus), KG.article)
        doc = data.value(article, SCHEMA.identifier) if article is not None else None
        found.append((str(doc) if doc is not None else result.focus, result))
    return found
