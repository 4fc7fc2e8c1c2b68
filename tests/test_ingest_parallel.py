"""Parallel ingest: worker processes give the same graphs as one process, and several ``kg ingest`` processes
writing to one SPARQL server at once lose none of each other's articles."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kg import ns
from kg.errors import InputError
from kg.ingest import ingest
from kg.load import load_path
from kg.model import Article, Extraction
from kg.store import Store
from tests.conftest import shared_dir

ARTICLES = 6
KG = Path(sys.executable).parent / "kg"  # the console script installed beside this interpreter


def _corpus(tmp_path: Path, n: int = ARTICLES) -> list[Path]:
    """The first ``n`` real articles of ../shared/corpus, copied one file each."""
    folder = shared_dir("corpus")
    files = sorted(folder.glob("*.json"))[:n]
    if len(files) < n:
        pytest.skip(f"{folder} has fewer than {n} JSON articles")
    out = []
    for path in files:
        target = tmp_path / "articles" / path.name
        target.parent.mkdir(exist_ok=True)
        shutil.copy(path, target)
        out.append(target)
    return out


def _documents(paths: list[Path]) -> Iterator[Article | InputError]:
    for path in paths:
        yield from load_path(path)


def _doc_ids(paths: list[Path]) -> set[str]:
    return {json.loads(p.read_text(encoding="utf-8"))["id"] for p in paths}


def test_workers_store_the_same_graphs_as_one_process(store: Store, tmp_path: Path) -> None:
    paths = _corpus(tmp_path, 4)
    serial = list(ingest(store, _documents(paths), batch_size=1, n_process=1))
    assert all(o.ok for o in serial), [o.message for o in serial if not o.ok]
    before = {g: store.quad_count(g) for g in store.graphs()}
    parallel = list(ingest(store, _documents(paths), batch_size=2, n_process=2))  # batched writes
    assert [o.doc for o in parallel] == [o.doc for o in serial], "outcomes come in input order"
    assert [o.triples for o in parallel] == [o.triples for o in serial]
    after = {g: store.quad_count(g) for g in store.graphs()}
    entities_before, entities_after = before.pop(ns.ENTITY_GRAPH), after.pop(ns.ENTITY_GRAPH)
    assert after == before, "every article graph is the same"
    # The entity graph is add-only; what a worker process adds can differ slightly from the serial run
    # (the extractor's per-process state, e.g. labels seen earlier in the same process), never less.
    assert entities_after >= entities_before


def test_concurrent_ingest_processes_lose_no_article(virtuoso: object, tmp_path: Path) -> None:
    paths = _corpus(tmp_path)
    halves = [paths[0::2], paths[1::2]]
    server = virtuoso
    server.wipe()  # type: ignore[attr-defined]
    env = {**os.environ, **server.env()}  # type: ignore[attr-defined]
    procs = [
        subprocess.Popen(
            [str(KG), "ingest", *map(str, half), "--batch-size", "1"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for half in halves
    ]
    outputs = [p.communicate(timeout=600)[0] for p in procs]
    for proc, output in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, output
    store = server.store()  # type: ignore[attr-defined]
    try:
        graphs = set(store.graphs())
        expected = {ns.article_graph(doc) for doc in _doc_ids(paths)}
        assert expected <= graphs, (expected - graphs, outputs)
        assert ns.ENTITY_GRAPH in graphs
        for graph in expected:
            assert store.quad_count(graph) > 0, graph
    finally:
        store.close()
        server.wipe()  # type: ignore[attr-defined]


def test_received_graph_is_the_graph_it_was_sent_as() -> None:
    """What the parent hands the store for a worker's N-Triples: the same text and count without parsing,
    and the same triples to anything that reads them."""
    from rdflib import Graph, Literal, URIRef

    from kg.ingest import ReceivedGraph

    sent = Graph()
    sent.add((URIRef("https://example.org/a"), URIRef("https://example.org/p"), Literal("two\nlines ü")))
    sent.add((URIRef("https://example.org/a"), URIRef("https://example.org/q"), Literal(3)))
    text = sent.serialize(format="nt")
    received = ReceivedGraph(text, len(sent))
    assert len(received) == 2
    assert received.serialize(format="nt") == text
    assert set(received) == set(sent)
    assert len(received) == 2
    assert received.isomorphic(sent)
    empty = ReceivedGraph("", 0)
    assert len(empty) == 0 and not list(empty) and not empty.serialize(format="nt").strip()


# what each worker does to an article before it is written ------------------------------------------------
def test_ingest_leaves_out_only_the_shapes_of_derived_triples() -> None:
    """Ingest validates the claims before kg.rdf adds their derived copies, so only the shapes whose every path
    is a ``kg:derivedFrom`` property are left out, and only the class hierarchy of the ontology goes in."""
    from rdflib.namespace import RDFS, SH

    from kg.ns import KG
    from kg.validate import class_hierarchy, ingest_shapes, ontology, ontology_axioms, shapes

    derived = set(ontology().subjects(KG.derivedFrom, None))
    full = shapes()
    every, kept = set(full.subjects(SH.property, None)), set(ingest_shapes().subjects(SH.property, None))
    left_out = {s for s in every if all(full.value(p, SH.path) in derived for p in full.objects(s, SH.property))}
    assert left_out == every - kept and left_out, (left_out, every - kept)
    assert {str(s).rsplit("#", 1)[-1] for s in left_out} == {"DerivedClaimShape"}
    assert set(class_hierarchy()) == set(ontology_axioms().triples((None, RDFS.subClassOf, None)))


def test_ingest_stores_the_whole_graph_and_it_passes_every_shape(seed_extraction: Extraction) -> None:
    """The graph ingest writes is ``article_graph``'s, derived triples included, and it conforms to all the
    shapes (``kg validate`` of the store runs them all); a broken one gets no derived triples."""
    import dataclasses

    from kg.ingest import build_graphs
    from kg.model import Deployment
    from kg.rdf import article_graph
    from kg.validate import validate_graph

    graph, entities, report = build_graphs(seed_extraction)
    assert report.conforms, report.violations
    assert set(graph) == set(article_graph(seed_extraction))
    assert validate_graph("seed-001", (graph, entities)).conforms
    claim = seed_extraction.deployments[0]
    assert isinstance(claim.subject, Deployment)
    inverted = dataclasses.replace(claim.subject, troops_min=12000, troops_max=10000)
    broken = dataclasses.replace(seed_extraction, claims=[dataclasses.replace(claim, subject=inverted)])
    graph, _, report = build_graphs(broken)
    assert [v.message for v in report.violations] == ["The minimum troop count is above the maximum."]
    assert not any(graph.triples((None, ns.KG.subjectType, None))), "derived triples of a rejected graph"
