"""The service under hostile input, against a real uvicorn server on 127.0.0.1 over each backend.

* REST parameters are bound as values: payloads built to break out of a SPARQL string or IRI change nothing
  and find nothing (spliced into the text, each would be a 400 syntax error, match everything, or write);
* request bodies have a size limit (413), declared or chunked;
* the SPARQL endpoint stops a query at its time limit, truncates at its row limit, and refuses updates,
  ``LOAD`` and ``SERVICE`` however they are spelt;
* writes need the bearer token, compared in constant time (``hmac.compare_digest``);
* CORS is off unless configured;
* every error is JSON with a message and never a traceback, also for an unexpected exception.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest

import kg.api.security
from kg import ns
from kg.api.app import create_app
from kg.api.deps import Settings
from kg.store import Store
from tests.conftest import SEED_JSON

TOKEN = "hostile-test-token-7f3a"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
JSON_TYPE = {"Content-Type": "application/json"}
TEXT_TYPE = {"Content-Type": "text/plain"}
SEED_ID = json.loads(SEED_JSON.read_text(encoding="utf-8"))["id"]

# Each would break out of a string literal or an IRI if it were pasted into a query.
PAYLOADS = [
    '" } ; DROP ALL ; #',
    "' } ; DROP ALL ; #",
    '") } } UNION { ?s ?p ?o } #',
    "x\" . ?s ?p ?o } #",
    '"""\n} DROP ALL #',
    "> } DROP ALL #",
    "http://x/> } ; CLEAR ALL ; <http://x/",
    "\\\" ) } INSERT DATA { <urn:a> <urn:b> <urn:c> } #",
    "Kursk\" || true || \"",
    "\u0000\n}\nDROP ALL\n",  # a raw NUL once ended the string for Virtuoso's parser (fixed in bind_values)
    "%22%7D%20DROP%20ALL",
]


def snapshot(store: Store) -> tuple[int, list[str]]:
    return store.quad_count(), sorted(map(str, store.graphs()))


@pytest.fixture
def server(seeded: Store, live_server: type) -> Iterator[Any]:
    settings = Settings(api_token=TOKEN, max_body_bytes=100_000, query_workers=1, query_timeout=3, max_rows=50)
    with live_server(create_app(seeded, settings)) as running:
        yield running


def is_json_error(response: httpx.Response) -> dict[str, Any]:
    """The body of an error answer: JSON with an error and a message, no traceback."""
    assert response.headers.get("content-type", "").startswith("application/json"), (response, response.text)
    body = response.json()
    assert isinstance(body, dict) and body.get("error") and body.get("message"), body
    assert "Traceback" not in response.text and 'File "' not in response.text, response.text
    return body


# bound parameters -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS)
def test_rest_parameters_are_bound_as_values(seeded: Store, server: Any, payload: str) -> None:
    before = snapshot(seeded)
    with server.client() as client:
        answers = {
            "named query": client.get("/queries/troops-by-location", params={"location": payload}),
            "conflicts": client.get("/reports/conflicts", params={"location": payload}),
            "deployments": client.get("/deployments", params={"location": payload, "deployer": payload}),
            "entity search": client.get("/entities", params={"q": payload}),
            "entity": client.get(f"/entities/{quote(payload, safe='')}"),
            "article": client.get(f"/articles/{quote(payload, safe='')}"),
        }
    for what, response in answers.items():
        # spliced, a payload is a syntax error (400) or matches everything; bound, it is a value matching nothing
        assert response.status_code in (200, 404), (what, response.status_code, response.text)
        if response.status_code == 404:
            is_json_error(response)
    assert answers["named query"].json()["rows"] == [], answers["named query"].text
    assert answers["conflicts"].json()["count"] == 0, answers["conflicts"].text
    assert snapshot(seeded) == before


def test_iri_parameters_refuse_what_would_break_out(server: Any) -> None:
    with server.client() as client:
        for payload in ("http://x/> } ; DROP ALL ; <http://x/", "urn:a b", 'http://x/"', "no-scheme"):
            response = client.get("/queries/article-graph", params={"graph": payload})
            assert response.status_code == 400, (payload, response.text)
            assert "absolute IRI" in is_json_error(response)["message"]


def test_a_real_value_still_finds_its_rows(server: Any) -> None:
    with server.client() as client:
        rows = client.get("/queries/troops-by-location", params={"location": "Kursk"}).json()["rows"]
    assert any(r["deployer"] == "North Korea" for r in rows), rows


# body size limit ------------------------------------------------------------------------------------------


