"""Issue 10, item 1: the public endpoint fetches nothing from anywhere, however ``SERVICE`` is spelt, and an
update glued to its neighbours is refused and changes nothing; on both backends, against a real server.

A listener on 127.0.0.1 stands for the internal service an attacker would reach: it records every connection
and answers as a SPARQL endpoint would, so a query that reached it would come back with its data.  The
queries are the three of the issue and generated spellings: ``SERVICE`` glued to each kind of preceding
token (a brace, a dot after a variable, a blank node, an IRI, a literal, a property path, a closing brace or
parenthesis) and each kind of following one (an IRI, a prefixed name, the empty prefix, a variable,
``SILENT``), in four letter cases, at the top level, in a sub-select, in ``FILTER EXISTS`` and in
``OPTIONAL``: a bounded set of a few dozen.

The embedded store's query workers also have no network (``kg.api.runner.deny_network``): the last test
sends the issue's queries to the workers directly, past the guard, and the listener still sees nothing.

On Virtuoso the guard is the barrier.  The test server (Debian's default grants) would itself refuse a
``SERVICE`` from the anonymous endpoint (``SQ070: Must have select privileges on view DB.DBA.SPARQL_SINV_2``),
but an operator who grants it would not: the test checks that every spelling is refused before it gets there.
"""

from __future__ import annotations

import itertools
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from kg.api.app import create_app
from kg.api.deps import Settings
from kg.api.runner import QueryRunner
from kg.errors import QueryRefused
from kg.store import Store
from kg.store.oxigraph import OxigraphStore

ANSWER = b'{"head":{"vars":["x"]},"results":{"bindings":[{"x":{"type":"literal","value":"LEAKED"}}]}}'


