"""A private Virtuoso 7 server for the tests and the benchmarks: its own data folder, loopback only, free ports.

It is started from a copy of Debian's ``/etc/virtuoso-opensource-7/virtuoso.ini`` rewritten for a temporary
folder (every ``/var/lib/virtuoso-opensource-7/db`` path), with both ``ServerPort`` lines (SQL and HTTP) on
``127.0.0.1:<free port>`` and ``ResultSetMaxRows`` raised from 10,000 (which silently truncates answers) to
``RESULT_ROWS``.  ``virtuoso-t -c virtuoso.ini +wait`` returns once the server is up; it then runs detached,
and is stopped by the pid it writes to ``virtuoso.lck`` (``VIRT_PID=``), also at interpreter exit, so a failed
or interrupted session leaves no server behind; a small watchdog process stops it too if the process that
started it is killed outright (SIGKILL, or SIGTERM from ``timeout``), when neither ``finally`` nor ``atexit`` runs.

    server = VirtuosoServer.start()
    store = server.store()   # a kg.store.sparql.SparqlStore: queries on /sparql, updates on /sparql-auth
    server.stop()
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from kg.store.sparql import SparqlStore

SYSTEM_INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")
SYSTEM_DB = "/var/lib/virtuoso-opensource-7/db"
RESULT_ROWS = 10_000_000
USER = PASSWORD = "dba"
START_TIMEOUT = 120.0
WATCHDOG = """
import os, shutil, signal, sys, time
parent, pid, folder, owned = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4] == "1"
def alive(p):
    try:
        os.kill(p, 0)
        return True
    except ProcessLookupError:
        return False
while alive(parent) and alive(pid):
    time.sleep(1)
if alive(pid):
    try:
        cwd = os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        cwd = folder
    if cwd == folder:
        os.kill(pid, signal.SIGTERM)
        for _ in range(300):
            if not alive(pid):
                break
            time.sleep(0.1)
        else:
            os.kill(pid, signal.SIGKILL)
if owned:
    time.sleep(1)
    shutil.rmtree(folder, ignore_errors=True)
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rewrite_ini(text: str, folder: Path, sql_port: int, http_port: int) -> str:
    """The system ini, pointed at ``folder`` and the two loopback ports, with ``ResultSetMaxRows`` and
    ``MaxVectorSize`` raised and readers isolated from concurrent writes (``DefaultIsolation``).

    Line-based, because the stock file repeats keys (``IndexTreeMaps``) that ``configparser`` refuses.
    """
    section = ""
    lines = []
    for line in text.replace(SYSTEM_DB, str(folder)).splitlines():
        stripped = line.strip()
        head = re.match(r"^\[(.+)\]$", stripped)
        if head:
            section = head.group(1)
        key = stripped.split("=", 1)[0].strip() if "=" in stripped and not stripped.startswith(";") else ""
        if key == "ServerPort" and section == "Parameters":
            line = f"ServerPort = 127.0.0.1:{sql_port}"
        elif key == "ServerPort" and section == "HTTPServer":
            line = f"ServerPort = 127.0.0.1:{http_port}"
        elif key == "ResultSetMaxRows":
            line = f"ResultSetMaxRows = {RESULT_ROWS}"
        elif key == "MaxQueryExecutionTime":
            line = "MaxQueryExecutionTime = 300"
        elif key == "DefaultHost":
            line = f"DefaultHost = 127.0.0.1:{http_port}"
        elif key == "NumberOfBuffers":  # ~8 KB each: 170,000 is ~1.3 GB, Virtuoso's advice for 2 GB free
            line = "NumberOfBuffers = 170000"
        elif key == "MaxDirtyBuffers":
            line = "MaxDirtyBuffers = 130000"
        elif key == "MaxVectorSize":
            # a CONSTRUCT's answer is one vector: at the default 1,000,000, entity-graph of Russia at 100,000
            # articles (1,235,031 triples) was refused ("FRVEC: ... over max vector length"); at 4,000,000 it
            # answered whole in 77 s (a bulk export)
            line = "MaxVectorSize = 4000000"
        lines.append(line)
        if head and section == "Parameters":
            # Repeatable read, not the default read committed: under read committed a query running while
            # an article graph is replaced counted 4,001 of 4,000 triples (old and new rows mixed) in 3 of 4
            # trials; under repeatable read it never did (tests/test_virtuoso_isolation.py).
            lines.append("DefaultIsolation = 4")
    return "\n".join(lines) + "\n"


