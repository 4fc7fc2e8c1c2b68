"""How an article's write is shaped on the way to the store (issue 12, write path), on every backend: the
shorter forms kg sends must store exactly the triples rdflib holds."""

from __future__ import annotations

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import XSD

from kg import ns
from kg.store import Store

EX = "https://w3id.org/kg/test/"
G1 = ns.article_graph("store-writes-1")
P, Q = URIRef(EX + "p"), URIRef(EX + "q")


def stored(store: Store, graph: URIRef) -> set[tuple[object, object, object]]:
    rows = store.select(f"SELECT ?s ?p ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    return {(row["s"], row["p"], row["o"]) for row in rows}


def test_one_subject_with_more_triples_than_a_chunk(store: Store) -> None:
    # one subject's property list runs across several INSERT DATA chunks on the SPARQL server
    big = Graph()
    for i in range(4500):
        big.add((URIRef(EX + "claim"), P, Literal(i)))
    store.replace_graph(G1, big)
    assert store.quad_count(G1) == 4500


def test_subjects_grouped_keep_every_literal_whole(store: Store) -> None:
    # literals that look like the separators of a grouped write (" ;", " .", line ends) stay literals
    texts = ['a ; b', 'ends with .', 'two\nlines', '" ; <x> <y> "z" .', 'tab\there', 'semi;colon', 'x .\n<y> <z> .']
    graph = Graph()
    for i, text in enumerate(texts):
        graph.add((URIRef(EX + "s"), P, Literal(text)))
        graph.add((URIRef(f"{EX}s{i % 2}"), Q, Literal(text, lang="en")))
    graph.add((URIRef(EX + "s"), Q, URIRef(EX + "o")))
    store.replace_graph(G1, graph)
    expected = {
        (s, p, Literal(str(o), datatype=XSD.string) if isinstance(o, Literal) and o.language is None
         and o.datatype is None else o)
        for s, p, o in graph
    }
    assert stored(store, G1) == expected

