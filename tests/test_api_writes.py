"""Writes and the service's protections: the bearer token, the body size limit, CORS, JSON errors with one
status per error class, and reads that see a write at once (SPARQL workers included)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kg import errors, ns
from kg.api.app import create_app
from kg.api.deps import Settings
from kg.api.security import STATUS, status_for
from kg.model import Report, Result
from kg.store import Store

SEED = json.loads((Path(__file__).resolve().parent.parent / "seeds" / "kursk-north-korea-2024-11.json").read_text())
TOKEN = "s3cret-token-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
HTML = """<html><head><title>North Korean troops reach Kursk</title></head><body><article>
<h1>North Korean troops reach Kursk</h1>
<p>About 11,000 North Korean soldiers are in the Kursk region, Ukrainian President Volodymyr Zelensky said on
Thursday at a summit in Budapest, according to CNN.</p>
<p>US officials had warned earlier that around 10,000 North Korean soldiers could be deployed in Kursk.</p>
</article></body></html>"""


def article(doc_id: str) -> bytes:
    return json.dumps({**SEED, "id": doc_id}).encode()


@pytest.fixture
def server(store: Store, live_server: type) -> Iterator[Any]:
    settings = Settings(api_token=TOKEN, max_body_bytes=200_000, query_workers=1)
    with live_server(create_app(store, settings)) as running:
        yield running


def test_writes_need_the_token(store: Store, server: Any, live_server: type) -> None:
    with server.client() as client:
        missing = client.post("/articles", content=article("a1"), headers={"Content-Type": "application/json"})
        assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer", missing.text
        wrong = client.post(
            "/articles",
            content=article("a1"),
            headers={"Content-Type": "application/json", "Authorization": "Bearer not-it"},
        )
        assert wrong.status_code == 403 and wrong.json()["error"] == "Forbidden", wrong.text
        basic = client.delete("/articles/a1", headers={"Authorization": f"Basic {TOKEN}"})
        assert basic.status_code == 401, basic.text
        assert client.delete("/articles/a1").status_code == 401
    with live_server(create_app(store, Settings(api_token=None))) as unconfigured, unconfigured.client() as client:
        refused = client.post("/articles", content=article("a1"), headers={"Content-Type": "application/json", **AUTH})
        assert refused.status_code == 403 and "KG_API_TOKEN" in refused.json()["message"], refused.text
    assert store.graphs() == []


def test_post_then_read_everywhere_then_delete(store: Store, server: Any) -> None:
    with server.client() as client:
        count = "SELECT (COUNT(*) AS ?n) WHERE { ?a a <https://w3id.org/kg/ontology#Article> }"
        assert client.get("/sparql", params={"query": count}).json()["results"]["bindings"][0]["n"]["value"] == "0"
        posted = client.post(
            "/articles", content=article("posted/1 ü"), headers={"Content-Type": "application/json", **AUTH}
        )
        assert posted.status_code == 201, posted.text
        stored = posted.json()["stored"][0]
        assert stored["id"] == "posted/1 ü" and stored["claims"] > 0, stored
        assert posted.headers["location"] == stored["url"] == "/articles/posted%2F1%20%C3%BC"
        fetched = client.get(stored["url"])
        assert fetched.status_code == 200 and fetched.json()["claims"], fetched.text
        # the SPARQL workers open the store afresh: the write is visible at once
        assert client.get("/sparql", params={"query": count}).json()["results"]["bindings"][0]["n"]["value"] == "1"
        assert client.get("/entities/north-korea").status_code == 200

        html = client.post("/articles", content=HTML.encode(), headers={"Content-Type": "text/html", **AUTH})
        assert html.status_code == 201, html.text
        text = client.post(
            "/articles", content=HTML.replace("<p>", "\n").encode(), headers={"Content-Type": "text/plain", **AUTH}
        )
        assert text.status_code == 201, text.text
        assert len(store.graphs()) == 3 + 1  # three articles and the entity graph

        two = json.dumps([{**SEED, "id": "list-a"}, {**SEED, "id": "list-b"}]).encode()
        both = client.post("/articles", content=two, headers={"Content-Type": "application/json", **AUTH})
        assert both.status_code == 201 and [a["id"] for a in both.json()["stored"]] == ["list-a", "list-b"], both.text
        assert client.get("/articles/list-b").status_code == 200
        for doc in ("list-a", "list-b"):
            assert client.delete(f"/articles/{doc}", headers=AUTH).status_code == 204

        deleted = client.delete(stored["url"], headers=AUTH)
        assert deleted.status_code == 204, deleted.text
        assert client.get(stored["url"]).status_code == 404
        assert client.delete(stored["url"], headers=AUTH).status_code == 404
        assert client.get("/sparql", params={"query": count}).json()["results"]["bindings"][0]["n"]["value"] == "2"


def test_bad_input_and_limits(store: Store, server: Any) -> None:
    with server.client() as client:
        cases = [
            (b'{"id": "x", "text": ', "application/json", 400, "InputError"),
            (b'{"id": "x", "text": ""}', "application/json", 400, "InputError"),
            (b'{"id": "x", "text": 42}', "application/json", 400, "InputError"),
            (b"   ", "text/plain", 400, "InputError"),
            (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png", 415, "UnsupportedMediaType"),
            (b"<html><body><nav>menu</nav></body></html>", "text/html", 400, "InputError"),
        ]
        for body, media, status, error in cases:
            response = client.post("/articles", content=body, headers={"Content-Type": media, **AUTH})
            assert response.status_code == status, (body, response.text)
            assert response.json()["error"] == error and response.json()["message"], response.text
        big = b'{"text": "' + b"x" * 300_000 + b'"}'
        response = client.post("/articles", content=big, headers={"Content-Type": "application/json", **AUTH})
        assert response.status_code == 413 and "KG_MAX_BODY_BYTES" in response.json()["message"], response.text

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted while read
            yield b'{"text": "'
            for _ in range(30):
                yield b"y" * 10_000
            yield b'"}'

        response = client.post("/articles", content=chunks(), headers={"Content-Type": "application/json", **AUTH})
        assert response.status_code == 413, response.text
        response = client.post("/sparql", content=chunks(), headers={"Content-Type": "application/sparql-query"})
        assert response.status_code == 413, response.text
    assert store.graphs() == []


def _violating_for(monkeypatch: pytest.MonkeyPatch, bad: str) -> None:
    """Make this process's SHACL step reject the article ``bad`` (and only it)."""
    import kg.ingest

    real = kg.ingest.build_graphs

    def violating(extraction: Any) -> Any:
        graph, entities, report = real(extraction)
        if extraction.article.id == bad:
            report = Report(bad, violations=[Result("A deployment needs a location.", "x", None, "Violation")])
        return graph, entities, report

    monkeypatch.setattr(kg.ingest, "build_graphs", violating)


