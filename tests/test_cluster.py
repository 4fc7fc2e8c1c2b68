"""``kg ingest --cluster``: a real Dask scheduler and two workers on 127.0.0.1 writing to the tests' Virtuoso.

* a folder of real articles ingested through the cluster gives every article graph a single-process ingest
  gives, triple for triple, and a second run skips every article;
* a worker killed with SIGKILL while it holds a batch loses no article and leaves none half-written;
* a scheduler that goes away fails the run clearly, and a rerun on a new one finishes the job;
* ``--cluster`` refuses the embedded store, and ``kg ingest`` on the embedded store skips what is unchanged.

The scheduler, the workers and each ``kg ingest`` run on one snapshot of the code (as ``tests/test_kill.py``
does): the workers check that their extractor is the client's, and work going on in the tree must not make
them differ mid-test.  Workers run ``--nthreads 1``; batches are one article, so a kill finds work in flight.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kg import ns
from kg.cli import app
from tests.conftest import ROOT, free_port, shared_dir

ARTICLES = 6  # the shortest real articles of ../shared/corpus: a few seconds of spaCy each (enough that a worker
#   is still busy after the first article is written, for the kill test, now that extraction starts warm)
BIN = Path(sys.executable).parent
RUN_TIMEOUT = 240.0
KG = [sys.executable, "-c", "from kg.cli import app; app(prog_name='kg')"]
GRAPH_TRIPLES = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"


@pytest.fixture(scope="module")
def code(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A snapshot of kg (package, ontology, queries) for every process of these tests."""
    snapshot = tmp_path_factory.mktemp("code")
    for name in ("kg", "ontology", "queries"):
        shutil.copytree(ROOT / name, snapshot / name, ignore=shutil.ignore_patterns("__pycache__"))
    return snapshot


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = shared_dir("corpus")
    files = sorted(source.glob("*.json"), key=lambda p: (p.stat().st_size, p.name))[:ARTICLES]
    if len(files) < ARTICLES:
        pytest.skip(f"{source} has fewer than {ARTICLES} JSON articles")
    out = tmp_path_factory.mktemp("cluster") / "articles"
    out.mkdir()
    for path in files:
        shutil.copy(path, out / path.name)
    return out


@pytest.fixture(scope="module")
def doc_ids(folder: Path) -> set[str]:
    return {json.loads(p.read_text(encoding="utf-8"))["id"] for p in folder.iterdir()}


