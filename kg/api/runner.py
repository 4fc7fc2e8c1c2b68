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
  just listed).  Instead the server asks the store for a **snapshot** (``Store.snapshot``: for the
  embedded store a RocksDB checkpoint, hard links to the immutable table files, consistent, cheap)
  whenever the store's ``Store.version`` has changed since the last one, and workers open that snapshot
  read-only.  The version comes from the store folder's write-ahead log and manifest files, so writes made
  outside the API are seen too; every query sees all of a committed article or none of it, and writes
  never wait for queries.  A snapshot is deleted once it is no longer the newest and no query uses it.
* A worker **cannot reach the network**: before it serves, it moves into a network namespace of its own
  where one is allowed (root, or unprivileged user namespaces), and in any case installs a seccomp filter
  that refuses every socket but a Unix one (so no TCP, UDP or DNS) and ``io_uring``.  pyoxigraph's own
  ``SERVICE`` client (Rust, ``oxhttp``) then fails to connect whatever spelling slipped past the guard
  (``kg.api.guard``), and so does anything else in the worker.  Which barriers are up is in
  ``QueryRunner.network_barriers``; with none (not Linux x86-64/aarch64) a warning is logged.
* A worker's **memory is capped** (``RLIMIT_AS``, ``KG_QUERY_MEMORY_MB``): a query that needs more is
  stopped (the allocation fails and the worker exits) and answered 503; the next query gets a fresh worker.
