"""Running researchers' SPARQL with a time limit that really stops the work, and a row limit.

pyoxigraph cannot interrupt a query from Python (oxigraph issue #1926), so for the embedded on-disk store
each query runs in a **worker process** that opens a snapshot of the store read-only
(``pyoxigraph.Store.read_only``) and is killed (SIGKILL) when the time limit passes; a fresh worker
replaces it on the next query.

* A small pool of workers (``KG_QUERY_WORKERS``, default 2) is started lazily, each a fresh Python
  subprocess (never a ``fork``: the server is multi-threaded and holds RocksDB open).  A worker says
  "ready" after its imports, so start-up time never counts against a query's limit.
* A worker never opens the live store: pyoxigraph calls a read-only open while another process writes
  "undefined behaviour", and it was seen to fail here (a compaction removed a table file the reader had
  just listed).  Instead the server takes a **snapshot** with ``Store.backup`` (a RocksDB checkpoint: hard
  links to the immutable table files, consistent, cheap) whenever the store has changed since the last
  one, and workers open that snapshot read-only.  A change is noticed from the store folder's write-ahead
  log and manifest files, so writes made outside the API are seen too; every query sees all of a
  committed article or none of it, and writes never wait for queries.  A snapshot is deleted once it is no
  longer the newest and no query uses it.
* For any other store (a remote SPARQL server, the in-memory store) the query runs in the calling thread
  through ``Store.query_raw``; a backend whose ``query_raw`` accepts ``timeout=`` gets the limit and
  enforces it itself (the remote server's own timeout).  Its answer is parsed back and written again with
  the row limit.  The in-memory store has no hard time limit (it cannot be shared with another process).
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.api.results import RDF_FORMATS, Answer, write_result
from kg.errors import QueryError, QueryTimeout, StoreError, StoreUnavailable
from kg.store.base import Store
from kg.store.oxigraph import OxigraphStore

log = logging.getLogger(__name__)

_START_TIMEOUT = 60.0


@dataclass(frozen=True)
class Task:
    """One query for a worker."""

    path: str
    sparql: str
    media_type: str
    default_graph_uris: tuple[str, ...]
    named_graph_uris: tuple[str, ...]
    max_rows: int


_opened: list[tuple[str, ox.Store]] = []  # the worker's last snapshot, kept open for the next query


def _open_read_only(path: str) -> ox.Store:
    if not _opened or _opened[0][0] != path:
        _opened.clear()  # close the previous snapshot before opening the next
        try:
            _opened.append((path, ox.Store.read_only(path)))
        except OSError as exc:
            raise StoreError(f"cannot open the store snapshot read-only: {exc}") from exc
    return _opened[0][1]


def run_task(task: Task) -> Answer:
    """Open the store read-only, run the query and serialise the answer (in a worker process).

    :raises QueryError: the query is malformed (the message is pyoxigraph's parser's).
    :raises StoreError: the store cannot be opened or read.
    """
    store = _open_read_only(task.path)
    kwargs: dict[str, Any] = {}
    if task.default_graph_uris:
        kwargs["default_graph"] = [ox.NamedNode(u) for u in task.default_graph_uris]
    else:
        kwargs["use_default_graph_as_union"] = True
    if task.named_graph_uris:
        kwargs["named_graphs"] = [ox.NamedNode(u) for u in task.named_graph_uris]
    try:
        result = store.query(task.sparql, **kwargs)
        return write_result(result, task.media_type, task.max_rows)
    except SyntaxError as exc:
        raise QueryError(str(exc)) from None
    except ValueError as exc:
        raise QueryError(str(exc)) from None
    except OSError as exc:
        raise StoreError(str(exc)) from None


class _Pipe:
    """Both directions to a worker: pickled objects over two OS pipes (its stdin and a copy of its stdout)."""

    def __init__(self, reader: Connection, writer: Connection) -> None:
        self.reader = reader
        self.writer = writer

    def send(self, obj: object) -> None:
        self.writer.send(obj)

    def recv(self) -> Any:
        return self.reader.recv()

    def poll(self, timeout: float) -> bool:
        return self.reader.poll(timeout)

    def close(self) -> None:
        for conn in (self.reader, self.writer):
            with contextlib.suppress(OSError):
                conn.close()


def worker_main(conn: _Pipe) -> None:
    """A worker process: answer tasks until the pipe closes."""
    conn.send(("ready", None))
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if task is None:
            return
        try:
            conn.send(("ok", run_task(task)))
        except (QueryError, StoreError) as exc:
            conn.send(("error", (type(exc).__name__, str(exc))))
        except Exception as exc:  # a worker never dies of a query; the parent turns this into a 500
            conn.send(("error", ("StoreError", f"{type(exc).__name__}: {exc}")))


def child_main() -> None:
    """The entry point of a worker process (``python -c "from kg.api.runner import child_main; child_main()"``).

    Tasks arrive on stdin; answers leave on a copy of stdout, and stdout itself is pointed at stderr so that
    nothing a library prints can corrupt the answers.
    """
    answers = os.dup(1)
    os.dup2(2, 1)
    worker_main(_Pipe(Connection(0, writable=False), Connection(answers, readable=False)))


class _Worker:
    """One query worker: a plain subprocess (not ``multiprocessing``, which would re-import the server's
    ``__main__`` and needs a ``__main__`` guard in every script that embeds the app)."""

    def __init__(self) -> None:
        package_root = str(Path(__file__).resolve().parent.parent.parent)
        env = {k: v for k, v in os.environ.items() if k != "KG_API_TOKEN"}  # a worker never writes
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH", "")) if p)
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from kg.api.runner import child_main; child_main()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            close_fds=True,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.conn = _Pipe(
            Connection(os.dup(self.process.stdout.fileno()), writable=False),
            Connection(os.dup(self.process.stdin.fileno()), readable=False),
        )
        self.process.stdout.close()
        self.process.stdin.close()
        if not self.conn.poll(_START_TIMEOUT):
            self.kill()
            raise StoreUnavailable("a query worker did not start")
        self.conn.recv()

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)
        self.conn.close()

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.send(None)
        try:
            self.process.wait(2)
        except subprocess.TimeoutExpired:
            self.kill()
        else:
            self.conn.close()


@dataclass
class _Snapshot:
    path: Path
    signature: frozenset[tuple[str, int, int]]
    users: int = 0


class Snapshots:
    """Read-only snapshots of an on-disk pyoxigraph store for the query workers (see the module notes)."""

    def __init__(self, store: OxigraphStore) -> None:
        assert store.path is not None
        self.store = store
        self.source = store.path
        for stale in self.source.parent.glob(f".{self.source.name}-snapshots-*"):  # left by a crashed server
            shutil.rmtree(stale, ignore_errors=True)
        # beside the store, so the checkpoint's hard links stay on one file system
        self.root = Path(tempfile.mkdtemp(prefix=f".{self.source.name}-snapshots-", dir=self.source.parent))
        self._lock = threading.Lock()
        self._current: _Snapshot | None = None
        self._count = 0
        self.taken = 0

    def _signature(self) -> frozenset[tuple[str, int, int]]:
        found = set()
        with os.scandir(self.source) as entries:
            for entry in entries:
                if entry.name.endswith(".log") or entry.name.startswith(("MANIFEST", "CURRENT")):
                    with contextlib.suppress(FileNotFoundError):
                        info = entry.stat()
                        found.add((entry.name, info.st_size, info.st_mtime_ns))
        return frozenset(found)

    def acquire(self) -> _Snapshot:
        """The newest snapshot, taken now if the store changed since; give it back with ``release``."""
        with self._lock:
            signature = self._signature()
            if self._current is None or signature != self._current.signature:
                self._count += 1
                target = self.root / str(self._count)
                try:
                    self.store._store.backup(str(target))  # the embedded store's own pyoxigraph handle
                except OSError as exc:
                    raise StoreError(f"cannot snapshot the store for a query: {exc}") from exc
                self.taken += 1
                previous, self._current = self._current, _Snapshot(target, signature)
                if previous is not None and previous.users == 0:
                    shutil.rmtree(previous.path, ignore_errors=True)
            self._current.users += 1
            return self._current

    def release(self, snapshot: _Snapshot) -> None:
        with self._lock:
            snapshot.users -= 1
            if snapshot is not self._current and snapshot.users == 0:
                shutil.rmtree(snapshot.path, ignore_errors=True)

    def close(self) -> None:
        with self._lock:
            shutil.rmtree(self.root, ignore_errors=True)
            self._current = None


@dataclass
class QueryRunner:
    """Runs researchers' queries against ``store`` with ``timeout`` seconds and ``max_rows`` rows."""

    store: Store
    timeout: float = 30.0
    max_rows: int = 10_000
    workers: int = 2
    killed: list[int] = field(default_factory=list)  # pids of workers killed at the time limit
    _idle: list[_Worker] = field(default_factory=list, repr=False)
    _slots: threading.BoundedSemaphore = field(init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _closed: bool = False
    snapshots: Snapshots | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._slots = threading.BoundedSemaphore(max(1, self.workers))

    @property
    def uses_workers(self) -> bool:
        """True when queries run in killable worker processes (the embedded on-disk store)."""
        return isinstance(self.store, OxigraphStore) and self.store.path is not None

    def run(
        self,
        sparql: str,
        media_type: str,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
    ) -> Answer:
        """Run one read-only query (already checked by ``kg.api.guard.query_form``).

        :raises QueryError: malformed query (the parser's message).
        :raises QueryTimeout: the time limit passed; the worker was killed.
        :raises StoreError: the store failed.
        """
        if self.uses_workers:
            assert isinstance(self.store, OxigraphStore) and self.store.path is not None
            if self.snapshots is None:
                with self._lock:
                    if self.snapshots is None:
                        self.snapshots = Snapshots(self.store)
            snapshot = self.snapshots.acquire()
            try:
                task = Task(
                    str(snapshot.path),
                    sparql,
                    media_type,
                    tuple(default_graph_uris),
                    tuple(named_graph_uris),
                    self.max_rows,
                )
                return self._in_worker(task)
            finally:
                self.snapshots.release(snapshot)
        return self._inline(sparql, media_type, default_graph_uris, named_graph_uris)

    # embedded store: worker processes ----------------------------------------------------------------
    def _in_worker(self, task: Task) -> Answer:
        if not self._slots.acquire(timeout=self.timeout):
            raise QueryTimeout(f"all {self.workers} query workers stayed busy for {self.timeout:g} s; try again")
        try:
            worker = self._checkout()
            worker.conn.send(task)
            started = time.monotonic()
            if not worker.conn.poll(self.timeout):
                worker.kill()
                self.killed.append(worker.pid)
                log.warning("query stopped after %.1f s, worker %d killed", time.monotonic() - started, worker.pid)
                raise QueryTimeout(
                    f"the query ran longer than the time limit of {self.timeout:g} s (KG_QUERY_TIMEOUT) and was stopped"
                )
            try:
                status, payload = worker.conn.recv()
            except (EOFError, OSError) as exc:
                worker.kill()
                raise StoreError(f"the query worker died: {exc}") from exc
            self._checkin(worker)
        finally:
            self._slots.release()
        if status == "ok":
            assert isinstance(payload, Answer)
            return payload
        kind, message = payload
        raise QueryError(message) if kind == "QueryError" else StoreError(message)

    def _checkout(self) -> _Worker:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.alive():
                    return worker
                worker.kill()
        return _Worker()

    def _checkin(self, worker: _Worker) -> None:
        with self._lock:
            if self._closed:
                worker.stop()
            else:
                self._idle.append(worker)

    # any other store: through query_raw ---------------------------------------------------------------
    def _inline(
        self, sparql: str, media_type: str, default_graph_uris: Sequence[str], named_graph_uris: Sequence[str]
    ) -> Answer:
        graph_result = media_type in RDF_FORMATS
        native = "application/n-triples" if graph_result else "application/sparql-results+json"
        kwargs: dict[str, Any] = {}
        if "timeout" in inspect.signature(self.store.query_raw).parameters:
            kwargs["timeout"] = self.timeout
        raw = self.store.query_raw(sparql, native, default_graph_uris, named_graph_uris, **kwargs)
        try:
            if raw.media_type.startswith("application/sparql-results") or raw.media_type.endswith("json"):
                if graph_result:
                    raise QueryError("this query returns solutions, not a graph")
                result: object = ox.parse_query_results(raw.body, format=ox.QueryResultsFormat.JSON)
            else:
                if not graph_result:
                    raise QueryError("this query returns a graph, not solutions")
                result = iter(ox.parse(raw.body, format=ox.RdfFormat.N_TRIPLES))
        except SyntaxError as exc:
            raise StoreError(f"the store's answer could not be read: {exc}") from exc
        return write_result(result, media_type, self.max_rows)

    def close(self) -> None:
        """Stop every worker."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.stop()
        if self.snapshots is not None:
            self.snapshots.close()