class Cluster:
    """A ``dask scheduler`` and ``dask worker`` processes on 127.0.0.1, started from the code snapshot."""

    def __init__(self, code: Path, env: dict[str, str]) -> None:
        self.env = {**env, "PYTHONPATH": str(code), "PYTHONUNBUFFERED": "1"}
        self.code = code
        self.address = f"tcp://127.0.0.1:{free_port()}"
        self.scheduler = self._spawn(
            [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", self.address.rsplit(":", 1)[1],
             "--no-dashboard"]
        )
        self.workers: list[subprocess.Popen[bytes]] = []

    def _spawn(self, argv: list[str]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(argv, cwd=self.code, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def add_worker(self) -> None:
        self.workers.append(self._spawn(
            [str(BIN / "dask"), "worker", self.address, "--nthreads", "1", "--no-nanny", "--no-dashboard",
             "--host", "127.0.0.1", "--death-timeout", "60"]
        ))

    def live_workers(self) -> list[subprocess.Popen[bytes]]:
        return [w for w in self.workers if w.poll() is None]

    def monitor(self) -> Any:
        """A Dask client of the test's own, to see which worker holds a task."""
        from distributed import Client

        client = Client(self.address, timeout=30)
        client.wait_for_workers(len(self.live_workers()), timeout=60)
        return client

    def stop(self) -> None:
        for proc in [*self.workers, self.scheduler]:
            if proc.poll() is None:
                proc.terminate()
        for proc in [*self.workers, self.scheduler]:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


@pytest.fixture(scope="module")
def cluster(virtuoso: Any, code: Path) -> Iterator[Cluster]:
    running = Cluster(code, {**os.environ, **virtuoso.env()})
    try:
        running.add_worker()
        running.add_worker()
        yield running
    finally:
        running.stop()


def kg(code: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*KG, *args], cwd=code, env={**env, "PYTHONPATH": str(code)}, capture_output=True,
                          text=True, timeout=RUN_TIMEOUT)


def article_graphs(server: Any) -> dict[str, set[tuple[str, str, str]]]:
    """Every article graph in the store, as sets of N-Triples terms."""
    store = server.store()
    try:
        out = {}
        for graph in store.graphs():
            doc = ns.doc_id_of_graph(str(graph))
            if doc is not None:
                triples = store.construct(GRAPH_TRIPLES, {"g": graph})
                out[doc] = {(s.n3(), p.n3(), o.n3()) for s, p, o in triples}
        return out
    finally:
        store.close()


@pytest.fixture(scope="module")
def single_process(virtuoso: Any, code: Path, folder: Path, doc_ids: set[str]) -> dict[str, set[tuple[str, str, str]]]:
    """The article graphs of a plain ``kg ingest`` (one process) of the folder."""
    virtuoso.wipe()
    proc = kg(code, {**os.environ, **virtuoso.env()}, "ingest", str(folder), "--force")
    assert proc.returncode == 0, proc.stderr[-3000:]
    graphs = article_graphs(virtuoso)
    assert set(graphs) == doc_ids
    virtuoso.wipe()
    return graphs


def test_cluster_ingest_equals_one_process_and_a_rerun_skips_everything(
    virtuoso: Any, cluster: Cluster, code: Path, folder: Path, single_process: dict[str, set[tuple[str, str, str]]]
) -> None:
    env = {**os.environ, **virtuoso.env()}
    virtuoso.wipe()
    first = kg(code, env, "ingest", str(folder), "--cluster", cluster.address, "--batch-size", "1")
    assert first.returncode == 0, first.stderr[-3000:]
    assert f"{ARTICLES} stored, 0 failed of {ARTICLES} documents" in first.stderr, first.stderr[-3000:]
    graphs = article_graphs(virtuoso)
    assert set(graphs) == set(single_process)
    for doc, triples in single_process.items():
        assert graphs[doc] == triples, (doc, sorted(triples ^ graphs[doc])[:5])

    again = kg(code, env, "ingest", str(folder), "--cluster", cluster.address)
    assert again.returncode == 0, again.stderr[-3000:]
    assert f"0 stored, 0 failed of {ARTICLES} documents" in again.stderr, again.stderr[-3000:]
    assert f"{ARTICLES} skipped, unchanged since stored" in again.stderr, again.stderr[-3000:]
    assert article_graphs(virtuoso) == graphs


def test_a_worker_killed_mid_run_loses_no_article_and_leaves_none_half_written(
    virtuoso: Any, cluster: Cluster, code: Path, folder: Path, single_process: dict[str, set[tuple[str, str, str]]]
) -> None:
    env = {**os.environ, **virtuoso.env()}
    virtuoso.wipe()
    while len(cluster.live_workers()) < 2:
        cluster.add_worker()
    monitor = cluster.monitor()
    try:
        pids = monitor.run(os.getpid)
        run = subprocess.Popen([*KG, "ingest", str(folder), "--cluster", cluster.address, "--batch-size", "1"],
                               cwd=code, env={**env, "PYTHONPATH": str(code)}, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
        killed = None
        deadline = time.monotonic() + RUN_TIMEOUT
        store = virtuoso.store()
        try:
            # once the first article is written, SIGKILL a worker that holds a batch
            while killed is None and run.poll() is None and time.monotonic() < deadline:
                written = any(ns.doc_id_of_graph(str(g)) for g in store.graphs())
                busy = [addr for addr, keys in monitor.processing().items() if keys]
                if written and busy:
                    killed = pids[busy[0]]
                    os.kill(killed, signal.SIGKILL)
                    break
                time.sleep(0.2)
        finally:
            store.close()
        _, err = run.communicate(timeout=RUN_TIMEOUT)
    finally:
        monitor.close()
    assert killed is not None, f"the run ended before a worker could be killed mid-batch: {err[-2000:]}"
    assert run.returncode == 0, err[-3000:]
    assert f"{ARTICLES} stored, 0 failed of {ARTICLES} documents" in err, err[-3000:]
    graphs = article_graphs(virtuoso)
    assert set(graphs) == set(single_process), "every article stored once"
    for doc, triples in single_process.items():
        assert graphs[doc] == triples, f"{doc} differs from a one-process ingest: {sorted(triples ^ graphs[doc])[:5]}"


def test_a_scheduler_gone_fails_the_run_and_a_rerun_finishes(
    virtuoso: Any, cluster: Cluster, code: Path, folder: Path, single_process: dict[str, set[tuple[str, str, str]]]
) -> None:
    env = {**os.environ, **virtuoso.env()}
    virtuoso.wipe()
    while len(cluster.live_workers()) < 2:
        cluster.add_worker()
    run = subprocess.Popen([*KG, "ingest", str(folder), "--cluster", cluster.address, "--batch-size", "1"],
                           cwd=code, env={**env, "PYTHONPATH": str(code)}, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    store = virtuoso.store()
    deadline = time.monotonic() + RUN_TIMEOUT
    try:
        while run.poll() is None and time.monotonic() < deadline:
            if any(ns.doc_id_of_graph(str(g)) for g in store.graphs()):
                cluster.scheduler.kill()
                break
            time.sleep(0.2)
    finally:
        store.close()
    _, err = run.communicate(timeout=RUN_TIMEOUT)
    assert run.returncode == 2, (run.returncode, err[-3000:])
    assert "lost the Dask scheduler" in err and "run the same command again" in err, err[-3000:]
    # a new scheduler and worker (the old workers, which may finish the batch they hold, are stopped first):
    # the same command finishes the job
    cluster.stop()
    before = article_graphs(virtuoso)
    assert set(before) < set(single_process), "the scheduler went away after the whole folder was stored"
    for doc, triples in before.items():
        assert triples == single_process[doc], f"{doc} is not whole: {sorted(triples ^ single_process[doc])[:5]}"
    replacement = Cluster(code, {**os.environ, **virtuoso.env()})
    try:
        replacement.add_worker()
        again = kg(code, env, "ingest", str(folder), "--cluster", replacement.address, "--batch-size", "1")
    finally:
        replacement.stop()
    assert again.returncode == 0, again.stderr[-3000:]
    assert f"{len(before)} skipped, unchanged since stored" in again.stderr, again.stderr[-3000:]
    graphs = article_graphs(virtuoso)
    assert graphs == single_process


def test_cluster_refuses_the_embedded_store(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["ingest", str(tmp_path), "--cluster", "local:2", "--store",
                                      str(tmp_path / "store")])
    assert result.exit_code == 2, result.output
    assert "--cluster writes from every worker to one SPARQL server" in result.output, result.output
    assert not (tmp_path / "store").exists(), "the embedded store was opened anyway"


def test_embedded_ingest_skips_unchanged_articles_and_force_extracts_them(tmp_path: Path) -> None:
    seed = ROOT / "seeds" / "kursk-north-korea-2024-11.json"
    article = tmp_path / "in" / "a.json"
    article.parent.mkdir()
    shutil.copy(seed, article)
    runner = CliRunner()
    store = ["--store", str(tmp_path / "store")]

    def ingest(*args: str) -> str:
        result = runner.invoke(app, ["ingest", str(article.parent), *store, *args])
        assert result.exit_code == 0, result.output
        return result.output

    assert "1 stored, 0 failed of 1 documents" in ingest()
    again = ingest()
    assert "0 stored, 0 failed of 1 documents" in again and "1 skipped, unchanged since stored" in again, again
    assert "1 stored, 0 failed of 1 documents" in ingest("--force")
    changed = json.loads(seed.read_text(encoding="utf-8"))
    changed["title"] = changed.get("title", "") + " (updated)"
    article.write_text(json.dumps(changed), encoding="utf-8")
    assert "1 stored, 0 failed of 1 documents" in ingest(), "a changed input is extracted again"


def test_an_unreachable_scheduler_or_a_bad_address_is_a_clear_error() -> None:
    from kg.cluster import ClusterUnavailable, Session

    address = f"tcp://127.0.0.1:{free_port()}"  # nothing listens there
    with pytest.raises(ClusterUnavailable, match=f"cannot reach the Dask scheduler at {address}"):
        Session(address, connect_timeout=2).client()
    for spec in ("local:0", "local:two", "scheduler-host"):
        with pytest.raises(ClusterUnavailable, match="--cluster"):
            Session(spec)


def test_which_articles_are_unchanged_is_one_query_a_batch() -> None:
    """The check a re-run makes: one query for a whole batch; an article is skipped only when its stored graph
    records the same input hash and extractor version (no spaCy here: graphs of extractions with no claims)."""
    from dataclasses import replace

    from kg.ingest import Outcome, skip_stored
    from kg.model import Article, Extraction
    from kg.rdf import article_graph
    from kg.store.oxigraph import OxigraphStore

    class Counting(OxigraphStore):
        queries = 0

        def select(self, sparql: str, bindings: Any = None) -> Any:
            Counting.queries += 1
            return super().select(sparql, bindings)

    store = Counting()
    articles = [Article(f"a{i}", f"Troops arrived in town {i}.", title=f"Article {i}") for i in range(6)]
    for article in articles[:5]:  # a5 was never stored
        store.replace_graph(ns.article_graph(article.id), article_graph(Extraction(article)))
    old_version = article_graph(Extraction(articles[4]))  # a4 stored by another extractor version
    old_version.set((ns.article_iri("a4"), ns.KG.extractorVersion, old_version.value(
        ns.article_iri("a4"), ns.KG.extractorVersion) + "-older"))  # type: ignore[operator]
    store.replace_graph(ns.article_graph("a4"), old_version)
    batch = [*articles[:3], replace(articles[3], text="A corrected text."), *articles[4:]]
    out = list(skip_stored(store, [batch]))
    assert Counting.queries == 1
    skipped = [o.doc for o in out if isinstance(o, Outcome)]
    assert skipped == ["a0", "a1", "a2"] and all(o.status == "skipped" for o in out if isinstance(o, Outcome))
    assert [a.id for a in out[-1]] == ["a3", "a4", "a5"]  # type: ignore[union-attr]
    store.close()