class Listener:
    """A one-thread TCP listener on 127.0.0.1 that records each connection and answers SPARQL JSON."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}/"
        self.connections: list[bytes] = []
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    request = conn.recv(65536)
                except OSError:
                    request = b""
                self.connections.append(request[:200])
                head = (
                    "HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
                    f"Content-Length: {len(ANSWER)}\r\nConnection: close\r\n\r\n"
                )
                try:
                    conn.sendall(head.encode() + ANSWER)
                except OSError:
                    pass

    def close(self) -> None:
        self._stop.set()
        self.thread.join(timeout=5)
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    running = Listener()
    try:
        yield running
    finally:
        running.close()


def issue_queries(url: str) -> list[str]:
    """The three queries of issue 10, verbatim but for the port."""
    return [
        f"SELECT ?x WHERE {{ _:s?p?o.SERVICE<{url}>{{?x ?y ?z}} }}",
        f"PREFIX ex: <{url}> SELECT ?x WHERE {{ SERVICEex:x{{?x ?y ?z}} }}",
        f"PREFIX : <{url}> SELECT ?x WHERE {{ SERVICE:{{?x ?y ?z}} }}",
    ]


def spellings(url: str) -> list[str]:
    """Generated spellings: each preceding and following token kind, four cases, four nestings (bounded)."""
    before = [
        "{",  # right after the group's brace
        "?s ?p ?o.",  # glued to a dot after a variable
        "_:b ?p ?o.",  # after a blank node
        "<urn:s> ?p <urn:o>.",  # after an IRI
        '?s ?p "x".',  # after a literal
        "?s <urn:p>/<urn:q>* ?o.",  # after a property path
        "{?s ?p ?o}",  # after a closing brace
        "?s ?p ?o FILTER(?o!=1)",  # after a closing parenthesis
    ]
    after = [f"<{url}>", "ex:x", ":", "?svc", f"SILENT<{url}>"]
    cases = ["SERVICE", "service", "Service", "sErViCe"]
    nest = [
        "{0}",
        "{{ SELECT * WHERE {{ {0} }} }}",
        "?a ?b ?c FILTER EXISTS {{ {0} }}",
        "?a ?b ?c OPTIONAL {{ {0} }}",
    ]
    queries = []
    for i, (pre, post) in enumerate(itertools.product(before, after)):
        word = cases[i % len(cases)]
        body = f"{pre}{word}{post}{{?x ?y ?z}}" + ("}" if pre == "{" else "")
        bind = f"BIND(<{url}> AS ?svc)" if post == "?svc" else ""
        pattern = nest[i % len(nest)].format(body + bind)
        queries.append(f"PREFIX ex: <{url}> PREFIX : <{url}> SELECT ?x WHERE {{ {pattern} }}")
    return queries


def glued_updates(graph: str) -> list[str]:
    return [
        "SELECT*{?s?p?o};INSERT DATA{<urn:a><urn:b><urn:c>}",
        "ASK{?s?p?o}\n#\n;DROP ALL",
        f"SELECT*{{?s?p?o}};DROP GRAPH<{graph}>",
        "SELECT*{?s?p?o};CLEAR ALL",
        "INSERT{<urn:a><urn:b><urn:c>}WHERE{}",
        "DELETE{?s?p?o}WHERE{?s?p?o}",
        "PREFIX x:<urn:x#>INSERT DATA{x:a x:b x:c}",
        "DROP SILENT ALL",
        "LOAD<http://127.0.0.1:9/evil.ttl>",
        "SELECT*{?s?p?o}\n;\nLOAD<http://127.0.0.1:9/evil.ttl>",
    ]


def _send(client: Any, index: int, query: str) -> Any:
    """Each way in, in turn: GET, form POST, direct POST."""
    if index % 3 == 0:
        return client.get("/sparql", params={"query": query})
    if index % 3 == 1:
        return client.post("/sparql", data={"query": query})
    return client.post("/sparql", content=query.encode(), headers={"Content-Type": "application/sparql-query"})


def test_no_spelling_of_service_reaches_the_network(seeded: Store, live_server: type, listener: Listener) -> None:
    queries = issue_queries(listener.url) + spellings(listener.url)
    assert 40 <= len(queries) <= 50
    settings = Settings(query_workers=1, query_timeout=10, query_per_client=100, query_queue=100)
    with live_server(create_app(seeded, settings)) as server, server.client() as client:
        for index, query in enumerate(queries):
            response = _send(client, index, query)
            assert response.status_code in (400, 403), (query, response.status_code, response.text)
            assert "LEAKED" not in response.text, query
            body = response.json()
            assert body["message"] and "Error" not in body["message"], body
        assert client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}).json()["boolean"] is True
    assert listener.connections == [], listener.connections


def test_updates_hidden_by_gluing_are_refused_and_change_nothing(seeded: Store, live_server: type) -> None:
    graph = str(next(iter(seeded.graphs())))
    before = (seeded.quad_count(), sorted(map(str, seeded.graphs())))
    settings = Settings(query_workers=1, query_timeout=10, query_per_client=100, query_queue=100)
    with live_server(create_app(seeded, settings)) as server, server.client() as client:
        for index, update in enumerate(glued_updates(graph)):
            response = _send(client, index, update)
            assert response.status_code in (400, 403), (update, response.status_code, response.text)
    assert (seeded.quad_count(), sorted(map(str, seeded.graphs()))) == before


@pytest.mark.parametrize("store", ["oxigraph"], indirect=True)
def test_query_workers_cannot_reach_the_network_past_the_guard(seeded: Store, listener: Listener) -> None:
    """The engine-level barrier alone: SERVICE queries handed straight to the workers fetch nothing."""
    assert isinstance(seeded, OxigraphStore)
    runner = QueryRunner(seeded, timeout=10, workers=1)
    try:
        for query in [*issue_queries(listener.url), f"SELECT * WHERE {{ SERVICE <{listener.url}> {{ ?x ?y ?z }} }}"]:
            with pytest.raises(QueryRefused, match="no network access") as refused:
                runner.run(query, "application/sparql-results+json")
            assert "LEAKED" not in str(refused.value) and "os error" not in str(refused.value)
        assert "seccomp" in runner.network_barriers, runner.network_barriers
    finally:
        runner.close()
    assert listener.connections == [], listener.connections
    # the listener does answer a process that has the network: the test can fail
    import pyoxigraph as ox

    direct = ox.Store().query(f"SELECT ?x WHERE {{ SERVICE <{listener.url}> {{ ?x ?y ?z }} }}")
    assert [str(row["x"].value) for row in direct] == ["LEAKED"]  # type: ignore[union-attr]
    assert len(listener.connections) == 1
