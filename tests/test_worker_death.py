"""An extraction worker process killed mid-batch (SIGKILL, as the kernel's out-of-memory killer does) fails
the articles in flight, each with its own outcome and nothing of it stored, instead of hanging the ingest or
the HTTP request; the later articles go to fresh worker processes."""

from __future__ import annotations

import dataclasses
import json
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any, cast

import httpx
import pytest

from kg import ns
from kg.api.app import create_app
from kg.api.articles import extraction_pool
from kg.api.deps import Settings
from kg.ingest import WORKER_DIED, Outcome, ingest
from kg.model import Article
from kg.store import Store

SEED = json.loads((Path(__file__).resolve().parent.parent / "seeds" / "kursk-north-korea-2024-11.json").read_text())
TOKEN = "worker-death-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
WAIT = 180  # seconds: the most any step may take (workers load spaCy when they start); a hang fails, not waits


def _articles(seed: Article, n: int) -> list[Article]:
    return [dataclasses.replace(seed, id=f"doc-{i}", source=f"test:{i}") for i in range(n)]


@pytest.mark.timeout(2 * WAIT)
def test_ingest_goes_on_after_a_worker_is_killed(seed_article: Article, tmp_path: Path) -> None:
    from kg.store.oxigraph import OxigraphStore

    store = OxigraphStore(tmp_path / "store")
    try:
        _kill_a_worker_mid_ingest(store, seed_article)
    finally:
        store.close()


def _kill_a_worker_mid_ingest(store: Store, seed_article: Article) -> None:
    before = {p.pid for p in multiprocessing.active_children()}
    articles = _articles(seed_article, 8)
    outcomes = cast(Generator[Outcome, None, None], ingest(store, iter(articles), batch_size=1, n_process=2))
    try:
        first = next(outcomes)  # the pool's workers are up and the next batches are in flight
        assert first.status == "stored", first.message
        workers = [p for p in multiprocessing.active_children() if p.pid not in before]
        assert len(workers) == 2, workers
        pid = workers[0].pid
        assert pid is not None and pid > 0, workers
        os.kill(pid, signal.SIGKILL)
        started = time.monotonic()
        rest = []
        for outcome in outcomes:
            rest.append(outcome)
            assert time.monotonic() - started < WAIT, "ingest stalled after the worker died"
    finally:
        outcomes.close()  # stops its pool if an assertion left it early
    every = [first, *rest]
    assert [o.doc for o in every] == [a.id for a in articles], "one outcome per document, in input order"
    died = [o for o in every if o.status == "failed"]
    assert died, [(o.doc, o.status) for o in every]
    for outcome in died:
        assert outcome.message.startswith(WORKER_DIED), outcome.message
        assert outcome.source and outcome.doc.startswith("doc-")
        assert store.quad_count(ns.article_graph(outcome.doc)) == 0, f"{outcome.doc} half-stored"
    assert every[-1].status == "stored", "the articles after the death went to fresh workers"
    assert {o.status for o in every} == {"stored", "failed"}


def _post(client: httpx.Client, doc_id: str) -> httpx.Response:
    body = json.dumps({**SEED, "id": doc_id}).encode()
    return client.post("/articles", content=body, headers={"Content-Type": "application/json", **AUTH})


@pytest.mark.timeout(2 * WAIT)
def test_post_fails_when_its_worker_is_killed_and_the_next_one_is_served(
    tmp_path: Path, live_server: type, caplog: pytest.LogCaptureFixture
) -> None:
    """One backend: the worker's death is the same whichever store the parent writes to."""
    from kg.store.oxigraph import OxigraphStore

    store = OxigraphStore(tmp_path / "store")
    try:
        _kill_the_worker_of_a_request(store, live_server, caplog)
    finally:
        store.close()


def _kill_the_worker_of_a_request(store: Store, live_server: type, caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(api_token=TOKEN, query_workers=1, ingest_workers=1)
    pool = extraction_pool(1)  # the pool the server's POST /articles uses
    pid = pool.executor.submit(os.getpid).result(timeout=WAIT)  # the one worker (its spaCy loaded)
    caplog.set_level(logging.DEBUG, logger="kg.ingest")
    answer: dict[str, Any] = {}
    with live_server(create_app(store, settings)) as server, httpx.Client(base_url=server.url, timeout=WAIT) as client:

        def post() -> None:
            answer["response"] = _post(client, "doomed")

        thread = threading.Thread(target=post, daemon=True)
        thread.start()
        deadline = time.monotonic() + WAIT
        while not any("sent to the extraction workers" in r.getMessage() for r in caplog.records):
            assert time.monotonic() < deadline and thread.is_alive(), "the request never reached the workers"
            time.sleep(0.01)
        os.kill(pid, signal.SIGKILL)
        thread.join(timeout=WAIT)
        assert not thread.is_alive(), "POST /articles hung after its worker died"
        response = answer["response"]
        assert response.status_code == 500, response.text
        message = response.json()["message"]
        assert message.startswith(f"doomed: {WORKER_DIED}"), message
        assert client.get("/articles/doomed").status_code == 404
        assert ns.article_graph("doomed") not in store.graphs(), "nothing half-written"
        after = _post(client, "served")  # fresh workers
        assert after.status_code == 201, after.text
        assert client.get("/articles/served").status_code == 200
    assert pool.executor.submit(os.getpid).result(timeout=WAIT) != pid, "a fresh worker"