* Snapshots live under ``KG_SNAPSHOT_DIR`` (default: the system's temporary folder).  On the store's file
  system the checkpoint is hard links; elsewhere RocksDB copies the files (correct, but a copy of the
  store whenever it changed): put ``KG_SNAPSHOT_DIR`` on the store's file system for a large store.
* For a store with no snapshot to give (``Store.version`` is None: a remote SPARQL server, the in-memory
  store) the query runs in the calling thread through ``Store.query_raw`` with the time limit, which the
  store enforces itself where it can (a SPARQL server is sent it).  Its answer is parsed back and written
  again with the row limit.  The in-memory store has no hard time limit (it cannot be shared with another
  process).  This module never asks which backend it has.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import logging
import os
import platform
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pyoxigraph as ox

from kg.api.guard import CheckedQuery, check_query
from kg.api.results import RDF_FORMATS, Answer, write_result
from kg.errors import KgError, QueryError, QueryRefused, QueryTimeout, StoreError, StoreUnavailable
from kg.sparql_tokens import spans
from kg.store.base import Store

log = logging.getLogger(__name__)

_START_TIMEOUT = 60.0


class QueryOverMemory(QueryTimeout):
    """A query needed more memory than a worker may use (``KG_QUERY_MEMORY_MB``): 503, try a smaller query."""


class TooManyQueries(QueryTimeout):
    """One client has too many SPARQL queries in flight (``KG_QUERY_PER_CLIENT``): 429."""


class QueriesBusy(QueryTimeout):
    """The endpoint has as many SPARQL queries in flight as it accepts (``KG_QUERY_QUEUE``): 503."""


# seccomp: refuse socket() for every family but AF_UNIX, io_uring, and any other syscall ABI ---------------
_SECCOMP_ARCH = {  # machine: (AUDIT_ARCH_*, socket, io_uring_setup, seccomp) syscall numbers
    "x86_64": (0xC000003E, 41, 425, 317),
    "aarch64": (0xC00000B7, 198, 425, 277),
}


def _seccomp_program(arch: int, socket_nr: int, io_uring_nr: int) -> bytes:
    """A classic-BPF seccomp program (struct sock_filter[]): allow everything but a non-Unix socket()."""
    ld, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06
    allow, deny, deny_abi = 0x7FFF0000, 0x00050000 | 13, 0x00050000 | 1  # RET_ALLOW, RET_ERRNO|EACCES/EPERM
    program = [
        (ld, 0, 0, 4),  # 0: arch
        (jeq, 1, 0, arch),  # 1: our ABI -> 3
        (ret, 0, 0, deny_abi),  # 2: another ABI (i386 socketcall, x32): refused
        (ld, 0, 0, 0),  # 3: syscall number
        (jge, 5, 0, 0x40000000),  # 4: x32 numbers -> deny (10)
        (jeq, 4, 0, io_uring_nr),  # 5: io_uring_setup -> deny (10)
        (jeq, 0, 2, socket_nr),  # 6: socket -> 7, else allow (9)
        (ld, 0, 0, 16),  # 7: args[0] (the address family, low 32 bits)
        (jeq, 0, 1, 1),  # 8: AF_UNIX -> allow (9), else deny (10)
        (ret, 0, 0, allow),  # 9
        (ret, 0, 0, deny),  # 10
    ]
    return b"".join(
        code.to_bytes(2, "little") + bytes([jt, jf]) + k.to_bytes(4, "little") for code, jt, jf, k in program
    )


def deny_network() -> list[str]:
    """Make this process unable to open a network connection; return the barriers now in place.

    * ``netns``: a network namespace of its own (only a down loopback) where the kernel allows it;
    * ``seccomp``: a filter (inherited by every thread, ``SECCOMP_FILTER_FLAG_TSYNC``) refusing ``socket()``
      for any family but ``AF_UNIX``, so no TCP, UDP (DNS) or netlink, and ``io_uring``.
    """
    barriers: list[str] = []
    if sys.platform != "linux":
        return barriers
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(0x40000000) == 0:  # CLONE_NEWNET: needs CAP_SYS_ADMIN
        barriers.append("netns")
    numbers = _SECCOMP_ARCH.get(platform.machine())
    if numbers is None:
        return barriers
    arch, socket_nr, io_uring_nr, seccomp_nr = numbers
    code = _seccomp_program(arch, socket_nr, io_uring_nr)
    filters = ctypes.create_string_buffer(code, len(code))

    class _Prog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    prog = _Prog(len(code) // 8, ctypes.cast(filters, ctypes.c_void_p).value)
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS, required to filter without privileges
        return barriers
    syscall = libc.syscall
    syscall.restype = ctypes.c_long
    # seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, prog), else prctl(PR_SET_SECCOMP, FILTER)
    if syscall(seccomp_nr, 1, 1, ctypes.byref(prog)) == 0 or libc.prctl(22, 2, ctypes.byref(prog), 0, 0) == 0:
        barriers.append("seccomp")
    return barriers


def cap_memory(megabytes: int) -> None:
    """Cap this process's address space at ``megabytes`` MB (``RLIMIT_AS``): an allocation beyond fails."""
    limit = megabytes * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


@dataclass(frozen=True)
class Task:
    """One query for a worker."""

    path: str
    sparql: str
    media_type: str
    default_graph_uris: tuple[str, ...]
    named_graph_uris: tuple[str, ...]
    max_rows: int
    union: bool = True  # the default graph is the union of all graphs (the query names no dataset itself)
    base_iri: str | None = None  # what relative IRIs resolve against (the request's IRI)


@dataclass(frozen=True)
class CheckTask:
    """One query text for a worker to check (``kg.api.guard.check_query``): rdflib's parser can take many
    seconds on a crafted query (about 5 ms per item of an ``IN (...)`` list), so it runs where it can be
    killed at the time limit, not in the server."""

    sparql: str


_opened: list[tuple[str, ox.Store]] = []  # the worker's last snapshot, kept open for the next query


def _open_read_only(path: str) -> ox.Store:
    if not _opened or _opened[0][0] != path:
        _opened.clear()  # close the previous snapshot before opening the next
        try:
            _opened.append((path, ox.Store.read_only(path)))
        except OSError as exc:
            raise StoreError(f"cannot open the store snapshot read-only: {exc}") from exc
    return _opened[0][1]


def run_task(task: Task | CheckTask) -> Answer | CheckedQuery:
    """Open the store read-only, run the query and serialise the answer (in a worker process); or check a
    query's text.

    :raises QueryError: the query is malformed (the message is pyoxigraph's parser's).
    :raises QueryRefused: a check found an update or SERVICE.
    :raises StoreError: the store cannot be opened or read.
    """
    if isinstance(task, CheckTask):
        return check_query(task.sparql)
    store = _open_read_only(task.path)
    kwargs: dict[str, Any] = {}
    if task.default_graph_uris:
        kwargs["default_graph"] = [ox.NamedNode(u) for u in task.default_graph_uris]
    elif task.union:
        kwargs["use_default_graph_as_union"] = True
    if task.named_graph_uris:
        kwargs["named_graphs"] = [ox.NamedNode(u) for u in task.named_graph_uris]
    if task.base_iri:
        kwargs["base_iri"] = task.base_iri
    try:
        result = store.query(task.sparql, **kwargs)
        return write_result(result, task.media_type, task.max_rows)
    except SyntaxError as exc:
        raise QueryError(str(exc)) from None
    except ValueError as exc:
        raise QueryError(str(exc)) from None
    except OSError as exc:
        if exc.errno == errno.EACCES or "(os error 13)" in str(exc):  # the seccomp filter refused a socket
            raise QueryRefused(
                "the query tried to reach another server; this endpoint's query workers have no network access"
            ) from None
        raise StoreError(re.sub(r"\s*\(os error \d+\)", "", str(exc))) from None
    except RecursionError:
        raise QueryError("the query is nested too deeply to run") from None


def with_base(sparql: str, base_iri: str) -> str:
    """``sparql`` with its relative IRIs resolved against ``base_iri``, for a server that takes no base IRI
    but the query's own (Virtuoso, which also refuses a second ``BASE``): a query without ``BASE`` gets one
    in front, on its first line so the server's error positions keep their line numbers; a query's own
    ``BASE`` IRIs are resolved in place (RFC 3986 5.2, each against the one before).

    >>> with_base("SELECT * { <s> ?p ?o }", "http://h/sparql")
    'BASE <http://h/sparql> SELECT * { <s> ?p ?o }'
    >>> with_base("# c\\nbase <a/> BASE <b> ASK {}", "http://h/sparql")
    '# c\\nbase <http://h/a/> BASE <http://h/a/b> ASK {}'
    """
    out: list[str] = []
    done, current, after_base = 0, base_iri, False
    for token, start, end in spans(sparql):
        if after_base and token.kind == "iri":
            resolved = urljoin(current, token.text[1:-1])
            try:
                ox.NamedNode(resolved)
            except ValueError:
                resolved = token.text[1:-1]  # left as written: the server says what is wrong with it
            out += [sparql[done:start], f"<{resolved}>"]
            done, current = end, resolved
        after_base = token.kind == "word" and token.text.upper() == "BASE"
    if not out:
        return f"BASE <{base_iri}> {sparql}"
    return "".join(out) + sparql[done:]


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


def worker_main(conn: _Pipe, barriers: Sequence[str] = ()) -> None:
    """A worker process: answer tasks until the pipe closes."""
    conn.send(("ready", list(barriers)))
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
        except MemoryError:
            conn.send(("error", ("QueryOverMemory", "")))
        except Exception as exc:  # a worker never dies of a query; the parent turns this into a 502
            log.error("query worker: %s: %s", type(exc).__name__, exc)
            conn.send(("error", ("StoreError", "the store failed to answer this query (logged on the server)")))


def child_main(memory_mb: int = 0) -> None:
    """The entry point of a worker process
    (``python -c "from kg.api.runner import child_main; child_main(2048)"``).

    Tasks arrive on stdin; answers leave on a copy of stdout, and stdout itself is pointed at stderr so that
    nothing a library prints can corrupt the answers.  Before serving, the worker gives up the network
    (``deny_network``) and caps its memory at ``memory_mb`` MB (0: no cap).
    """
    answers = os.dup(1)
    os.dup2(2, 1)
    barriers = deny_network()
    if memory_mb:
        cap_memory(memory_mb)
    # rdflib's parser recurses per nested group and per triple pattern: room for ~100 nested groups or ~400
    # patterns in a group, and a clean RecursionError (a 400) beyond, far inside the main thread's C stack
    sys.setrecursionlimit(5000)
    worker_main(_Pipe(Connection(0, writable=False), Connection(answers, readable=False)), barriers)


class _Worker:
    """One query worker: a plain subprocess (not ``multiprocessing``, which would re-import the server's
    ``__main__`` and needs a ``__main__`` guard in every script that embeds the app)."""

    def __init__(self, memory_mb: int = 0) -> None:
        package_root = str(Path(__file__).resolve().parent.parent.parent)
        env = {k: v for k, v in os.environ.items() if k != "KG_API_TOKEN"}  # a worker never writes
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH", "")) if p)
        self.process = subprocess.Popen(
            [sys.executable, "-c", f"from kg.api.runner import child_main; child_main({int(memory_mb)})"],
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
        _, barriers = self.conn.recv()
        self.barriers: list[str] = list(barriers or [])

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
    version: Hashable
    users: int = 0


class Snapshots:
    """Read-only snapshots of the store for the query workers (see the module notes), taken by the store
    itself (``Store.snapshot``) whenever its ``version`` has changed since the last one, each kept while a
    query uses it."""

    PREFIX = "kg-store-snapshots-"

    def __init__(self, store: Store, folder: Path | None = None) -> None:
        self.store = store
        parent = check_snapshot_dir(folder)
        for stale in parent.glob(f"{self.PREFIX}*"):  # left by a server that died: its pid is gone
            pid = stale.name[len(self.PREFIX) :].split("-")[0]
            if pid.isdigit() and not _pid_alive(int(pid)):
                shutil.rmtree(stale, ignore_errors=True)
        self.root = Path(tempfile.mkdtemp(prefix=f"{self.PREFIX}{os.getpid()}-", dir=parent))
        self._lock = threading.Lock()
        self._current: _Snapshot | None = None
        self._count = 0
        self.taken = 0

    def acquire(self) -> _Snapshot:
        """The newest snapshot, taken now if the store changed since; give it back with ``release``.

        :raises StoreError: the store gave no snapshot, or the copy failed.
        """
        with self._lock:
            version = self.store.version()
            if self._current is None or version != self._current.version:
                self._count += 1
                target = self.root / str(self._count)
                if not self.store.snapshot(target):
                    raise StoreError("the store gave no snapshot for a query")
                self.taken += 1
                previous, self._current = self._current, _Snapshot(target, version)
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


class QueryGate:
    """Admission for SPARQL queries, decided before a thread is taken: at most ``per_client`` in flight per
    client address (``TooManyQueries``, 429) and ``capacity`` in all (``QueriesBusy``, 503).  Admitted
    queries run on threads of their own limiter (``limiter``), never on the thread pool that REST handlers
    use, so runaway queries cannot starve REST lookups or ``/health``."""

    def __init__(self, per_client: int, capacity: int) -> None:
        self.per_client = max(1, per_client)
        self.capacity = max(1, capacity)
        self._lock = threading.Lock()
        self._clients: dict[str, int] = {}
        self._total = 0
        self._limiter: Any = None

    @property
    def limiter(self) -> Any:
        """The ``anyio.CapacityLimiter`` admitted queries run under (made in the event loop, on first use)."""
        if self._limiter is None:
            import anyio

            self._limiter = anyio.CapacityLimiter(self.capacity)
        return self._limiter

    @property
    def in_flight(self) -> int:
        return self._total

    @contextlib.contextmanager
    def admit(self, client: str) -> Iterator[None]:
        """Hold a place for one query of ``client`` while the block runs.

        :raises TooManyQueries: ``client`` already has ``per_client`` queries in flight.
        :raises QueriesBusy: the endpoint has ``capacity`` queries in flight.
        """
        with self._lock:
            mine = self._clients.get(client, 0)
            if mine >= self.per_client:
                raise TooManyQueries(
                    f"this client already has {mine} SPARQL queries running (at most {self.per_client}, "
                    "KG_QUERY_PER_CLIENT); wait for one to finish"
                )
            if self._total >= self.capacity:
                raise QueriesBusy(
                    f"the SPARQL endpoint is running as many queries as it accepts ({self.capacity}, "
                    "KG_QUERY_QUEUE); try again shortly"
                )
            self._clients[client] = mine + 1
            self._total += 1
        try:
            yield
        finally:
            with self._lock:
                self._total -= 1
                left = self._clients[client] - 1
                if left:
                    self._clients[client] = left
                else:
                    del self._clients[client]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def check_snapshot_dir(folder: Path | None) -> Path:
    """The folder query snapshots go in (``KG_SNAPSHOT_DIR``; default the system's temporary folder), checked
    to be writable.

    :raises KgError: it cannot be created or written, saying which folder and which variable.
    """
    parent = Path(folder) if folder is not None else Path(tempfile.gettempdir())
    try:
        parent.mkdir(parents=True, exist_ok=True)
        probe = tempfile.mkdtemp(prefix=".kg-write-test-", dir=parent)
        os.rmdir(probe)
    except OSError as exc:
        raise KgError(
            f"the SPARQL endpoint's query snapshots cannot be written in {parent} ({exc.strerror or exc}); "
            "set KG_SNAPSHOT_DIR to a writable folder (on the store's file system, so snapshots are hard links)"
        ) from None
    return parent


@dataclass
class QueryRunner:
    """Runs researchers' queries against ``store`` with ``timeout`` seconds and ``max_rows`` rows."""

    store: Store
    timeout: float = 30.0
    max_rows: int = 10_000
    workers: int = 2
    memory_mb: int = 2048  # each worker's address-space cap (KG_QUERY_MEMORY_MB); 0: none
    snapshot_dir: Path | None = None  # KG_SNAPSHOT_DIR; None: the system's temporary folder
    killed: list[int] = field(default_factory=list)  # pids of workers killed at the time limit
    network_barriers: list[str] = field(default_factory=list)  # what keeps the last worker off the network
    _idle: list[_Worker] = field(default_factory=list, repr=False)
    _slots: threading.BoundedSemaphore = field(init=False, repr=False)
    _check_idle: list[_Worker] = field(default_factory=list, repr=False)  # workers that check query texts
    _check_slots: threading.BoundedSemaphore = field(init=False, repr=False)
    _checked: dict[str, CheckedQuery] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _closed: bool = False
    snapshots: Snapshots | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._slots = threading.BoundedSemaphore(max(1, self.workers))
        self._check_slots = threading.BoundedSemaphore(max(1, self.workers))

    @property
    def uses_workers(self) -> bool:
        """True when queries run in killable worker processes, on snapshots of the store: where the store
        has snapshots to give (the embedded on-disk store; ``Store.version``)."""
        return self.store.version() is not None

    def check(self, sparql: str) -> CheckedQuery:
        """``kg.api.guard.check_query`` in a worker process (no network, memory capped, killed at the time
        limit), on every backend; answers are remembered for the texts last checked.

        :raises QueryRefused: an update or ``SERVICE``, however spelt.
        :raises QueryError: not one SPARQL 1.1 query.
        :raises QueryTimeout: the check did not finish within ``timeout`` (a text crafted to be slow to parse).
        """
        known = self._checked.get(sparql)
        if known is not None:
            return known
        checked = self._in_worker(CheckTask(sparql), self._check_idle, self._check_slots)
        assert isinstance(checked, CheckedQuery)
        with self._lock:
            if len(self._checked) >= 256:
                self._checked.pop(next(iter(self._checked)))
            self._checked[sparql] = checked
        return checked

    def run(
        self,
        sparql: str,
        media_type: str,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        union: bool = True,
        base_iri: str | None = None,
    ) -> Answer:
        """Run one read-only query (already checked by ``kg.api.guard.check_query``).  ``union``: the default
        graph is the union of all graphs unless ``default_graph_uris`` are given; False when the query names
        its own dataset (``FROM``/``FROM NAMED``), which is then honoured.  ``base_iri``: what the query's
        relative IRIs resolve against (the protocol's request IRI; a ``BASE`` in the query resolves against
        it in turn); an absolute IRI, checked here.

        :raises QueryError: malformed query (the parser's message).
        :raises QueryTimeout: the time limit passed, the worker was killed; or ``QueryOverMemory``.
        :raises StoreError: the store failed.
        """
        if base_iri:
            try:
                ox.NamedNode(base_iri)  # an absolute IRI, nothing that could close the BASE declaration
            except ValueError as exc:
                raise QueryError(f"cannot resolve the query's IRIs against {base_iri!r}: {exc}") from None
        if self.uses_workers:
            if self.snapshots is None:
                with self._lock:
                    if self.snapshots is None:
                        self.snapshots = Snapshots(self.store, self.snapshot_dir)
            snapshot = self.snapshots.acquire()
            try:
                task = Task(
                    str(snapshot.path),
                    sparql,
                    media_type,
                    tuple(default_graph_uris),
                    tuple(named_graph_uris),
                    self.max_rows,
                    union,
                    base_iri,
                )
                answer = self._in_worker(task, self._idle, self._slots)
                assert isinstance(answer, Answer)
                return answer
            finally:
                self.snapshots.release(snapshot)
        if base_iri:
            sparql = with_base(sparql, base_iri)
        return self._inline(sparql, media_type, default_graph_uris, named_graph_uris)

    # embedded store: worker processes ----------------------------------------------------------------
    def _in_worker(
        self, task: Task | CheckTask, idle: list[_Worker], slots: threading.BoundedSemaphore
    ) -> Answer | CheckedQuery:
        if not slots.acquire(timeout=self.timeout):
            raise QueryTimeout(f"all {self.workers} query workers stayed busy for {self.timeout:g} s; try again")
        try:
            worker = self._checkout(idle)
            worker.conn.send(task)
            started = time.monotonic()
            if not worker.conn.poll(self.timeout):
                worker.kill()
                if isinstance(task, CheckTask):
                    log.warning("query check stopped after %.1f s, worker %d killed", self.timeout, worker.pid)
                    raise QueryTimeout(
                        f"the query could not even be checked within the time limit of {self.timeout:g} s "
                        "(KG_QUERY_TIMEOUT): it is too long or too complex for this endpoint; simplify it"
                    )
                self.killed.append(worker.pid)
                log.warning("query stopped after %.1f s, worker %d killed", time.monotonic() - started, worker.pid)
                raise QueryTimeout(
                    f"the query ran longer than the time limit of {self.timeout:g} s (KG_QUERY_TIMEOUT) and was stopped"
                )
            try:
                status, payload = worker.conn.recv()
            except (EOFError, OSError):
                worker.kill()
                code = worker.process.returncode
                if self.memory_mb and code in (-signal.SIGABRT, -signal.SIGSEGV, -signal.SIGKILL, 1, 134):
                    log.warning("query worker %d exited (%s) at its memory cap", worker.pid, code)
                    raise self._over_memory() from None
                log.error("query worker %d died (exit %s)", worker.pid, code)
                raise StoreError("the query worker stopped unexpectedly; the next query gets a fresh one") from None
            if status == "error" and payload[0] == "QueryOverMemory":
                worker.kill()  # its heap may be fragmented or half-freed: start afresh
            else:
                self._checkin(worker, idle)
        finally:
            slots.release()
        if status == "ok":
            assert isinstance(payload, (Answer, CheckedQuery))
            return payload
        kind, message = payload
        if kind == "QueryOverMemory":
            raise self._over_memory()
        if kind == "QueryRefused":
            raise QueryRefused(message)
        raise QueryError(message) if kind == "QueryError" else StoreError(message)

    def _over_memory(self) -> QueryOverMemory:
        return QueryOverMemory(
            f"the query needed more memory than a query may use ({self.memory_mb} MB, KG_QUERY_MEMORY_MB) and "
            "was stopped; narrow it (fewer cross-joined patterns, a smaller ORDER BY or GROUP BY)"
        )

    def _checkout(self, idle: list[_Worker]) -> _Worker:
        with self._lock:
            while idle:
                worker = idle.pop()
                if worker.alive():
                    return worker
                worker.kill()
        worker = _Worker(self.memory_mb)
        if worker.barriers != self.network_barriers:
            self.network_barriers = list(worker.barriers)
            if not worker.barriers:
                log.warning("query workers could not be cut off from the network on this system")
        return worker

    def _checkin(self, worker: _Worker, idle: list[_Worker]) -> None:
        with self._lock:
            if self._closed:
                worker.stop()
            else:
                idle.append(worker)

    # any other store: through query_raw ---------------------------------------------------------------
    def _inline(
        self, sparql: str, media_type: str, default_graph_uris: Sequence[str], named_graph_uris: Sequence[str]
    ) -> Answer:
        graph_result = media_type in RDF_FORMATS  # the remote server honours FROM itself
        native = "application/n-triples" if graph_result else "application/sparql-results+json"
        raw = self.store.query_raw(sparql, native, default_graph_uris, named_graph_uris, timeout=self.timeout)
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
            idle, self._idle = self._idle + self._check_idle, []
            self._check_idle = []
        for worker in idle:
            worker.stop()
        if self.snapshots is not None:
            self.snapshots.close()
