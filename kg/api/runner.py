"""Running researchers' SPARQL with a time limit that really stops the work, and a row limit.

pyoxigraph cannot interrupt a query from Python (oxigraph issue #1926), so for the embedded on-disk store
each query runs in a **worker process** that opens the store read-only (``pyoxigraph.Store.read_only``)
and is killed (SIGKILL) when the time limit passes; a fresh worker replaces it on the next query.

* A small pool of workers (``KG_QUERY_WORKERS``, default 2) is started lazily, with the ``spawn`` method
  (never ``fork``: the server is multi-threaded and holds RocksDB open).  A worker says "ready" after its
  imports, so start-up time never counts against a query's limit.
* A worker opens the store for each query, so every query sees the latest committed articles: a
  read-only open replays the write-ahead log of the writer, and the server flushes after each API write
  (opening then costs ~15 ms).  pyoxigraph calls a read-only open during a write undefined behaviour, so
  the API's writes and the workers' reads share a readers-writer lock (``write_lock``): writes wait for
  running queries (at most the time limit) and queries wait for a write.
* For any other store (a remote SPARQL server, the in-memory store) the query runs in the calling thread
  through ``Store.query_raw``; a backend whose ``query_raw`` accepts ``timeout=`` gets the limit and
  enforces it itself (the remote server's own timeout).  Its answer is parsed back and written again with
  the row limit.  The in-memory store has no hard time limit (it cannot be shared with another process).
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import multiprocessing
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
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


def run_task(task: Task) -> Answer:
    """Open the store read-only, run the query and serialise the answer (in a worker process).

    :raises QueryError: the query is malformed (the message is pyoxigraph's parser's).
    :raises StoreError: the store cannot be opened or read.
    """
    try:
        store = ox.Store.read_only(task.path)
    except OSError as exc:
        raise StoreError(f"cannot open the store read-only: {exc}") from exc
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


def worker_main(conn: Connection) -> None:
    """A worker process: answer tasks until the pipe closes."""
    conn.send(("ready", None))
    while True:
        try:
            task = conn.recv()
        except (EOFError, KeyboardInterrupt):
            return
        if task is None:
            return
        try:
            conn.send(("ok", run_task(task)))
        except (QueryError, StoreError) as exc:
            conn.send(("error", (type(exc).__name__, str(exc))))
        except Exception as exc:  # a worker never dies of a query; the parent turns this into a 500
            conn.send(("error", ("StoreError", f"{type(exc).__name__}: {exc}")))


class _Worker:
    def __init__(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=worker_main, args=(child,), daemon=True, name="kg-query-worker")
        self.process.start()
        child.close()
        if not self.conn.poll(_START_TIMEOUT):
            self.kill()
            raise StoreUnavailable("a query worker did not start")
        self.conn.recv()

    @property
    def pid(self) -> int:
        return int(self.process.pid or 0)

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.process.kill()
        self.process.join(5)
        self.conn.close()

    def stop(self) -> None:
        with contextlib.suppress(OSError, BrokenPipeError):
            self.conn.send(None)
        self.process.join(2)
        if self.process.is_alive():
            self.kill()
        else:
            self.conn.close()


class RWLock:
    """A readers-writer lock that prefers writers (a waiting writer blocks new readers)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._waiting_writers = 0

    @contextlib.contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            while self._writer or self._waiting_writers:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextlib.contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._waiting_writers += 1
            while self._writer or self._readers:
                self._cond.wait()
            self._waiting_writers -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


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
    _rw: RWLock = field(default_factory=RWLock, repr=False)
    _closed: bool = False

    def __post_init__(self) -> None:
        self._slots = threading.BoundedSemaphore(max(1, self.workers))

    @property
    def uses_workers(self) -> bool:
        """True when queries run in killable worker processes (the embedded on-disk store)."""
        return isinstance(self.store, OxigraphStore) and self.store.path is not None

    @contextlib.contextmanager
    def write_lock(self) -> Iterator[None]:
        """Hold this around a write to the store; flushes it afterwards so workers see the write."""
        with self._rw.write():
            yield
            flush = getattr(self.store, "flush", None)
            if callable(flush):
                flush()

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
            task = Task(
                str(self.store.path),
                sparql,
                media_type,
                tuple(default_graph_uris),
                tuple(named_graph_uris),
                self.max_rows,
            )
            return self._in_worker(task)
        return self._inline(sparql, media_type, default_graph_uris, named_graph_uris)

    # embedded store: worker processes ----------------------------------------------------------------
    def _in_worker(self, task: Task) -> Answer:
        if not self._slots.acquire(timeout=self.timeout):
            raise QueryTimeout(f"all {self.workers} query workers stayed busy for {self.timeout:g} s; try again")
        try:
            worker = self._checkout()
            with self._rw.read():
                worker.conn.send(task)
                started = time.monotonic()
                if not worker.conn.poll(self.timeout):
                    worker.kill()
                    self.killed.append(worker.pid)
                    log.warning("query stopped after %.1f s, worker %d killed", time.monotonic() - started, worker.pid)
                    raise QueryTimeout(
                        f"the query ran longer than the time limit of {self.timeout:g} s (KG_QUERY_TIMEOUT) "
                        "and was stopped"
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
                if worker.process.is_alive():
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
