"""A bounded load test on 127.0.0.1, on each backend: concurrent readers while one writer ingests real articles
through ``POST /articles`` with the token.  A few thousand requests in well under a minute; it passes when

* no request got a 5xx answer;
* no reader ever saw a half-written article (on Virtuoso 7.2, which cannot promise it, a sighting is an xfail:
  see the end of the test): every article graph a reader counted had exactly the triples it
  has once all writes are done, every claim it saw had its evidence, every article it fetched had all its
  claims, and no article it had seen vanished while it was being re-ingested (replaced).

Timing is not asserted (that belongs in ``bench/``); the bounds only keep the test short.
"""

from __future__ import annotations

import itertools
import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote

import httpx
import pytest

from kg import ns
from kg.api.app import create_app
from kg.api.deps import Settings
from kg.store import Store
from kg.store.sparql import SparqlStore
from tests.conftest import shared_dir

TOKEN = "load-test-token"
ARTICLES = 12  # the shortest real articles of ../shared/corpus
READERS = 6
REINGEST = 4  # articles posted a second time while the readers read
TARGET_REQUESTS = 2000
MAX_SECONDS = 45.0

GRAPH_SIZES = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
CLAIMS_WITHOUT_EVIDENCE = """
PREFIX kg: <https://w3id.org/kg/ontology#>
PREFIX oa: <http://www.w3.org/ns/oa#>
SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE {
  ?c a kg:Claim .
  FILTER NOT EXISTS {
    ?c kg:evidence ?e . ?e oa:hasSelector ?q . ?q oa:exact ?x . ?e oa:hasSelector ?p . ?p oa:start ?s
  }
}"""