def test_shape_violation_is_422_with_the_messages(
    store: Store, live_server: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Extracting in the server (``ingest_workers=0``) so that this process's rejection applies."""
    _violating_for(monkeypatch, "bad")
    app = create_app(store, Settings(api_token=TOKEN, query_workers=1, ingest_workers=0))
    with live_server(app) as server, server.client() as client:
        headers = {"Content-Type": "application/json", **AUTH}
        response = client.post("/articles", content=article("bad"), headers=headers)
        assert response.status_code == 422, response.text
        body = response.json()
        assert body["error"] == "ShapeViolation", body
        assert body["violations"][0]["message"] == "A deployment needs a location."
        assert store.graphs() == []
        # one atomic write per article, as kg ingest does: in a body of two, the good one is stored, the
        # rejected one is listed with its violations
        two = json.dumps([{**SEED, "id": "good"}, {**SEED, "id": "bad"}]).encode()
        response = client.post("/articles", content=two, headers={"Content-Type": "application/json", **AUTH})
        assert response.status_code == 201, response.text
        answer = response.json()
        assert [a["id"] for a in answer["stored"]] == ["good"], answer
        assert [(f["id"], f["status"]) for f in answer["failed"]] == [("bad", "rejected")], answer
        assert answer["failed"][0]["violations"][0]["message"] == "A deployment needs a location."
    assert sorted(ns.doc_id_of_graph(str(g)) or "" for g in store.graphs()) == ["", "good"]  # "": the entities


def test_posted_articles_are_extracted_in_a_worker_process(
    store: Store, server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the default ``KG_INGEST_WORKERS=1`` extraction and validation run in another process: a rejection
    patched into this one does not reach them, and the article is stored."""
    _violating_for(monkeypatch, "elsewhere")
    with server.client() as client:
        response = client.post(
            "/articles", content=article("elsewhere"), headers={"Content-Type": "application/json", **AUTH}
        )
        assert response.status_code == 201, response.text
        assert client.get("/articles/elsewhere").status_code == 200


def test_errors_are_json_never_a_traceback(store: Store, live_server: type, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internals /etc/passwd")

    with live_server(create_app(store, Settings())) as server, server.client() as client:
        assert client.get("/no/such/route").json()["error"] == "NotFound"
        assert client.put("/sparql").status_code == 405 and client.put("/sparql").json()["error"] == "MethodNotAllowed"
        monkeypatch.setattr(store, "select", broken)
        response = client.get("/entities", params={"q": "x"})
    assert response.status_code == 500, response.text
    assert response.json() == {"error": "InternalError", "message": "an unexpected error happened; it has been logged"}
    assert "secret" not in response.text and "Traceback" not in response.text


def test_one_status_per_error_class() -> None:
    assert status_for(errors.InputError("d", "m")) == 400
    assert status_for(errors.QueryError("m")) == 400
    assert status_for(errors.QueryRefused("m")) == 403
    assert status_for(errors.QueryTimeout("m")) == 503
    assert status_for(errors.NotFound("m")) == 404
    assert status_for(errors.ShapeViolation(Report("d"))) == 422
    assert status_for(errors.StoreError("m")) == 502
    assert status_for(errors.StoreUnavailable("m")) == 503
    assert status_for(errors.KgError("m")) == 500
    every = {cls for cls in vars(errors).values() if isinstance(cls, type) and issubclass(cls, errors.KgError)}
    assert every <= set(STATUS), every - set(STATUS)


def test_cors_is_off_unless_configured(store: Store, live_server: type) -> None:
    origin = {"Origin": "https://yasgui.example.org"}
    with live_server(create_app(store, Settings())) as server, server.client() as client:
        assert "access-control-allow-origin" not in client.get("/health", headers=origin).headers
    allowed = Settings(cors_origins=("https://yasgui.example.org",))
    with live_server(create_app(store, allowed)) as server, server.client() as client:
        assert client.get("/health", headers=origin).headers["access-control-allow-origin"] == origin["Origin"]
        other = client.get("/health", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


def test_settings_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "KG_QUERY_TIMEOUT": "2.5",
            "KG_QUERY_MAX_ROWS": "7",
            "KG_API_TOKEN": "t",
            "KG_MAX_BODY_BYTES": "10",
            "KG_CORS_ORIGINS": "https://a.example, https://b.example",
        }
    )
    assert (settings.query_timeout, settings.max_rows, settings.api_token, settings.max_body_bytes) == (2.5, 7, "t", 10)
    assert settings.cors_origins == ("https://a.example", "https://b.example")
    assert Settings.from_env({}) == Settings()
    with pytest.raises(errors.KgError):
        Settings.from_env({"KG_QUERY_TIMEOUT": "soon"})


def test_bad_ids_are_400_naming_the_problem(store: Store, server: Any) -> None:
    """Issue 10 item 8: an id with a control character could never be read or deleted through a URL, an
    over-long one made a huge Location header, and surrounding whitespace was trimmed silently."""
    cases = [
        ("a\nb", "U+000A"),
        ("tab\there", "U+0009"),
        ("x" * 1_001, "KG_MAX_ID_CHARS"),
        (" a1", "leading or trailing whitespace"),
        ("a1 ", "leading or trailing whitespace"),
        ("   ", "blank"),
    ]
    with server.client() as client:
        for doc_id, words in cases:
            body = json.dumps({"id": doc_id, "text": SEED["text"]}).encode()
            response = client.post("/articles", content=body, headers={"Content-Type": "application/json", **AUTH})
            assert response.status_code == 400, (doc_id[:20], response.text)
            assert words in response.json()["message"], response.text
        long_url = json.dumps({"url": "https://example.org/" + "a" * 1_000, "text": SEED["text"]}).encode()
        response = client.post("/articles", content=long_url, headers={"Content-Type": "application/json", **AUTH})
        assert response.status_code == 400 and "the url used as the article id" in response.json()["message"]
    assert store.graphs() == []


def test_the_same_id_twice_in_one_body_first_wins_second_reported(store: Store, server: Any) -> None:
    """Issue 10 item 8: the batch rule of ``kg ingest`` on POST: the first article with an id is stored, a
    later one in the same body is not, and the answer says so (it was reported stored twice before)."""
    first = {**SEED, "id": "dup", "title": "The first one"}
    second = {**SEED, "id": "dup", "title": "The second one", "text": SEED["text"] + "\nA later paragraph."}
    with server.client() as client:
        body = json.dumps([first, second]).encode()
        response = client.post("/articles", content=body, headers={"Content-Type": "application/json", **AUTH})
        assert response.status_code == 201, response.text
        answer = response.json()
        assert [s["id"] for s in answer["stored"]] == ["dup"], answer
        assert len(answer["failed"]) == 1 and answer["failed"][0]["id"] == "dup", answer
        message = answer["failed"][0]["message"]
        assert "POST /articles[1]: duplicate id 'dup' (a different text)" in message, message
        assert "the first, from POST /articles[0], wins" in message, message
        assert client.get("/articles/dup").json()["headline"] == "The first one"


def test_repeated_and_over_long_parameters_are_refused_everywhere(store: Store, server: Any) -> None:
    """Issue 10 item 10: a repeated parameter was kept silently by the last value on the REST endpoints
    (/sparql and /queries refused it), and /entities?q= had no length limit."""
    with server.client() as client:
        repeated = [
            ("/entities", [("q", "Kursk"), ("q", "Gaza")]),
            ("/deployments", [("location", "Kursk"), ("location", "Gaza")]),
            ("/conflicts", [("location", "Kursk"), ("location", "Gaza")]),
            ("/export.gexf", [("actor", "Russia"), ("actor", "Ukraine")]),
            ("/entities/kursk-oblast", [("format", "json"), ("format", "html")]),
            ("/queries/troops-by-location", [("location", "Kursk"), ("location", "Gaza")]),
            ("/sparql", [("query", "ASK {}"), ("query", "ASK {}")]),
        ]
        for path, params in repeated:
            response = client.get(path, params=params)
            assert response.status_code == 400, (path, response.text)
            key = params[0][0]
            assert response.json()["message"] == f"give parameter {key!r} once, not 2 times", response.text
        graphs = [("query", "ASK { ?s ?p ?o }"), ("default-graph-uri", "urn:a"), ("default-graph-uri", "urn:b")]
        assert client.get("/sparql", params=graphs).status_code == 200  # one per graph, as the protocol says
        response = client.get("/entities", params={"q": "K" * 201})
        assert response.status_code == 400 and "at most 200 characters" in response.json()["message"], response.text
        assert client.get("/entities", params={"q": "Kursk"}).status_code == 200
        response = client.get("/deployments", params={"location": "K" * 2_001})
        assert response.status_code == 400, response.text
        assert "'location' is 2,001 characters" in response.json()["message"] and "KG_MAX_PARAM_CHARS" in response.text
        long_query = "ASK { ?s ?p ?o } #" + "x" * 3_000
        assert client.get("/sparql", params={"query": long_query}).status_code == 200  # a SPARQL text, not a name
