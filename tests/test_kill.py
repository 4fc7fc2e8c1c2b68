"""All or nothing per article, for real: ``kg ingest`` on a folder of real articles is killed with SIGKILL
part-way, several times, on each backend; after each kill the store is opened again and

* every article the killed run reported as stored is there (nothing lost);
* every article graph present is exactly the graph of a fresh extraction of its source (same triples: the
  IRIs are deterministic), so no article is half-written;
* every present article conforms to the shapes, and the entity graph describes every entity it refers to.

A final run that is not killed then stores the whole folder, which is checked the same way.  The runs and
the expected extractions use one snapshot of the code, so work going on in the tree cannot race the test.  The kill
points are counted in "stored" log lines (``kg -v ingest`` logs one per article) plus a random delay, so the
kill lands during extraction, validation or a write; the random seed is fixed so a failure can be re-run.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty, Queue
from typing import Any

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SKOS, XSD
from rdflib.term import Node

from kg import ns
from kg.load import load_path
from kg.model import Article
from kg.store import Store
from kg.store.oxigraph import OxigraphStore
from kg.validate import validate_graph
from tests.conftest import BACKENDS, ROOT, shared_dir

ARTICLES = 32  # real articles copied from ../shared/corpus: the shortest, to keep the test under a minute
KILL_AFTER = (1, 5, 12)  # SIGKILL once this many articles were logged as stored, plus a random delay
SEED = 20241107
RUN_TIMEOUT = 240.0
INGEST = [sys.executable, "-c", "from kg.cli import app; app(prog_name='kg')", "-v", "ingest"]

ENTITY_PREFIX = str(ns.entity_iri("x"))[:-1]
GRAPH_TRIPLES = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"


@dataclass
class Target:
    """A store the ``kg`` subprocess opens by environment, and the test opens after it died."""

    name: str
    env: dict[str, str]
    open: Callable[[], Store]
    server: Any = None  # the Virtuoso server, for the test that crashes it


@dataclass
class Tally:
    runs: int = 0
    kills: int = 0
    checked: int = 0  # article graphs compared with a fresh extraction, summed over the checks
    articles: set[str] = field(default_factory=set)


@pytest.fixture(params=BACKENDS)
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    if request.param == "oxigraph":
        path = tmp_path / "store"
        yield Target("oxigraph", {"KG_STORE": str(path)}, lambda: OxigraphStore(path))
    else:
        server = request.getfixturevalue("virtuoso")
        server.wipe()
        yield Target("virtuoso", server.env(), server.store, server)
        server.wipe()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Article]]:
    """``ARTICLES`` real articles in a folder, and each as the loader reads it, by id."""
    source = shared_dir("corpus")
    folder = tmp_path_factory.mktemp("kill") / "articles"
    folder.mkdir()
    for path in sorted(source.glob("*.json"), key=lambda p: (p.stat().st_size, p.name))[:ARTICLES]:
        shutil.copy(path, folder / path.name)
    articles = {}
    for path in sorted(folder.iterdir()):
        for item in load_path(path):
            assert isinstance(item, Article), item
            articles[item.id] = item
    assert len(articles) == ARTICLES
    return folder, articles


# Run in a subprocess on the code snapshot: the article graph and entity triples of a fresh extraction of
# each article, one article at a time (no batch), as N-Triples.
EXPECT = """
import json, sys
from pathlib import Path
from kg.extract import extract_one
from kg.load import load_path
from kg.rdf import article_graph, entity_triples
out = {}
for path in sorted(Path(sys.argv[1]).iterdir()):
    for article in load_path(path):
        extraction = extract_one(article)
        out[article.id] = [article_graph(extraction).serialize(format="nt"),
                           entity_triples(extraction.entities).serialize(format="nt")]