@dataclass
class Seen:
    """What the readers saw, merged across threads under one lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    graph_sizes: dict[str, set[int]] = field(default_factory=dict)
    article_claims: dict[str, set[int]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # time spent answering, by first path segment
    observations: int = 0  # article graphs and articles checked while the writer was writing

    def record(self, response: httpx.Response) -> None:
        with self.lock:
            self.statuses[response.status_code] += 1
            path = response.request.url.path.split("/")[1]
            self.seconds[path] = self.seconds.get(path, 0.0) + response.elapsed.total_seconds()
            if response.status_code >= 500:
                self.server_errors.append(f"{response.request.method} {response.request.url}: {response.text[:300]}")

    @property
    def total(self) -> int:
        with self.lock:
            return sum(self.statuses.values())


@pytest.fixture(scope="module")
def bodies() -> dict[str, bytes]:
    folder = shared_dir("corpus")
    paths = sorted(folder.glob("*.json"), key=lambda p: (p.stat().st_size, p.name))[:ARTICLES]
    return {json.loads(p.read_text(encoding="utf-8"))["id"]: p.read_bytes() for p in paths}


def reader(client: httpx.Client, seen: Seen, ids: list[str], stop: threading.Event, seed: int) -> None:
    rng = random.Random(seed)

    present: set[str] = set()  # what this reader has seen stored: re-ingest replaces, it never removes

    def sizes() -> None:
        response = client.get("/sparql", params={"query": GRAPH_SIZES})
        seen.record(response)
        if response.status_code != 200:
            return
        now = set()
        for row in response.json()["results"]["bindings"]:
            doc = ns.doc_id_of_graph(row["g"]["value"])
            if doc is not None:
                now.add(doc)
                with seen.lock:
                    seen.graph_sizes.setdefault(doc, set()).add(int(row["n"]["value"]))
                    seen.observations += 1
        if present - now:
            with seen.lock:
                seen.problems.append(f"articles vanished while being re-ingested: {sorted(present - now)}")
        present.update(now)

    def evidence() -> None:
        response = client.get("/sparql", params={"query": CLAIMS_WITHOUT_EVIDENCE})
        seen.record(response)
        if response.status_code == 200:
            n = int(response.json()["results"]["bindings"][0]["n"]["value"])
            if n:
                with seen.lock:
                    seen.problems.append(f"{n} claims seen without their evidence")

    def article() -> None:
        doc = rng.choice(ids)
        response = client.get(f"/articles/{quote(doc, safe='')}")
        seen.record(response)
        if response.status_code == 200:
            with seen.lock:
                seen.article_claims.setdefault(doc, set()).add(len(response.json()["claims"]))
                seen.observations += 1
        elif response.status_code != 404:
            with seen.lock:
                seen.problems.append(f"GET /articles/{doc}: {response.status_code} {response.text[:200]}")

    def rest() -> None:
        for path, params in (
            ("/queries/troops-by-location", {"location": "Kursk"}),
            ("/entities", {"q": "Russia"}),
            ("/reports/conflicts", {}),
            ("/health", {}),
        ):
            seen.record(client.get(path, params=params))

    checks: list[Callable[[], None]] = [sizes, evidence, article, article, rest]
    for check in itertools.cycle(checks):
        if stop.is_set():
            return
        try:
            check()
        except httpx.HTTPError as exc:
            with seen.lock:
                seen.problems.append(f"{check.__name__}: {type(exc).__name__}: {exc}")


def test_concurrent_readers_never_see_a_half_written_article(
    store: Store, live_server: type, bodies: dict[str, bytes]
) -> None:
    settings = Settings(api_token=TOKEN, query_workers=2, query_timeout=30)
    seen = Seen()
    posted: dict[str, int] = {}
    stop = threading.Event()
    ids = list(bodies)
    with live_server(create_app(store, settings)) as server:

        def writer() -> None:
            # every article once, then the first few again: a re-ingest replaces a stored article's graph
            again = list(bodies.items())[:REINGEST]
            with server.client() as client:
                for doc, body in [*bodies.items(), *again]:
                    response = client.post(
                        "/articles",
                        content=body,
                        headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"},
                    )
                    seen.record(response)
                    posted[doc] = response.status_code

        clients = [server.client() for _ in range(READERS)]
        threads = [
            threading.Thread(target=reader, args=(c, seen, ids, stop, n), daemon=True) for n, c in enumerate(clients)
        ]
        write = threading.Thread(target=writer, daemon=True)
        started = time.monotonic()
        write.start()
        for thread in threads:
            thread.start()
        while time.monotonic() - started < MAX_SECONDS:
            if not write.is_alive() and seen.total >= TARGET_REQUESTS:
                break
            time.sleep(0.1)
        stop.set()
        write.join(timeout=60)
        for thread in threads:
            thread.join(timeout=60)
        for client in clients:
            client.close()
        elapsed = time.monotonic() - started

        # the state once every write is done
        with server.client() as client:
            final_sizes = {
                doc: int(row["n"]["value"])
                for row in client.get("/sparql", params={"query": GRAPH_SIZES}).json()["results"]["bindings"]
                if (doc := ns.doc_id_of_graph(row["g"]["value"])) is not None
            }
            final_claims = {}
            for doc in ids:
                response = client.get(f"/articles/{quote(doc, safe='')}")
                if response.status_code == 200:
                    final_claims[doc] = len(response.json()["claims"])

    assert not write.is_alive(), "the writer did not finish"
    # 422: the extractor's graph broke a shape, the gate refused it, and it must never have been visible
    assert set(posted) == set(ids) and set(posted.values()) <= {201, 422}, posted
    stored = {doc for doc, status in posted.items() if status == 201}
    assert len(stored) >= len(ids) // 2, posted
    assert not seen.server_errors, seen.server_errors[:5]
    assert set(final_sizes) == set(final_claims) == stored, (stored, set(final_sizes), set(final_claims))
    refused_seen = (set(seen.graph_sizes) | set(seen.article_claims)) - stored
    assert not refused_seen, f"articles refused by the SHACL gate were visible: {refused_seen}"
    half = {doc: sorted(sizes) for doc, sizes in seen.graph_sizes.items() if sizes != {final_sizes.get(doc)}}
    partial = {doc: sorted(n) for doc, n in seen.article_claims.items() if n != {final_claims.get(doc)}}
    if (seen.problems or half or partial) and isinstance(store, SparqlStore):
        # Virtuoso 7.2 has no snapshot reads: a commit releases its rows one by one, so a query running during
        # the commit of a new article graph can count part of it, under read committed and repeatable read
        # alike (measured: a quarter, a half, three quarters of the graph; kg/store/sparql.py, "Isolation").
        # The write itself stays all or nothing; the other findings above are still asserted.
        pytest.xfail(f"Virtuoso 7.2 showed a commit in progress: {seen.problems[:2]} {half} {partial}")
    assert not seen.problems, seen.problems[:5]
    assert not half, f"article graphs seen with another number of triples than when complete: {half} vs {final_sizes}"
    assert not partial, f"articles seen with another number of claims than when complete: {partial} vs {final_claims}"
    assert seen.graph_sizes and seen.article_claims, "the readers saw no article at all"
    assert seen.total >= 300, f"only {seen.total} requests in {elapsed:.0f}s: the test checked too little"
    print(
        f"\n{seen.total} requests in {elapsed:.1f}s ({READERS} readers, 1 writer, {len(stored)} of {len(ids)} "
        f"articles stored): {dict(sorted(seen.statuses.items()))}; {seen.observations} article graphs and "
        f"articles checked, none half-written; seconds by endpoint: { {k: round(v) for k, v in seen.seconds.items()} }"
    )