def test_request_bodies_over_the_limit_are_refused(seeded: Store, server: Any) -> None:
    before = snapshot(seeded)
    big = json.dumps({"id": "big", "text": "Troops arrived in Kursk. " * 10_000}).encode()
    assert len(big) > 100_000

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit must be counted while reading
        for start in range(0, len(big), 8192):
            yield big[start : start + 8192]

    with server.client() as client:
        declared = client.post("/articles", content=big, headers={"Content-Type": "application/json", **AUTH})
        chunked = client.post("/articles", content=chunks(), headers={"Content-Type": "application/json", **AUTH})
        sparql = client.post("/sparql", data={"query": "ASK {} #" + "x" * 200_000})
    for response in (declared, chunked, sparql):
        assert response.status_code == 413, response.text
        assert "over the limit" in is_json_error(response)["message"]
    assert snapshot(seeded) == before


# the SPARQL endpoint ----------------------------------------------------------------------------------------

REFUSED_QUERIES = [
    "DROP ALL",
    "drop all",
    "CLEAR ALL",
    f"DROP GRAPH <{ns.article_graph(SEED_ID)}>",
    "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
    "PREFIX x: <urn:x#> INSERT DATA { x:a x:b x:c }",
    "DELETE WHERE { ?s ?p ?o }",
    "WITH <urn:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "LOAD <http://127.0.0.1:9/evil.ttl>",
    "load <file:///etc/passwd> INTO GRAPH <urn:g>",
    "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { sErViCe SILENT <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o } ; DROP ALL",
    "SELECT * WHERE { ?s ?p ?o }\n# comment\n;\nINSERT DATA { <urn:a> <urn:b> <urn:c> }",
]


@pytest.mark.parametrize("sparql", REFUSED_QUERIES)
def test_sparql_refuses_updates_load_and_service(seeded: Store, server: Any, sparql: str) -> None:
    before = snapshot(seeded)
    with server.client() as client:
        answers = [
            client.get("/sparql", params={"query": sparql}),
            client.post("/sparql", data={"query": sparql}),
            client.post("/sparql", content=sparql, headers={"Content-Type": "application/sparql-query"}),
        ]
    for response in answers:
        assert response.status_code in (400, 403), (sparql, response.status_code, response.text)
        is_json_error(response)
    assert snapshot(seeded) == before


def test_sparql_update_operations_are_refused(seeded: Store, server: Any) -> None:
    before = snapshot(seeded)
    with server.client() as client:
        answers = [
            client.get("/sparql", params={"update": "DROP ALL"}),
            client.post("/sparql", data={"update": "DROP ALL"}),
            client.post("/sparql", content="DROP ALL", headers={"Content-Type": "application/sparql-update"}),
        ]
    for response in answers:
        assert response.status_code == 403, response.text
        assert "read-only" in is_json_error(response)["message"]
    assert snapshot(seeded) == before


def test_keywords_inside_literals_and_iris_are_data(server: Any) -> None:
    with server.client() as client:
        response = client.get(
            "/sparql", params={"query": 'SELECT * WHERE { ?s ?p "SERVICE LOAD DROP" . ?s ?q <urn:x:INSERT> }'}
        )
    assert response.status_code == 200, response.text


def test_sparql_row_limit(server: Any) -> None:
    with server.client() as client:
        response = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert response.status_code == 200, response.text
    assert len(response.json()["results"]["bindings"]) == 50
    assert response.headers.get("x-kg-truncated") == "true", response.headers


def test_sparql_timeout_stops_the_query_and_the_service_goes_on(store: Store, server: Any) -> None:
    """On Virtuoso the server may refuse the query by its own cost estimate before running it: a
    QueryTimeout too (it was a 502 StoreError until faec6f8)."""
    heavy = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"
    with server.client() as client:
        started = time.monotonic()
        response = client.get("/sparql", params={"query": heavy})
        elapsed = time.monotonic() - started
        after = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})
    assert response.status_code == 503, (response.status_code, response.text[:300])
    assert is_json_error(response)["error"] == "QueryTimeout", response.text
    assert elapsed < 3 + 15, elapsed  # the limit is 3 s; generous slack for a loaded machine
    assert after.status_code == 200 and after.json()["boolean"] is True, after.text


# the bearer token -------------------------------------------------------------------------------------------


def test_writes_need_the_bearer_token(seeded: Store, server: Any) -> None:
    before = snapshot(seeded)
    body = json.dumps({"id": "w1", "text": "Russian troops are in Kursk, Zelensky said."}).encode()
    json_type = {"Content-Type": "application/json"}
    with server.client() as client:
        refused = [
            client.post("/articles", content=body, headers=json_type),
            client.post("/articles", content=body, headers={**json_type, "Authorization": "Bearer"}),
            client.post("/articles", content=body, headers={**json_type, "Authorization": f"Basic {TOKEN}"}),
            client.post("/articles", content=body, headers={**json_type, "Authorization": f"Bearer {TOKEN[:-1]}"}),
            client.post("/articles", content=body, headers={**json_type, "Authorization": f"Bearer {TOKEN}x"}),
            client.post("/articles", content=body, headers={**json_type, "Authorization": "Bearer " + "a" * 10_000}),
            client.post(f"/articles?token={TOKEN}", content=body, headers=json_type),
            client.delete(f"/articles/{SEED_ID}"),
            client.delete(f"/articles/{SEED_ID}", headers={"Authorization": "Bearer wrong"}),
        ]
    for response in refused:
        assert response.status_code in (401, 403), response.text
        is_json_error(response)
    assert snapshot(seeded) == before


