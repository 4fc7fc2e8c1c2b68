"""A bounded load test on 127.0.0.1: concurrent readers (REST and SPARQL) while one writer ingests and deletes
articles through the API.  No answer is a 5xx, and no reader ever sees a half-written article: an article is
either absent or has all its claims."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import quote

from kg import ns
from kg.api.app import create_app
from kg.api.deps import Settings
from kg.ingest import store_extraction
from kg.model import Extraction
from kg.store import Store

SEED = json.loads((Path(__file__).resolve().parent.parent / "seeds" / "kursk-north-korea-2024-11.json").read_text())
TOKEN = "load-test-token"
IDS = [f"load/{n}" for n in range(4)]
READERS = 4
MAX_SECONDS = 40


def test_readers_never_see_half_an_article(store: Store, seed_extraction: Extraction, live_server: type) -> None:
    store_extraction(store, seed_extraction)
    full = len(seed_extraction.claims)
    assert full > 0
    app = create_app(store, Settings(api_token=TOKEN, query_workers=2))
    statuses: Counter[int] = Counter()
    problems: list[str] = []
    done = threading.Event()
    lock = threading.Lock()
    writes: list[tuple[float, float]] = []  # when each write was in flight
    reads: list[tuple[float, float]] = []  # when each read was in flight

    def record(status: int, what: str) -> None:
        with lock:
            statuses[status] += 1
            if status >= 500:
                problems.append(f"{what}: {status}")

    def reader(server: Any, n: int) -> None:
        with server.client() as client:
            i = n
            while not done.is_set():
                doc = IDS[i % len(IDS)]
                i += 1
                began = time.monotonic()
                response = client.get("/articles/" + quote(doc, safe=""))
                reads.append((began, time.monotonic()))
                record(response.status_code, f"GET article {doc}")
                if response.status_code == 200 and len(response.json()["claims"]) != full:
                    problems.append(f"{doc}: {len(response.json()['claims'])} of {full} claims over REST")
                sparql = (
                    "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { GRAPH <"
                    + str(ns.article_graph(doc))
                    + "> { ?c a <https://w3id.org/kg/ontology#Claim> } }"
                )
                began = time.monotonic()
                answer = client.get("/sparql", params={"query": sparql})
                reads.append((began, time.monotonic()))
                record(answer.status_code, "SPARQL count " + answer.text[:300])
                if answer.status_code == 200:
                    seen = int(answer.json()["results"]["bindings"][0]["n"]["value"])
                    if seen not in (0, full):
                        problems.append(f"{doc}: {seen} of {full} claims over SPARQL")
                began = time.monotonic()
                record(client.get("/entities/north-korea").status_code, "GET entity")
                reads.append((began, time.monotonic()))

    def writer(server: Any) -> None:
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
        try:
            with server.client() as client:
                for doc in IDS:
                    began = time.monotonic()
                    response = client.post("/articles", content=json.dumps({**SEED, "id": doc}), headers=headers)
                    writes.append((began, time.monotonic()))
                    record(response.status_code, f"POST {doc}")
                began = time.monotonic()
                response = client.delete("/articles/" + quote(IDS[0], safe=""), headers=headers)
                writes.append((began, time.monotonic()))
                record(response.status_code, "DELETE")
                began = time.monotonic()
                response = client.post("/articles", content=json.dumps({**SEED, "id": IDS[0]}), headers=headers)
                writes.append((began, time.monotonic()))
                record(response.status_code, "POST again")
            time.sleep(1)  # readers go on a little after the last write
        finally:
            done.set()

    with live_server(app) as server:
        threads = [threading.Thread(target=reader, args=(server, n)) for n in range(READERS)]
        for thread in threads:
            thread.start()
        writer(server)
        for thread in threads:
            thread.join(MAX_SECONDS)
    assert not problems, problems[:10]
    assert statuses[201] == len(IDS) + 1 and statuses[204] == 1, statuses
    assert sum(statuses.values()) >= 50 and statuses[404] > 0, statuses  # readers ran before and after
    # the race this test is about was reached: reads were in flight while every write was
    unraced = [(w0, w1) for w0, w1 in writes if not any(r0 < w1 and w0 < r1 for r0, r1 in reads)]
    assert len(writes) == len(IDS) + 2 and not unraced, (len(writes), unraced)
    assert len([g for g in store.graphs() if ns.doc_id_of_graph(str(g)) in IDS]) == len(IDS)
    runner = app.state.runner
    if runner.snapshots is not None:  # the embedded store: queries ran on snapshots, all removed at shutdown
        assert runner.snapshots.taken >= 2 and not runner.snapshots.root.exists(), runner.snapshots.root
