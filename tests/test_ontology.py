"""The ontology, the namespace module and the shapes agree with each other."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from kg import ns
from kg.ns import KG
from kg.paths import data_dir
from kg.rdf import ENTITY_CLASSES
from kg.validate import ontology, shapes

SHAPE_CASES = sorted((Path(__file__).parent / "shapes").glob("*.ttl"))


def declared_terms() -> set[URIRef]:
    graph = ontology()
    kinds = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty}
    terms = {s for kind in kinds for s in graph.subjects(RDF.type, kind) if isinstance(s, URIRef)}
    return terms | {s for s in graph.subjects(RDF.type, KG.Certainty) if isinstance(s, URIRef)}


@pytest.mark.parametrize("name", sorted(KG.__annotations__))
def test_every_namespace_term_is_declared_in_the_ontology(name: str) -> None:
    assert URIRef(str(KG) + name) in declared_terms(), f"kg:{name} is in kg/ns.py but not in ontology/kg.ttl"


def test_misspelt_terms_fail_loudly() -> None:
    with pytest.raises(AttributeError):
        _ = KG.deployr  # type: ignore[attr-defined]


def test_every_ontology_term_is_in_the_namespace_module() -> None:
    names = set(KG.__annotations__)
    missing = {t for t in declared_terms() if str(t).startswith(str(KG)) and str(t)[len(str(KG)):] not in names}
    assert not missing, missing


def test_entity_classes_are_actors_or_locations() -> None:
    graph = ontology()
    for cls in ENTITY_CLASSES.values():
        supers = set(graph.transitive_objects(cls, RDFS.subClassOf))
        assert KG.Actor in supers or KG.Location in supers, cls


def test_shapes_parse_and_carry_messages() -> None:
    graph = shapes()
    from rdflib.namespace import SH

    properties = list(graph.objects(None, SH.property))
    assert properties
    for prop in properties:
        path = graph.value(prop, SH.path)
        assert graph.value(prop, SH.message) is not None, f"shape property {path} has no sh:message"


@pytest.mark.parametrize("case", SHAPE_CASES, ids=[c.stem for c in SHAPE_CASES])
def test_shape_cases(case: Path) -> None:
    """Each tests/shapes/*.ttl holds data and, in comments, the messages SHACL must report (``# expect: ...``)
    or ``# expect: conforms``."""
    from kg.validate import validate_graph

    data = Graph().parse(case)
    expected = [line.split(":", 1)[1].strip() for line in case.read_text().splitlines() if line.startswith("# expect:")]
    report = validate_graph(case.stem, data)
    if expected == ["conforms"]:
        assert report.conforms, report.violations
    else:
        assert sorted({v.message for v in report.violations}) == sorted(expected), report.violations


@pytest.mark.parametrize("case", SHAPE_CASES, ids=[c.stem for c in SHAPE_CASES])
def test_shape_cases_split_in_two_graphs(case: Path) -> None:
    """Ingest validates the article graph and its entity triples as two graphs, unmerged: the same report as
    on their union, and neither graph is changed (the ontology's axioms go into validation's own copy)."""
    from kg.validate import validate_graph

    data = Graph().parse(case)
    types, rest = Graph(), Graph()
    for triple in data:
        (types if triple[1] == RDF.type else rest).add(triple)
    before = (set(types), set(rest))
    assert validate_graph(case.stem, (rest, types)) == validate_graph(case.stem, data)
    assert (set(types), set(rest)) == before


def test_minted_iris_are_stable_and_distinct() -> None:
    assert ns.entity_iri("north-korea") == ns.entity_iri("north-korea")
    assert ns.article_graph("a/b") != ns.article_graph("a-b")
    assert ns.doc_id_of_graph(str(ns.article_graph("a b/ü"))) == "a b/ü"
    assert data_dir("ontology").is_dir()
