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


def derived_properties() -> list[tuple[URIRef, str, URIRef | None]]:
    """Each derived property, its chain as a SPARQL path, and its domain (None: any subject, kg:claimDay's
    entities of every type)."""
    graph = ontology()
    out = []
    for prop, head in graph.subject_objects(KG.derivedFrom):
        domain = graph.value(prop, RDFS.domain)
        assert isinstance(prop, URIRef) and isinstance(domain, URIRef | None), prop
        assert domain is not None or prop == KG.claimDay, f"{prop} has no rdfs:domain"
        out.append((prop, chain_path(graph, head), domain))
    return sorted(out, key=str)


def test_the_ontology_declares_what_kg_derives() -> None:
    names = {str(p).rsplit("#", 1)[1] for p, _, _ in derived_properties()}
    assert {"involves", "mentionsActor", "claimDeployer", "claimantNames", "evidenceText", "published",
            "claimDay"} <= names


def pairs(store: OxigraphStore, pattern: str) -> set[tuple[Node, Node]]:
    return {(row["s"], row["o"]) for row in store.select(f"SELECT DISTINCT ?s ?o WHERE {{ {pattern} }}")}


@pytest.mark.parametrize("prop,path,domain", derived_properties(), ids=lambda v: str(v).rsplit("#", 1)[-1][:40])
def test_derived_triples_agree_with_the_claims(stored: OxigraphStore, prop: URIRef, path: str,
                                              domain: URIRef | None) -> None:
    derived = pairs(stored, f"?s <{prop}> ?o")
    chained = pairs(stored, f"?s a <{domain}> . ?s {path} ?o" if domain is not None else f"?s {path} ?o")
    if prop == KG.claimDay:  # an entity of a claim from an undated article has the day "", which sorts first
        chained |= pairs(stored, f"?claim <{KG.involves}> ?s FILTER NOT EXISTS {{ ?claim <{KG.published}> ?d }} "
                                 'BIND("" AS ?o)')
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


def test_each_claim_day_is_in_the_graph_of_an_article_of_that_day(stored: OxigraphStore) -> None:
    """kg:claimDay lives in the article's own graph (a page finds the day's claims of an entity in the graphs
    that hold its day), beside a claim of that graph that involves the entity, of that day."""
    rows = stored.select(f"""SELECT ?g ?s ?o WHERE {{ GRAPH ?g {{ ?s <{KG.claimDay}> ?o }}
        FILTER NOT EXISTS {{ GRAPH ?g {{ ?claim <{KG.involves}> ?s }}
                             OPTIONAL {{ GRAPH ?g {{ ?claim <{KG.published}> ?on }} }}
                             FILTER(COALESCE(STR(?on), "") = STR(?o)) }} }}""")
    assert not rows, rows[:3]
    assert stored.select(f"SELECT ?s WHERE {{ ?s <{KG.claimDay}> ?o }} LIMIT 1")


def test_an_undated_article_gives_its_entities_the_empty_day(seed_extraction: Extraction) -> None:
    """An article without a date still gives its entities a day, "": their claims sort first and a page must
    find them by their day like any other."""
    from dataclasses import replace

    from rdflib import Literal

    from kg.rdf import article_graph

    undated = replace(seed_extraction, article=replace(seed_extraction.article, published=None))
    graph = article_graph(undated)
    days = set(graph.objects(None, KG.claimDay))
    assert days == {Literal("")}
    assert {s for s, _ in graph.subject_objects(KG.claimDay)} == set(graph.objects(None, KG.involves))
