"""The derived short paths kg writes beside each claim (ontology/kg.ttl, "derived") always agree with the
n-ary claims they copy (issue 12, item 1): on the real extractions of the seed and corpus articles, for every
property the ontology annotates with ``kg:derivedFrom``, the pairs it holds are exactly those its chain gives."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import BNode, Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDFS, SKOS
from rdflib.term import Node

from kg.ingest import store_extraction
from kg.model import Extraction
from kg.ns import KG
from kg.store.oxigraph import OxigraphStore
from kg.validate import ontology
from tests.test_queries_backends import corpus_extractions


@pytest.fixture(scope="module")
def stored(seed_extraction: Extraction, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphStore]:
    store = OxigraphStore(Path(tmp_path_factory.mktemp("derived")) / "store")
    for extraction in corpus_extractions(seed_extraction):
        assert store_extraction(store, extraction).ok
    yield store
    store.close()


def _step(graph: Graph, node: Node) -> str:
    if isinstance(node, BNode):  # [ owl:inverseOf p ]
        inverse = graph.value(node, OWL.inverseOf)
        assert isinstance(inverse, URIRef), node
        return f"^<{inverse}>"
    return f"<{node}>"


def chain_path(graph: Graph, head: Node) -> str:
    """The SPARQL property path of a kg:derivedFrom value: one chain, or a list of alternative chains.  Built
    from the ontology's own IRIs (no user input)."""
    items = list(Collection(graph, head))
    if items and all(isinstance(i, BNode) and graph.value(i, OWL.inverseOf) is None for i in items):
        return "|".join(f"({chain_path(graph, i)})" for i in items)
    return "/".join(_step(graph, i) for i in items)


def derived_properties() -> list[tuple[URIRef, str, URIRef]]:
    graph = ontology()
    out = []
    for prop, head in graph.subject_objects(KG.derivedFrom):
        domain = graph.value(prop, RDFS.domain)
        assert isinstance(prop, URIRef) and isinstance(domain, URIRef), prop
        out.append((prop, chain_path(graph, head), domain))
    return sorted(out)


def test_the_ontology_declares_what_kg_derives() -> None:
    names = {str(p).rsplit("#", 1)[1] for p, _, _ in derived_properties()}
    assert {"involves", "mentionsActor", "claimDeployer", "claimantNames", "evidenceText", "published"} <= names


def pairs(store: OxigraphStore, pattern: str) -> set[tuple[Node, Node]]:
    return {(row["s"], row["o"]) for row in store.select(f"SELECT DISTINCT ?s ?o WHERE {{ {pattern} }}")}


@pytest.mark.parametrize("prop,path,domain", derived_properties(), ids=lambda v: str(v).rsplit("#", 1)[-1][:40])
def test_derived_triples_agree_with_the_claims(stored: OxigraphStore, prop: URIRef, path: str, domain: URIRef) -> None:
    derived = pairs(stored, f"?s <{prop}> ?o")
    chained = pairs(stored, f"?s a <{domain}> . ?s {path} ?o")
    assert derived or not chained, f"{prop} is never written"  # (these articles name no on-behalf-of)
    if prop == KG.claimantNames:  # the claimants' labels, sorted and joined
        by_claim: dict[Node, set[str]] = {}
        for s, o in chained:
            by_claim.setdefault(s, set()).add(str(o))
        assert {(s, str(o)) for s, o in derived} == {(s, "; ".join(sorted(v))) for s, v in by_claim.items()}
    elif path.endswith(f"<{SKOS.prefLabel}>"):  # an entity may carry more than one label across articles
        assert derived <= chained, sorted(derived - chained)[:3]
        assert {s for s, _ in derived} == {s for s, _ in chained}
    else:
        assert derived == chained, (sorted(derived - chained)[:3], sorted(chained - derived)[:3])