def test_the_token_is_compared_in_constant_time(server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import hmac

    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(kg.api.security.hmac, "compare_digest", spy)
    with server.client() as client:
        response = client.delete("/articles/not-there", headers={"Authorization": "Bearer guess"})
    assert response.status_code == 403, response.text
    assert calls, "the token was not compared with hmac.compare_digest"


def test_the_right_token_writes(seeded: Store, server: Any) -> None:
    with server.client() as client:
        response = client.delete(f"/articles/{SEED_ID}", headers=AUTH)
    assert response.status_code == 204, response.text
    assert ns.article_graph(SEED_ID) not in seeded.graphs()


# CORS -------------------------------------------------------------------------------------------------------


def preflight(client: httpx.Client, origin: str) -> httpx.Response:
    return client.options(
        "/sparql",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "Authorization",
        },
    )


def test_cors_is_off_by_default(server: Any) -> None:
    with server.client() as client:
        answers = [
            preflight(client, "https://evil.example"),
            client.get("/health", headers={"Origin": "https://evil.example"}),
        ]
    for response in answers:
        assert "access-control-allow-origin" not in response.headers, response.headers
        assert "access-control-allow-credentials" not in response.headers, response.headers


def test_cors_allows_only_configured_origins(seeded: Store, live_server: type) -> None:
    settings = Settings(cors_origins=("https://researchers.example",), query_workers=1)
    with live_server(create_app(seeded, settings)) as running, running.client() as client:
        good = preflight(client, "https://researchers.example")
        evil = preflight(client, "https://evil.example")
        simple = client.get("/health", headers={"Origin": "https://evil.example"})
    assert good.headers.get("access-control-allow-origin") == "https://researchers.example", good.headers
    assert evil.headers.get("access-control-allow-origin") not in ("*", "https://evil.example"), evil.headers
    assert simple.headers.get("access-control-allow-origin") not in ("*", "https://evil.example"), simple.headers


# JSON errors, never a traceback ----------------------------------------------------------------------------


class Exploding:
    """A store whose reads fail with an unexpected exception carrying something private."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def select(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret: /etc/kg/password.txt")

    def query_raw(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret: /etc/kg/password.txt")

    def version(self) -> None:  # no snapshots: every SPARQL query goes through query_raw above
        return None


def test_unexpected_errors_are_json_without_traceback(seeded: Store, live_server: type) -> None:
    app = create_app(Exploding(seeded), Settings(query_workers=1))  # type: ignore[arg-type]
    # one connection per request: after an unexpected exception Starlette re-raises it to uvicorn, which then
    # closes the keep-alive connection (the JSON answer itself has been sent)
    with live_server(app) as running:
        answers = []
        for path, params in [
            ("/entities/north-korea", {}),
            ("/queries/troops-by-location", {"location": "Kursk"}),
            ("/reports/conflicts", {}),
            ("/sparql", {"query": "ASK { ?s ?p ?o }"}),
        ]:
            with running.client() as client:
                answers.append(client.get(path, params=params))
    for response in answers:
        assert response.status_code == 500, response.text
        assert "secret" not in response.text and "password" not in response.text, response.text
        is_json_error(response)


def test_client_errors_are_json_with_a_message(server: Any) -> None:
    with server.client() as client:
        answers = {
            404: [client.get("/no/such/route"), client.get("/entities/no-such-entity"),
                  client.get("/queries/no-such-query")],
            400: [client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p"}),
                  client.get("/entities", params={"limit": "many"}),
                  client.get("/queries/troops-by-location"),
                  client.get("/queries/troops-by-location", params={"location": "x", "city": "y"}),
                  client.post("/articles", content=b'{"text": ', headers={**JSON_TYPE, **AUTH}),
                  client.post("/articles", content=b"\x00\x01\x02binary", headers={**TEXT_TYPE, **AUTH})],
            405: [client.put("/sparql", content=b"x")],
            415: [client.post("/articles", content=b"x", headers={"Content-Type": "application/pdf", **AUTH})],
        }
    for status, responses in answers.items():
        for response in responses:
            assert response.status_code == status, (status, response.request.url, response.text)
            is_json_error(response)
