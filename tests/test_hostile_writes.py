"""Issue 10, the write side, with real processes: cold-start concurrent POSTs to a freshly started
``kg serve`` (the spaCy pipeline and matchers built once under a lock), articles over spaCy's length limit
(parsed in pieces below ``KG_MAX_ARTICLE_CHARS``, refused per document above it, the batch goes on), and
the store a command opens: a mistyped path, a store held by another process, a damaged store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kg import ns
from kg.errors import StoreUnavailable
from kg.model import Article
from kg.store import open_store
from kg.store.oxigraph import OxigraphStore
from tests.conftest import ROOT, SEED_JSON, free_port

KG = [sys.executable, "-c", "from kg.cli import app; app(prog_name='kg')"]
TOKEN = "hostile-writes-token"
SEED = json.loads(SEED_JSON.read_text(encoding="utf-8"))
#: plain filler text: spaCy parses it fast, and no rule finds anything in it
FILLER = "The weather was mild and the market was quiet that day.\n"


def kg(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``kg`` in a fresh process (cold caches, its own store lock)."""
    return subprocess.run(
        [*KG, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})}
    )


def stored_ids(path: Path) -> set[str]:
    store = OxigraphStore(path)
    try:
        prefix = str(ns.article_graph(""))
        return {str(g)[len(prefix):] for g in store.graphs() if str(g).startswith(prefix)}
    finally:
        store.close()


