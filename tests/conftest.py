"""Shared fixtures: real stores on every backend, real uvicorn servers on 127.0.0.1, real articles.

``store`` is parametrised over the backends, so every test that takes it runs on the embedded pyoxigraph
store and on a real Virtuoso server (started once per session by ``tests/virtuoso_server.py``).
"""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn

from kg.extract import extract_one
from kg.ingest import store_extraction
from kg.load import from_json_obj
from kg.model import Article, Extraction
from kg.store import Store
from kg.store.oxigraph import OxigraphStore

ROOT = Path(__file__).resolve().parent.parent
SEED_JSON = ROOT / "seeds" / "kursk-north-korea-2024-11.json"
SHARED = ROOT.parent / "shared"
BACKENDS = ["oxigraph", "virtuoso"]
# The named queries issue 4 asks for: the questions researchers put to kg.
RESEARCHER_QUERIES = (
    "troops-by-location",
    "actor-statements",
    "first-report",
    "conflicting-estimates",
    "co-mentioned",
    "location-timeline",
)


#: Modules whose tests take minutes, not seconds (a wheel built and installed, a browser, a Dask cluster, crash
#: and load tests): ``-m "not slow"`` leaves them out of a quick run; CI runs everything.
SLOW_MODULES = {"test_pages_install", "test_pages", "test_loadtest", "test_kill", "test_cluster", "test_api_load"}
NO_VIRTUOSO = (
    "virtuoso-t is not installed (apt-get install virtuoso-opensource): the Virtuoso half of the backend tests "
    "is skipped, the embedded store's half still runs"
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Apply the declared markers: ``virtuoso`` to every test that needs the server (the ``virtuoso``
    fixture, a ``virtuoso`` parameter of a backend-parametrised test, or a ``test_virtuoso_...`` name),
    skipped with a reason where ``virtuoso-t`` is not installed; ``slow`` to the tests of ``SLOW_MODULES``."""
    have_virtuoso = shutil.which("virtuoso-t") is not None
    for item in items:
        callspec = getattr(item, "callspec", None)
        params = callspec.params.values() if callspec is not None else ()
        needs = "virtuoso" in getattr(item, "fixturenames", ()) or any(p == "virtuoso" for p in params)
        if needs or item.name.startswith("test_virtuoso"):  # a test that starts a private server of its own
            item.add_marker(pytest.mark.virtuoso)
            if not have_virtuoso:
                item.add_marker(pytest.mark.skip(reason=NO_VIRTUOSO))
        module = getattr(item, "module", None)  # a doctest item has none
        if module is not None and module.__name__.rsplit(".", 1)[-1] in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def shared_dir(name: str) -> Path:
    """A folder of ../shared (the corpus, the gold); tests that need it skip, saying why, where it is absent."""
    path = SHARED / name
    if not path.is_dir():
        pytest.skip(f"{path} is absent: this test reads whole real articles from ../shared at test time")
    return path


@pytest.fixture(scope="session")
def seed_article() -> Article:
    return from_json_obj(json.loads(SEED_JSON.read_text(encoding="utf-8")), str(SEED_JSON))


@pytest.fixture(scope="session")
def seed_extraction(seed_article: Article) -> Extraction:
    """The seed article's extraction, made once: spaCy is the slow part of most tests."""
    return extract_one(seed_article)


@pytest.fixture
def seeded(store: Store, seed_extraction: Extraction) -> Store:
    """A store of each backend holding the seed article."""
    assert store_extraction(store, seed_extraction).ok
    return store


@pytest.fixture(scope="session")
def virtuoso() -> Iterator[object]:
    """One private Virtuoso server for the whole session (its own data folder, free loopback ports)."""
    from tests.virtuoso_server import VirtuosoServer

    server = VirtuosoServer.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def both_stores(virtuoso: object, folder: Path, extractions: Iterable[Extraction],
                merges: Iterable[tuple[str, str]] = ()) -> Iterator[tuple[Store, Store]]:
    """A fresh embedded store in ``folder`` and the wiped session Virtuoso, holding the same ``extractions``
    and the same merge judgements (``merges``: pairs of entity keys; each judgement recorded once, on the
    embedded store, and its graph copied, so both hold the same id and time), for tests that compare what
    the two backends answer."""
    from kg import judgements, ns

    embedded = OxigraphStore(folder / "store")
    remote: Store = virtuoso.store()  # type: ignore[attr-defined]
    virtuoso.wipe()  # type: ignore[attr-defined]
    try:
        for extraction in extractions:
            assert store_extraction(embedded, extraction).ok
            assert store_extraction(remote, extraction).ok
        merges = list(merges)
        for left, right in merges:
            made = judgements.record(embedded, "merge", left, right, who="test")
            graph = ns.judgement_graph(made.id)
            copy = embedded.construct("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }", {"g": graph})
            remote.replace_graph(graph, copy)
        if merges:
            judgements.rebuild_canon(remote)
        yield embedded, remote
    finally:
        virtuoso.wipe()  # type: ignore[attr-defined]
        remote.close()
        embedded.close()


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store of each backend: a fresh on-disk pyoxigraph store, or a wiped Virtuoso."""
    if request.param == "oxigraph":
        ox = OxigraphStore(tmp_path / "store")
        yield ox
        ox.close()
    else:
        server = request.getfixturevalue("virtuoso")
        remote = server.store()  # type: ignore[attr-defined]
        server.wipe()  # type: ignore[attr-defined]
        yield remote
        server.wipe()  # type: ignore[attr-defined]
        remote.close()


class LiveServer:
    """A real uvicorn server running kg's app on 127.0.0.1 in a background thread of the test process, so
    it shares the test's store object (an embedded store allows one process per folder)."""

    def __init__(self, app: object) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on")  # type: ignore[arg-type]
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.server.started:
                return self
            if not self.thread.is_alive():
                raise RuntimeError("uvicorn exited before it started")
            time.sleep(0.05)
        raise RuntimeError("uvicorn did not start within 20 s")

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def live_server() -> Iterator[type[LiveServer]]:
    """The ``LiveServer`` class, for tests to run ``with live_server(create_app(store)) as server:``."""
    yield LiveServer
