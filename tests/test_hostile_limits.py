"""Issue 10, items 2, 5, 6, 7 and 9, against a real uvicorn server on 127.0.0.1:

* a query worker stopped at its memory cap answers 503 and the next query works (a fresh worker);
* runaway SPARQL queries are admitted in bounded numbers (per client: 429; in all: 503) and never take the
  threads ``/health`` and REST need; other reads have a time limit too;
* the query snapshots go to ``KG_SNAPSHOT_DIR``, and a folder that cannot be written fails at start-up;
* ``FROM``/``FROM NAMED`` in a query are honoured on both backends;
* client mistakes are 400s (or 403 for any ``SERVICE``) with a plain message, and the endpoint goes on.
"""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import pytest

from kg import ns
from kg.api.app import create_app
from kg.api.deps import Settings
from kg.errors import KgError
from kg.store import Store

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
ORDER_BY_CROSS = "SELECT ?a ?d WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f LIMIT 1"  # issue 10, item 2


def fill(store: Store, count: int = 3000) -> None:
    triples = " ".join(f"<http://example.org/s{i}> <http://example.org/p> {i} ." for i in range(count))
    store.update(f"INSERT DATA {{ GRAPH <http://example.org/big> {{ {triples} }} }}")


def plain(response: httpx.Response) -> str:
    """The message of a JSON error, checked to name no Python or Rust class."""
    body = response.json()
    message = str(body["message"])
    for leak in ("ValueError", "OSError", "SyntaxError", "RecursionError", "Traceback", "os error", "Exception"):
        assert leak not in message, message
    return message


# item 2: memory -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("store", ["oxigraph"], indirect=True)
def test_a_worker_stopped_at_its_memory_cap_answers_503_and_the_next_query_works(
    store: Store, live_server: type
) -> None:
    fill(store)
    settings = Settings(query_workers=1, query_timeout=60, query_memory_mb=700)
    app = create_app(store, settings)
    with live_server(app) as server, server.client() as client:
        assert client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}).json()["boolean"] is True
        response = client.get("/sparql", params={"query": ORDER_BY_CROSS})
        assert response.status_code == 503, response.text
        assert response.json()["error"] == "QueryOverMemory" and "KG_QUERY_MEMORY_MB" in plain(response)
        again = client.get("/sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"})
        assert again.status_code == 200 and again.json()["results"]["bindings"][0]["n"]["value"] == "3000"


# item 5: fair sharing -------------------------------------------------------------------------------------
def _storm(url: str, count: int, statuses: list[int]) -> list[threading.Thread]:
    def one() -> None:
        try:
            with httpx.Client(base_url=url, timeout=60) as client:
                statuses.append(client.get("/sparql", params={"query": RUNAWAY}).status_code)
        except httpx.HTTPError:
            statuses.append(-1)

    threads = [threading.Thread(target=one, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    return threads


@pytest.mark.parametrize("store", ["oxigraph"], indirect=True)
def test_health_and_rest_answer_under_45_runaway_queries(seeded: Store, live_server: type) -> None:
    fill(seeded)
    settings = Settings(query_workers=1, query_timeout=1.5, query_per_client=100, query_queue=4)
    app = create_app(seeded, settings)
    statuses: list[int] = []
    with live_server(app) as server:
        with server.client() as client:  # a worker up first, so the storm finds one to wait for
            assert client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}).status_code == 200
        threads = _storm(server.url, 45, statuses)
        gate = app.state.gate
        with httpx.Client(base_url=server.url, timeout=1.0) as quick:  # /health must answer within 1 s
            for _ in range(200):
                if gate.in_flight >= 4:
                    break
                threading.Event().wait(0.02)
            assert gate.in_flight == 4, gate.in_flight  # the queue is full: the rest were refused
            for _ in range(5):
                assert quick.get("/health").json() == {"status": "ok"}
        with httpx.Client(base_url=server.url, timeout=10) as client:
            assert client.get("/entities/north-korea").status_code == 200
        for thread in threads:
            thread.join(timeout=60)
    assert len(statuses) == 45
    assert set(statuses) <= {503}, statuses  # refused at once (queue full) or stopped at the time limit
    assert gate.in_flight == 0


@pytest.mark.parametrize("store", ["oxigraph"], indirect=True)
def test_one_client_may_have_only_so_many_queries_in_flight(store: Store, live_server: type) -> None:
    fill(store)
    settings = Settings(query_workers=1, query_timeout=1.5, query_per_client=2, query_queue=10)
    statuses: list[int] = []
    with live_server(create_app(store, settings)) as server:
        for thread in _storm(server.url, 5, statuses):
            thread.join(timeout=60)
    assert statuses.count(429) >= 1, statuses  # all five from 127.0.0.1: at most two in flight
    assert set(statuses) <= {429, 503}, statuses


def test_other_reads_have_a_time_limit(seeded: Store, live_server: type) -> None:
    """``KG_READ_TIMEOUT`` so small no read can meet it: every REST read answers 503; ``/health`` and
    ``/sparql`` (its own limit) are not under it."""
    settings = Settings(query_workers=1, read_timeout=0.0001)
    with live_server(create_app(seeded, settings)) as server, server.client() as client:
        for path in ("/export.graphml", "/entities?q=Kursk", "/queries/troops-by-location?location=Kursk"):
            response = client.get(path)
            assert response.status_code == 503, (path, response.text)
            assert response.json()["error"] == "QueryTimeout" and "KG_READ_TIMEOUT" in plain(response)
        assert client.get("/health").status_code == 200
        assert client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}).status_code == 200