class Served:
    """``kg serve`` in its own process on a new store: cold spaCy caches, and the store's lock held."""

    def __init__(self, store: Path) -> None:
        self.store = store
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [*KG, "serve", "--create", "--store", str(store), "--port", str(self.port)],
            cwd=ROOT,
            env={**os.environ, "KG_API_TOKEN": TOKEN, "KG_QUERY_WORKERS": "1"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"kg serve exited: {self.process.stderr.read() if self.process.stderr else ''}")
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.3)
        self.stop()
        raise AssertionError("kg serve did not answer /health within 90 s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    server = Served(tmp_path_factory.mktemp("served") / "store")
    try:
        yield server
    finally:
        server.stop()


def post(url: str, body: bytes, media: str = "application/json") -> httpx.Response:
    return httpx.post(
        f"{url}/articles",
        content=body,
        headers={"Content-Type": media, "Authorization": f"Bearer {TOKEN}"},
        timeout=300,
    )


def test_cold_server_accepts_four_concurrent_posts(served: Served) -> None:
    """Issue 10 item 3: the first four POSTs to a fresh server arrive together; each builds (or waits for)
    the one spaCy pipeline and its matchers, and every valid article is stored."""
    barrier = threading.Barrier(4)
    answers: dict[int, Any] = {}

    def send(n: int) -> None:
        body = json.dumps({**SEED, "id": f"cold-{n}"}).encode()
        barrier.wait()
        try:
            answers[n] = post(served.url, body)
        except httpx.HTTPError as exc:  # pragma: no cover - reported by the assertion below
            answers[n] = exc

    threads = [threading.Thread(target=send, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=400)
    for n in range(4):
        answer = answers[n]
        assert isinstance(answer, httpx.Response), answer
        assert answer.status_code == 201, answer.text
        assert answer.json()["stored"][0]["id"] == f"cold-{n}" and answer.json()["stored"][0]["claims"] > 0
        assert httpx.get(f"{served.url}/articles/cold-{n}", timeout=30).status_code == 200


def test_post_of_an_article_over_the_length_limit_is_400_naming_the_limit(served: Served) -> None:
    """Issue 10 item 4: 1.5 million characters (under the 5 MB body limit) is refused with a clear 400, never
    a 500, and the server goes on."""
    text = (FILLER * (1_500_000 // len(FILLER) + 1))[:1_500_000]
    answer = post(served.url, json.dumps({"id": "too-long", "text": text}).encode())
    assert answer.status_code == 400, answer.text
    message = answer.json()["message"]
    assert "1,500,000 characters" in message and "KG_MAX_ARTICLE_CHARS" in message, message
    plain = post(served.url, text.encode(), media="text/plain")
    assert plain.status_code == 400 and "KG_MAX_ARTICLE_CHARS" in plain.json()["message"], plain.text
    assert httpx.get(f"{served.url}/articles/too-long", timeout=30).status_code == 404
    assert httpx.get(f"{served.url}/health", timeout=30).status_code == 200


def test_a_store_held_by_kg_serve_is_named_as_in_use(served: Served, tmp_path: Path) -> None:
    """Issue 10 item 10: a second process on the served store says it is in use and by which process, in
    one line, instead of RocksDB's 'LOCK: Resource temporarily unavailable'."""
    (tmp_path / "a.json").write_text(json.dumps({**SEED, "id": "held"}), encoding="utf-8")
    for args in (["stats"], ["ingest", str(tmp_path)]):
        result = kg(*args, "--store", str(served.store))
        assert result.returncode == 2, result.stderr
        error = result.stderr.strip()
        assert "in use by another process" in error and f"pid {served.process.pid}" in error, error
        assert "serve" in error and "Traceback" not in error and "Resource temporarily" not in error, error


def long_corpus(folder: Path) -> Path:
    """Two good articles and a 1.5 million character one between them, in one folder."""
    folder.mkdir()
    (folder / "a-good.json").write_text(json.dumps({**SEED, "id": "good-1"}), encoding="utf-8")
    text = (FILLER * (1_500_000 // len(FILLER) + 1))[:1_500_000]
    (folder / "b-long.json").write_text(json.dumps({"id": "long", "text": text}), encoding="utf-8")
    (folder / "c-good.txt").write_text(SEED["text"], encoding="utf-8")
    return folder


@pytest.mark.parametrize("workers", ["1", "2"])
def test_ingest_stores_the_good_articles_beside_a_too_long_one(tmp_path: Path, workers: str) -> None:
    """Issue 10 item 4: ``kg ingest`` of a folder holding a 1.5 M character article stores the good ones
    (also with worker processes) and names the long one with the limit it broke."""
    folder = long_corpus(tmp_path / "articles")
    store = tmp_path / "store"
    result = kg("ingest", str(folder), "--store", str(store), "--workers", workers)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert f"failed: {folder / 'b-long.json'}: the article is 1,500,000 characters" in result.stderr, result.stderr
    assert "KG_MAX_ARTICLE_CHARS" in result.stderr
    assert "2 stored, 1 failed of 3 documents" in result.stderr, result.stderr
    ids = stored_ids(store)
    assert "good-1" in ids and "long" not in ids and len(ids) == 2, ids


def test_an_article_over_spacys_length_limit_is_parsed_in_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 10 item 4, below ``KG_MAX_ARTICLE_CHARS``: a text longer than ``nlp.max_length`` is parsed in
    pieces cut at line breaks and joined into one document over the same text, so every claim's span points
    into the original article.  The limits are lowered here, so that the test parses a few thousand
    characters instead of a million: the same code path, cut at the same kind of boundary."""
    import kg.extract as extract
    from kg.extract import extract_one, get_nlp, split_text

    unit = SEED["text"].strip() + "\n\n" + FILLER * 5
    text = unit * 3
    nlp = get_nlp()
    monkeypatch.setattr(nlp, "max_length", len(unit) + 100)  # the whole text would be refused (E088)
    monkeypatch.setattr(extract, "CHUNK_CHARS", len(unit) + 50)
    pieces = split_text(text)
    assert len(pieces) >= 3 and "".join(pieces) == text and all(len(p) <= len(unit) + 50 for p in pieces)
    assert all(p.endswith("\n") for p in pieces[:-1])
    extraction = extract_one(Article(id="pieces", text=text, outlet="CNN"))
    single = extract_one(Article(id="one", text=unit, outlet="CNN"))
    assert single.claims, "the seed article has claims"
    assert len(extraction.claims) == 3 * len(single.claims)
    for claim in extraction.claims:
        assert text[claim.span.start:claim.span.end] == claim.span.text
    # each copy's claims sit at that copy's offsets
    starts = sorted(c.span.start for c in extraction.claims)
    assert starts[-1] >= 2 * len(unit) and starts[0] < len(unit)


def test_split_text_cuts_at_sentences_then_spaces_and_loses_nothing() -> None:
    from kg.extract import split_text

    prose = "One sentence here. Another one there. " * 20
    pieces = split_text(prose, 100)
    assert "".join(pieces) == prose and all(len(p) <= 100 for p in pieces)
    assert all(p.endswith(". ") for p in pieces[:-1]), pieces
    words = "word " * 100
    assert all(p.endswith(" ") for p in split_text(words, 64)[:-1])
    blob = "x" * 250
    assert split_text(blob, 100) == ["x" * 100, "x" * 100, "x" * 50]


READ_COMMANDS = [
    ["stats"],
    ["query", "troops-by-location", "--param", "location=Kursk"],
    ["export", "--format", "nquads", "-o", "{out}"],
    ["validate"],
    ["delete", "some-id"],
]


@pytest.mark.parametrize("command", READ_COMMANDS, ids=lambda c: c[0])
def test_read_commands_refuse_a_path_that_is_not_a_store(tmp_path: Path, command: list[str]) -> None:
    """Issue 10 item 10: a mistyped store path is an error naming it, not a new empty store answering 0."""
    args = [a.replace("{out}", str(tmp_path / "out.nq")) for a in command]
    typo = tmp_path / "stroe"
    result = kg(*args, "--store", str(typo))
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert f"{typo} does not exist" in result.stderr and "kg ingest" in result.stderr, result.stderr
    assert not typo.exists()


def test_a_folder_that_is_not_a_store_is_named_as_such(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = kg("stats", "--store", str(empty))
    assert result.returncode == 2 and "is an empty folder, not a store" in result.stderr, result.stderr
    assert list(empty.iterdir()) == []
    (empty / "notes.txt").write_text("not a store")
    with pytest.raises(StoreUnavailable, match="is a folder but not a kg store"):
        open_store(empty, create=False)
    with pytest.raises(StoreUnavailable, match="is a file, not a store folder"):
        open_store(empty / "notes.txt", read_only=True)


def test_serve_refuses_a_path_that_is_not_a_store_unless_told_to_create(tmp_path: Path) -> None:
    typo = tmp_path / "stroe"
    result = kg("serve", "--store", str(typo), "--port", str(free_port()), timeout=120)
    assert result.returncode == 2 and "does not exist" in result.stderr, result.stderr
    assert not typo.exists()


def test_a_damaged_store_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    """Issue 10 item 10: RocksDB's corruption error becomes one line saying the store is damaged."""
    store = tmp_path / "store"
    OxigraphStore(store).close()
    (store / "CURRENT").write_text("garbage\n")
    for args in (["stats"], ["ingest", str(ROOT / "seeds")]):
        result = kg(*args, "--store", str(store))
        assert result.returncode == 2, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "is damaged" in lines[0] and "Corruption" in lines[0], result.stderr
