"""The read views of the ``Store`` contract (``version``, ``snapshot``), which the SPARQL endpoint's query
workers read instead of the live store: on every backend, without the service knowing which it has."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph, Literal, URIRef

from kg import ns
from kg.store import Store, open_store
from kg.store.oxigraph import OxigraphStore


def article(text: str) -> Graph:
    graph = Graph()
    graph.add((URIRef(f"https://example.org/{text}"), ns.SCHEMA.text, Literal(text)))
    return graph


def test_a_snapshot_is_the_store_as_it_was_and_version_tells_a_change(store: Store, tmp_path: Path) -> None:
    first = store.version()
    if first is None:  # a store with no snapshot to give (a SPARQL server) says so, and writes none
        assert store.snapshot(tmp_path / "none") is False and not (tmp_path / "none").exists()
        return
    store.replace_graph(ns.article_graph("a"), article("a"))
    after_write = store.version()
    assert after_write != first
    assert store.version() == after_write  # unchanged store, unchanged version: the snapshot still holds
    assert store.snapshot(tmp_path / "snap") is True
    store.replace_graph(ns.article_graph("b"), article("b"))  # written after the snapshot: not in it
    copy = open_store(tmp_path / "snap", read_only=True)
    try:
        assert copy.graphs() == [ns.article_graph("a")]
    finally:
        copy.close()
    assert sorted(store.graphs()) == sorted([ns.article_graph("a"), ns.article_graph("b")])


def test_an_in_memory_store_has_no_snapshot_to_give(tmp_path: Path) -> None:
    memory = OxigraphStore(None)
    assert memory.version() is None and memory.snapshot(tmp_path / "x") is False
    assert not (tmp_path / "x").exists()