Path(sys.argv[2]).write_text(json.dumps(out), encoding="utf-8")
"""


class Extractions:
    """The graphs of a fresh extraction of each article, made by the same code as the runs under test."""

    def __init__(self, graphs: dict[str, tuple[Graph, Graph]]) -> None:
        self.graphs = graphs
        self.articles = set(graphs)
        self.conforming: set[str] = set()

    def __getitem__(self, doc: str) -> tuple[Graph, Graph]:
        return self.graphs[doc]


@pytest.fixture(scope="module")
def code(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A snapshot of kg (package, ontology, queries) that the runs and the expected extractions both use:
    the working tree may change while the test runs (other work goes on in it), the snapshot does not."""
    snapshot = tmp_path_factory.mktemp("code")
    for name in ("kg", "ontology", "queries"):
        shutil.copytree(ROOT / name, snapshot / name, ignore=shutil.ignore_patterns("__pycache__"))
    return snapshot


def code_env(code: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    return {**os.environ, **(extra or {}), "PYTHONPATH": str(code), "PYTHONUNBUFFERED": "1"}


@pytest.fixture(scope="module")
def expected_graphs(
    code: Path, corpus: tuple[Path, dict[str, Article]], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[Graph, Graph]]:
    out = tmp_path_factory.mktemp("expected") / "graphs.json"
    proc = subprocess.run(
        [sys.executable, "-c", EXPECT, str(corpus[0]), str(out)],
        cwd=code, env=code_env(code), capture_output=True, text=True, timeout=RUN_TIMEOUT,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(out.read_text(encoding="utf-8"))
    assert set(data) == set(corpus[1])
    return {
        doc: (Graph().parse(data=g, format="nt"), Graph().parse(data=e, format="nt")) for doc, (g, e) in data.items()
    }


@pytest.fixture
def extractions(expected_graphs: dict[str, tuple[Graph, Graph]]) -> Extractions:
    return Extractions(expected_graphs)  # each backend validates its own stored graphs


def canonical(node: Node) -> object:
    """A term as a comparable value: stores may return ``xsd:string`` for a plain literal, or another lexical
    form of the same integer, boolean or date."""
    if isinstance(node, Literal):
        if node.language:
            return ("lang", str(node), node.language.lower())
        if node.datatype in (None, XSD.string):
            return ("str", str(node))
        value = node.toPython()
        if isinstance(value, (bool, int, dt.date)):
            return (str(node.datatype), value)
        return (str(node.datatype), str(node))
    return node


def triples(graph: Graph) -> set[tuple[object, object, object]]:
    return {(canonical(s), canonical(p), canonical(o)) for s, p, o in graph}


@dataclass
class Run:
    ids: dict[str, str]  # file -> article id, to name the articles of "failed: <file>: ..." lines
    stored: set[str] = field(default_factory=set)  # logged as stored
    refused: set[str] = field(default_factory=set)  # reported as rejected by SHACL or failed: must be absent
    failures: list[str] = field(default_factory=list)
    killed: bool = False

    def read(self, line: str) -> None:
        if "kg.ingest: " in line and ": stored " in line:
            self.stored.add(line.split("kg.ingest: ", 1)[1].rsplit(": stored ", 1)[0])
        elif "kg.ingest: " in line and ": skipped, unchanged since stored" in line:  # stored by an earlier run
            self.stored.add(line.split("kg.ingest: ", 1)[1].split(": skipped, ", 1)[0])
        elif line.startswith(("rejected: ", "failed: ")):  # "rejected: <file>: <id>: rejected by SHACL: ..."
            source = line.split(": ", 2)[1]
            self.refused.add(self.ids.get(source, source))
            self.failures.append(line)


def sigkill(proc: subprocess.Popen[str]) -> bool:
    proc.send_signal(signal.SIGKILL)
    return True


def run_and_kill(
    target: Target,
    code: Path,
    folder: Path,
    kill_after: int | None,
    rng: random.Random,
    ids: dict[str, str],
    *,
    trigger: Callable[[subprocess.Popen[str]], bool] = sigkill,
    preexec: Callable[[], None] | None = None,
) -> Run:
    """Run ``kg -v ingest folder``; once ``kill_after`` articles were logged as stored (None: never), call
    ``trigger`` (default: SIGKILL the run; it returns whether it killed the run, else the run goes on).
    Returns what the run logged."""
    proc = subprocess.Popen(
        [*INGEST, str(folder)],
        cwd=code,
        env=code_env(code, target.env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=preexec,
    )
    lines: Queue[str | None] = Queue()

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    run = Run(ids)
    tail: list[str] = []
    deadline = time.monotonic() + RUN_TIMEOUT
    triggered = False
    try:
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=1)
            except Empty:
                continue
            if line is None:
                break
            tail = [*tail[-30:], line]
            run.read(line)
            if kill_after is not None and not triggered and len(run.stored) >= kill_after:
                triggered = True
                time.sleep(rng.uniform(0, 0.6))  # land during extraction, validation or a write
                running = proc.poll() is None
                if trigger(proc):
                    run.killed = running
                    break
        else:
            pytest.fail(f"kg ingest did not finish in {RUN_TIMEOUT}s: {''.join(tail)}")
    finally:
        if proc.poll() is None and not run.killed:
            proc.kill()
        proc.wait(timeout=30)
        reader.join(timeout=10)
    while not lines.empty():  # a line logged between the kill decision and the kill
        line = lines.get()
        if line:
            tail.append(line)
            run.read(line)
    # exit 1 when some article was refused (the SHACL gate, a failed write), each reported on its own line
    allowed = (0, 1) if not run.killed else (-signal.SIGKILL,)
    assert proc.returncode in allowed, (proc.returncode, "".join(tail))
    assert proc.returncode != 1 or run.refused, "".join(tail)
    return run


def check_store(
    target: Target, extractions: Extractions, run: Run, tally: Tally, absent: set[str] | None = None
) -> set[str]:
    """Open the store again and check it article by article; returns the ids present.  ``absent``: the
    articles that must not be there (default: every article the run refused)."""
    absent = run.refused if absent is None else absent
    store = target.open()
    try:
        present = {doc for g in store.graphs() if (doc := ns.doc_id_of_graph(str(g))) is not None}
        lost = run.stored - present
        assert not lost, f"articles reported as stored are missing after the kill: {sorted(lost)}"
        assert not absent & present, f"refused articles were stored: {sorted(absent & present)}"
        assert present <= set(extractions.articles), present - set(extractions.articles)
        entities = store.construct(GRAPH_TRIPLES, {"g": ns.ENTITY_GRAPH})
        entity_set = triples(entities)
        for doc in sorted(present):
            expected, expected_entities = extractions[doc]
            stored = store.construct(GRAPH_TRIPLES, {"g": ns.article_graph(doc)})
            missing, extra = triples(expected) - triples(stored), triples(stored) - triples(expected)
            assert not missing and not extra, (
                f"{doc}: the stored graph differs from a fresh extraction: {len(missing)} triples missing "
                f"(e.g. {sorted(map(str, missing))[:3]}), {len(extra)} extra (e.g. {sorted(map(str, extra))[:3]})"
            )
            described = triples(expected_entities)
            assert described <= entity_set, f"{doc}: entity triples missing: {sorted(map(str, described - entity_set))}"
            referenced = {o for o in stored.objects() if isinstance(o, URIRef) and str(o).startswith(ENTITY_PREFIX)}
            for entity in referenced:
                assert entities.value(entity, RDF.type) is not None, f"{doc}: {entity} has no type in the entity graph"
                assert entities.value(entity, SKOS.prefLabel) is not None, f"{doc}: {entity} has no label"
            if doc not in extractions.conforming:  # the same triples as last time: conformed then
                report = validate_graph(doc, stored + entities)
                assert report.conforms, f"{doc}: {[v.message for v in report.violations]}"
                extractions.conforming.add(doc)
            tally.checked += 1
        tally.articles |= present
        return present
    finally:
        store.close()


@pytest.mark.slow
def test_sigkill_mid_batch_leaves_every_article_whole_or_absent(
    target: Target, code: Path, corpus: tuple[Path, dict[str, Article]], extractions: Extractions
) -> None:
    folder, articles = corpus
    ids = {str(a.source): doc for doc, a in articles.items()}
    rng = random.Random(SEED)
    tally = Tally()
    refused: set[str] = set()
    for kill_after in KILL_AFTER:
        run = run_and_kill(target, code, folder, kill_after, rng, ids)
        tally.runs += 1
        tally.kills += run.killed
        refused |= run.refused
        assert len(run.stored) >= kill_after, run
        present = check_store(target, extractions, run, tally)
        assert len(present) < len(articles) or not run.killed, "the kill came too late to test anything"
    run = run_and_kill(target, code, folder, None, rng, ids)
    tally.runs += 1
    assert not run.killed and run.stored | run.refused == set(articles), set(articles) - run.stored - run.refused
    assert refused <= run.refused, (run.refused, refused)
    present = check_store(target, extractions, run, tally)
    assert present == set(articles) - run.refused
    print(
        f"\n[{target.name}] {tally.runs} runs, {tally.kills} killed with SIGKILL, {tally.checked} article graphs "
        f"checked against a fresh extraction ({len(tally.articles)} distinct articles), nothing lost; "
        f"{len(run.refused)} articles refused by the SHACL gate and absent: {sorted(run.refused)}"
    )


FULL_DISK_BYTES = 1_500_000  # RLIMIT_FSIZE of the run: RocksDB's write-ahead log outgrows it after a few articles


def full_disk() -> None:
    """In the child: no file may grow past ``FULL_DISK_BYTES``, and writing past it fails with EFBIG (as a
    full disk fails with ENOSPC) instead of killing the process."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (FULL_DISK_BYTES, FULL_DISK_BYTES))


@pytest.mark.slow
def test_store_failure_mid_batch_leaves_every_article_whole_or_absent(
    target: Target, code: Path, corpus: tuple[Path, dict[str, Article]], extractions: Extractions
) -> None:
    """The store fails under a running batch: on the embedded store the disk fills up (a file-size limit on
    the ``kg`` process); on Virtuoso the server is killed with SIGKILL, and restarted after the run.  Each
    write that fails is reported and stores nothing, the batch goes on, and the store opens again with every
    article whole or absent; a second run then stores the rest."""
    folder, articles = corpus
    ids = {str(a.source): doc for doc, a in articles.items()}
    rng = random.Random(SEED + 1)
    tally = Tally()
    if target.name == "oxigraph":
        run = run_and_kill(target, code, folder, None, rng, ids, preexec=full_disk)
        problem = ("IO error",)
    else:
        server = target.server

        def crash(proc: subprocess.Popen[str]) -> bool:
            server.kill()
            return False  # the run goes on, and fails to write the rest

        try:
            run = run_and_kill(target, code, folder, 4, rng, ids, trigger=crash)
        finally:
            if server.pid is None:
                server.restart()
        problem = ("cannot reach", "Connection", "unavailable", "writing")
    failed_writes = [line for line in run.failures if line.startswith("failed: ")]
    assert failed_writes and run.stored, (run.stored, run.failures[:3])
    assert all(any(p in line for p in problem) for line in failed_writes), failed_writes[:3]
    rejected = {run.ids.get(line.split(": ", 2)[1], "") for line in run.failures if "rejected by SHACL" in line}
    if target.name == "oxigraph":
        # the embedded store refused each write whole: the failed articles are absent
        assert all("nothing was written" in line for line in failed_writes), failed_writes[:3]
        present = check_store(target, extractions, run, tally)
        assert present == run.stored, (present ^ run.stored)
    else:
        # the write in flight when the server died may have committed or not (its answer was lost): that
        # article may be there, whole; every other failed write found no server and wrote nothing
        present = check_store(target, extractions, run, tally, absent=rejected)
        assert len(present - run.stored) <= 1, present - run.stored
    # the store works again: finishing the batch stores everything the gate accepts
    again = run_and_kill(target, code, folder, None, rng, ids)
    present = check_store(target, extractions, again, tally)
    assert present == set(articles) - again.refused, set(articles) - again.refused - present
    print(
        f"\n[{target.name}] store failure mid-batch: {len(run.stored)} stored, {len(failed_writes)} writes "
        f"failed, reported and left no partial article; {tally.checked} article graphs checked against a fresh "
        "extraction, nothing lost"
    )