# item 6: snapshots ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("store", ["oxigraph"], indirect=True)
def test_snapshots_go_to_the_configured_folder(seeded: Store, live_server: type, tmp_path: Path) -> None:
    folder = tmp_path / "snapshots"
    settings = Settings.from_env({"KG_SNAPSHOT_DIR": str(folder), "KG_QUERY_WORKERS": "1"})
    assert settings.snapshot_dir == folder
    with live_server(create_app(seeded, settings)) as server, server.client() as client:
        assert client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}).json()["boolean"] is True
        assert [p.name.startswith("kg-store-snapshots-") for p in folder.iterdir()] == [True]
        assert not [p for p in tmp_path.iterdir() if "snapshots" in p.name and p != folder]  # none beside the store
    assert list(folder.iterdir()) == []  # removed at shutdown


@pytest.mark.parametrize("store", ["oxigraph"], indirect=True)
def test_an_unwritable_snapshot_folder_fails_at_start_up(store: Store, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(KgError, match="KG_SNAPSHOT_DIR") as refused:
        create_app(store, Settings(snapshot_dir=blocker / "snapshots"))
    assert str(blocker) in str(refused.value)


# item 7: FROM ---------------------------------------------------------------------------------------------
def test_from_and_from_named_are_honoured(seeded: Store, live_server: type) -> None:
    entities = str(ns.ENTITY_GRAPH)

    def count(client: httpx.Client, query: str, **params: str) -> int:
        response = client.get("/sparql", params={"query": query, **params})
        assert response.status_code == 200, response.text
        return int(response.json()["results"]["bindings"][0]["n"]["value"])

    with live_server(create_app(seeded, Settings(query_workers=1))) as server, server.client() as client:
        union = count(client, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        in_graph = count(client, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{entities}> {{ ?s ?p ?o }} }}")
        assert 0 < in_graph < union
        assert count(client, f"SELECT (COUNT(*) AS ?n) FROM <{entities}> WHERE {{ ?s ?p ?o }}") == in_graph
        named = f"SELECT (COUNT(*) AS ?n) FROM NAMED <{entities}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
        assert count(client, named) == in_graph
        # the protocol's default-graph-uri still wins over the union, as before
        by_protocol = count(client, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", **{"default-graph-uri": entities})
        assert by_protocol == in_graph


# item 9: client mistakes ----------------------------------------------------------------------------------
def test_client_mistakes_are_400_with_a_plain_message(seeded: Store, live_server: type) -> None:
    deep = "SELECT * WHERE " + "{" * 10_000 + " ?s ?p ?o " + "}" * 10_000
    with live_server(create_app(seeded, Settings(query_workers=1))) as server, server.client() as client:
        bad_iri = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }", "default-graph-uri": "http://x/a b<c>"})
        assert bad_iri.status_code == 400 and "default-graph-uri" in plain(bad_iri), bad_iri.text
        relative = client.post("/sparql", data={"query": "ASK { ?s ?p ?o }", "named-graph-uri": "not an iri"})
        assert relative.status_code == 400 and "named-graph-uri" in plain(relative), relative.text
        unbound = client.get("/sparql", params={"query": "SELECT * WHERE { SERVICE ?x { ?s ?p ?o } }"})
        assert unbound.status_code == 403 and "SERVICE" in plain(unbound), unbound.text
        nested = client.post("/sparql", content=deep.encode(), headers={"Content-Type": "application/sparql-query"})
        assert nested.status_code == 400 and "nested too deeply" in plain(nested), nested.text
        syntax = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p }"})
        assert syntax.status_code == 400 and "1:" in plain(syntax), syntax.text
        assert client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}).json()["boolean"] is True


def test_kg_serve_with_an_unwritable_snapshot_folder_says_so_and_exits(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from kg.cli import app

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    env = {"KG_SNAPSHOT_DIR": str(blocker / "snapshots"), "COLUMNS": "500"}
    result = CliRunner().invoke(app, ["serve", "--store", str(tmp_path / "store"), "--create"], env=env)
    assert result.exit_code == 2, result.output
    assert "KG_SNAPSHOT_DIR" in result.output and "Traceback" not in result.output, result.output


def test_a_query_slow_to_check_is_stopped_at_the_time_limit(seeded: Store, live_server: type) -> None:
    """rdflib takes ~5 ms per item of an IN list: the check runs in a worker killed at the time limit."""
    slow = "SELECT * WHERE { ?s ?p ?o FILTER(?o IN (" + ", ".join(str(i) for i in range(5000)) + ")) }"
    settings = Settings(query_workers=1, query_timeout=1)
    with live_server(create_app(seeded, settings)) as server, server.client() as client:
        assert client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}).json()["boolean"] is True
        response = client.post("/sparql", data={"query": slow})
        assert response.status_code == 503 and "checked" in plain(response), response.text
        assert client.get("/health").status_code == 200
        assert client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}).json()["boolean"] is True
