"""``KG_QUERY_TIMEOUT`` reaches Virtuoso with each query: the server stops a slow query itself, and its
partial "anytime" answer (200 with ``X-SQL-State: S1TAT``) is a ``QueryTimeout`` (503), never rows passed
off as complete.  On the tests' real Virtuoso, with a query made slow by a cross product."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from rdflib import Graph, Literal, URIRef

from kg.api.app import create_app
from kg.api.deps import Settings
from kg.errors import QueryTimeout
from kg.store.sparql import SparqlStore

EX = "https://w3id.org/kg/test/timeout/"
# 5,000 x 5,000 pairs, each with arithmetic: tens of seconds of work, well under Virtuoso's cost estimate limit
SLOW = f"""SELECT ?a ?b WHERE {{ GRAPH <{EX}g> {{
  ?a <{EX}n> ?x . ?b <{EX}n> ?y . FILTER(?x * ?y = -1) }} }}"""


@pytest.fixture
def numbers(virtuoso: Any) -> Iterator[Any]:
    """Virtuoso holding 5,000 numbered subjects."""
    server = virtuoso
    server.wipe()
    store = server.store()
    graph = Graph()
    for i in range(5000):
        graph.add((URIRef(f"{EX}s{i}"), URIRef(f"{EX}n"), Literal(i)))
    store.replace_graph(URIRef(f"{EX}g"), graph)
    store.close()
    yield server
    server.wipe()


def test_the_server_stops_a_slow_query_and_its_partial_answer_is_refused(numbers: Any) -> None:
    store: SparqlStore = numbers.store(query_timeout=1.0)
    try:
        # marked S1TAT by the server, or (Virtuoso 7.2 does not always mark it) arriving past the limit
        with pytest.raises(QueryTimeout, match=r"S1TAT|after the query's time limit"):
            store.select(SLOW)
        # a quick query under the same limit answers whole
        rows = store.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{EX}g> {{ ?s ?p ?o }} }}")
        assert int(rows[0]["n"]) == 5000  # type: ignore[call-overload]
    finally:
        store.close()


def test_the_sparql_endpoint_answers_503(numbers: Any, live_server: type) -> None:
    store: SparqlStore = numbers.store()  # no limit of its own: the API's KG_QUERY_TIMEOUT is sent
    try:
        app = create_app(store, Settings(query_timeout=1.0, query_workers=1))
        with live_server(app) as server, server.client() as http:
            accept = {"Accept": "application/sparql-results+json"}
            response = http.get("/sparql", params={"query": SLOW}, headers=accept)
        assert response.status_code == 503, response.text
        assert response.json()["error"] == "QueryTimeout", response.text
    finally:
        store.close()


def test_the_limit_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KG_QUERY_TIMEOUT", "2.5")
    store = SparqlStore.from_env("http://127.0.0.1:9/sparql")
    assert store.query_timeout == 2.5
    store.close()
    monkeypatch.setenv("KG_QUERY_TIMEOUT", "soon")
    with pytest.raises(Exception, match="KG_QUERY_TIMEOUT"):
        SparqlStore.from_env("http://127.0.0.1:9/sparql")