class VirtuosoServer:
    """One running private Virtuoso; ``start()`` it, ``store()`` to talk to it, ``stop()`` it."""

    def __init__(self, folder: Path, sql_port: int, http_port: int, *, owns_folder: bool) -> None:
        self.folder = folder
        self.sql_port = sql_port
        self.http_port = http_port
        self.owns_folder = owns_folder
        self.pid: int | None = None
        self._watchdog: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def query_url(self) -> str:
        return f"{self.url}/sparql"

    @property
    def update_url(self) -> str:
        return f"{self.url}/sparql-auth"

    def env(self) -> dict[str, str]:
        """The environment a ``kg`` subprocess needs to use this server (``--store`` is ``query_url``)."""
        return {
            "KG_STORE": self.query_url,
            "KG_STORE_UPDATE_URL": self.update_url,
            "KG_STORE_USER": USER,
            "KG_STORE_PASSWORD": PASSWORD,
        }

    @classmethod
    def start(cls, folder: Path | None = None) -> VirtuosoServer:
        """Start a server in ``folder`` (default: a new temporary folder, removed by ``stop``).

        :raises RuntimeError: ``virtuoso-t`` is not installed, or the server did not come up.
        """
        binary = shutil.which("virtuoso-t")
        if binary is None or not SYSTEM_INI.is_file():
            raise RuntimeError(
                "Virtuoso is not installed: the virtuoso backend tests need Debian's virtuoso-opensource 7 "
                "(`apt-get install virtuoso-opensource`, as .ci/run does); virtuoso-t or "
                f"{SYSTEM_INI} is missing"
            )
        owns = folder is None
        folder = Path(tempfile.mkdtemp(prefix="kg-virtuoso-")) if folder is None else folder
        folder.mkdir(parents=True, exist_ok=True)
        server = cls(folder, _free_port(), _free_port(), owns_folder=owns)
        (folder / "virtuoso.ini").write_text(
            rewrite_ini(SYSTEM_INI.read_text(encoding="utf-8"), folder, server.sql_port, server.http_port),
            encoding="utf-8",
        )
        atexit.register(server.stop)
        proc = subprocess.run(
            [binary, "-c", "virtuoso.ini", "+wait"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT,
        )
        server.pid = server._read_pid()
        if proc.returncode != 0 or server.pid is None:
            log = server.log_tail()
            server.stop()
            raise RuntimeError(f"virtuoso-t failed to start (exit {proc.returncode}): {proc.stderr}\n{log}")
        server._wait_until_answers()
        server._watch()
        return server

    def _watch(self) -> None:
        """Start the watchdog that stops this server if the current process dies without stopping it."""
        if self.pid is None:
            return
        self._watchdog = subprocess.Popen(
            [sys.executable, "-c", WATCHDOG, str(os.getpid()), str(self.pid), str(self.folder),
             "1" if self.owns_folder else "0"],
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def _read_pid(self) -> int | None:
        try:
            match = re.search(r"VIRT_PID=(\d+)", (self.folder / "virtuoso.lck").read_text())
        except OSError:
            return None
        return int(match.group(1)) if match else None

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return (self.folder / "virtuoso.log").read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def _wait_until_answers(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        last = ""
        while time.monotonic() < deadline:
            try:
                reply = httpx.get(
                    self.query_url,
                    params={"query": "ASK { }"},
                    headers={"Accept": "application/sparql-results+json"},
                    timeout=5,
                )
                if reply.status_code == 200:
                    return
                last = f"{reply.status_code} {reply.text[:200]}"
            except httpx.HTTPError as exc:
                last = str(exc)
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"Virtuoso did not answer on {self.query_url} within {START_TIMEOUT}s: {last}")

    def store(self, **kwargs: object) -> SparqlStore:
        """A ``SparqlStore`` on this server: queries on ``/sparql``, updates on ``/sparql-auth`` (digest)."""
        return SparqlStore(
            self.query_url,
            update_url=self.update_url,
            user=USER,
            password=PASSWORD,
            **kwargs,  # type: ignore[arg-type]
        )

    def isql(self, sql: str, timeout: float = 120) -> str:
        """Run SQL through ``isql-vt`` as dba; returns its output.

        :raises RuntimeError: isql-vt failed.
        """
        proc = subprocess.run(
            ["isql-vt", f"127.0.0.1:{self.sql_port}", USER, PASSWORD, f"exec={sql}"],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if proc.returncode != 0 or "*** Error" in proc.stdout + proc.stderr:
            raise RuntimeError(f"isql-vt {sql!r} failed: {proc.stdout}{proc.stderr}")
        return proc.stdout

    def bulk_load(self, pattern: str = "%.nq") -> None:
        """Load the N-Quads files in the server's folder whose names match ``pattern`` (SQL ``LIKE``) with
        Virtuoso's bulk loader, then checkpoint: its loads are not logged, so they are durable only after it.
        For building large benchmark stores fast; kg itself never writes this way."""
        self.isql(f"ld_dir('.', '{pattern}', 'https://w3id.org/kg/graph/unnamed'); rdf_loader_run(); checkpoint;",
                  timeout=1800)

    def wipe(self) -> None:
        """Drop every graph kg wrote (by name: Virtuoso's ``CLEAR ALL`` leaves named graphs in place)."""
        store = self.store()
        try:
            for graph in store.graphs():
                store.drop_graph(graph)
        finally:
            store.close()

    def _unwatch(self) -> None:
        if self._watchdog is not None:
            self._watchdog.kill()
            self._watchdog.wait()
            self._watchdog = None

    def kill(self) -> None:
        """Kill the server without a checkpoint (SIGKILL), as a crash would; ``restart()`` brings it back."""
        self._unwatch()
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._wait_gone(self.pid, 10)
            self.pid = None
        (self.folder / "virtuoso.lck").unlink(missing_ok=True)

    def restart(self) -> None:
        """Start the server again on the same folder and ports (after ``kill`` or ``stop(keep=True)``)."""
        proc = subprocess.run(
            ["virtuoso-t", "-c", "virtuoso.ini", "+wait"],
            cwd=self.folder,
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT,
        )
        self.pid = self._read_pid()
        if proc.returncode != 0 or self.pid is None:
            raise RuntimeError(f"virtuoso-t failed to restart: {proc.stderr}\n{self.log_tail()}")
        self._wait_until_answers()
        self._watch()

    @staticmethod
    def _wait_gone(pid: int, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return True
            time.sleep(0.1)
        return False

    def stop(self, *, keep: bool = False) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 30 s) and remove its folder unless ``keep``."""
        self._unwatch()
        pid = self.pid if self.pid is not None else self._read_pid()
        if pid is not None:
            try:
                os.kill(pid, signal.SIGTERM)
                if not self._wait_gone(pid, 30):
                    os.kill(pid, signal.SIGKILL)
                    self._wait_gone(pid, 10)
            except ProcessLookupError:
                pass
        self.pid = None
        if self.owns_folder and not keep:
            shutil.rmtree(self.folder, ignore_errors=True)
