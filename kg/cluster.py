"""``kg ingest --cluster``: extraction on a Dask distributed cluster, each worker writing to one SPARQL server.

The client (``kg ingest``) reads the input, cuts it into batches, asks the store once a batch which articles
are unchanged since they were stored (``kg.provenance``) and submits the rest in tasks of at most
``TASK_ARTICLES`` (smaller at the end of the input), one task in flight per worker thread (``as_completed``
with a window), so memory stays flat however long the input.  Each worker process loads spaCy once
(``_warm``, cached, in its first task; the scheduler keeps hearing from the worker meanwhile, as tasks run
beside its event loop), then for each task extracts,
validates and writes every article to the SPARQL server itself, each in one transaction
(``kg.ingest.prepare_batch`` and ``write_batch``, as ``--workers`` does in one process), and sends back only
each article's small ``Outcome``.  The client never sees a graph.

Faults.  An article counts as stored once its outcome reached the client, and by then its write was
committed.  A worker that dies mid-batch takes its unfinished batch with it: the scheduler runs the batch
again on another worker (up to ``distributed.scheduler.allowed-failures`` times, then the batch's articles are
reported failed), and because each article is one named graph replaced in one transaction, writing it a
second time gives the same graph, never a half-written one.  A scheduler that goes away ends the run with
``ClusterUnavailable``; what was reported stored is stored, and running the same command again extracts only
what is missing (the rest is skipped as unchanged).

The workers open the store with the client's ``KG_STORE*`` settings, sent with each task (so several clients
may share one cluster with different stores): they travel over Dask's connections, so run the cluster on a
private network or with Dask's TLS.  The embedded store cannot take writes from several processes, so a
cluster needs a SPARQL server.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from functools import cache
from typing import Any

from kg.errors import InputError, KgError
from kg.ingest import Outcome, _batches, prepare_batch, settling, skip_stored, write_batch
from kg.model import Article
from kg.provenance import extractor_version
from kg.store.base import Store

log = logging.getLogger(__name__)

#: The settings a worker needs to open the store, sent by the client (``KG_STORE`` is the query URL).
STORE_SETTINGS = (
    "KG_STORE",
    "KG_STORE_UPDATE_URL",
    "KG_STORE_USER",
    "KG_STORE_PASSWORD",
    "KG_STORE_AUTH",
    "KG_STORE_TIMEOUT",
)
#: Seconds to wait for the scheduler to answer, and for a first worker to join it.
CONNECT_TIMEOUT = 30.0
WORKER_TIMEOUT = 120.0
#: Articles per task at most: small tasks keep every worker busy to the end of the input (with tasks of 16
#: articles, 64 articles made 4 tasks on 2 workers, and one worker often sat idle while the other did a last
#: task of 6 s); extraction costs the same per article in tasks of 1, 4 or 16.
TASK_ARTICLES = 4
#: Seconds the client trusts its count of the cluster's worker threads (the size of its window of tasks).
THREADS_TTL = 2.0
#: Dask settings for the workers of ``local:N``.  The statistical profiler samples the task thread's stack
#: every 10 ms under the GIL: 7-12% more CPU for spaCy's deep stacks, on the cores the extraction needs.
LOCAL_WORKER_CONFIG = {"distributed.worker.profile.enabled": False}


class ClusterUnavailable(KgError):
    """The Dask scheduler cannot be reached, has no workers, or went away during the run."""


def is_server(spec: str) -> bool:
    """Whether a store spec names a SPARQL server (the only store a cluster can write to)."""
    return spec.startswith(("http://", "https://"))


def store_settings(query_url: str, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The ``KG_STORE*`` settings for the workers: the query URL and whatever of the rest ``env`` (default:
    this process's environment) sets."""
    env = os.environ if env is None else env
    settings = {name: env[name] for name in STORE_SETTINGS[1:] if env.get(name)}
    return {"KG_STORE": query_url, **settings}


# worker side -----------------------------------------------------------------------------------------------
_stores: dict[tuple[tuple[str, str], ...], Store] = {}
_stores_lock = threading.Lock()


def _worker_store(settings: Mapping[str, str]) -> Store:
    """This worker process's connection to the store ``settings`` name, opened once and reused."""
    from kg.store.sparql import SparqlStore

    key = tuple(sorted(settings.items()))
    with _stores_lock:
        store = _stores.get(key)
        if store is None:
            store = _stores[key] = SparqlStore.from_env(settings["KG_STORE"], settings)
        return store


@cache
def _warm() -> None:
    """Load spaCy, the shapes and the ontology axioms into this worker process once, and compute the extractor
    version: the first task on a worker pays for it, every later one reuses it."""
    from kg.ingest import init_worker

    init_worker()
    extractor_version()


def extract_and_store(
    articles: list[Article], batch_size: int, settings: Mapping[str, str], version: str
) -> list[Outcome]:
    """A worker's task: extract, validate and write a batch of articles; each article's outcome, in order.

    A worker whose extractor differs from the client's writes nothing: its graphs would record another
    version, and the next run would extract them all again."""
    _warm()
    mine = extractor_version()
    if mine != version:
        message = (
            f"the Dask worker {_worker_address()} runs extractor {mine}, the client {version}: install the same "
            "kg (and spaCy model) on every worker and on the client"
        )
        return [Outcome(a.id, "failed", message, source=a.source) for a in articles]
    store = _worker_store(settings)
    outcomes = write_batch(store, prepare_batch(articles, batch_size))
    # the SHACL report stays on the worker: its warnings were logged there, and only the verdict travels
    return [replace(outcome, report=None) for outcome in outcomes]


def _worker_address() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return "(not a worker)"


# client side -----------------------------------------------------------------------------------------------
class Session:
    """A connection to the cluster named by ``spec`` (``tcp://HOST:PORT`` of a running scheduler, or
    ``local:N`` for a ``LocalCluster`` of N worker processes on this machine), made when first needed: a run
    with nothing to extract starts no workers."""

    def __init__(self, spec: str, *, connect_timeout: float = CONNECT_TIMEOUT, worker_timeout: float = WORKER_TIMEOUT):
        self.spec = spec
        self.connect_timeout = connect_timeout
        self.worker_timeout = worker_timeout
        self._client: Any = None
        self._cluster: Any = None
        self._threads: tuple[float, int] | None = None
        if spec.startswith("local:"):
            try:
                self.local_workers: int | None = int(spec.removeprefix("local:"))
            except ValueError:
                self.local_workers = None
            if self.local_workers is None or self.local_workers < 1:
                raise ClusterUnavailable(f"--cluster {spec}: local:N needs a number of worker processes N >= 1")
        elif "://" in spec:
            self.local_workers = None
        else:
            raise ClusterUnavailable(
                f"--cluster {spec}: expected the address of a Dask scheduler (tcp://HOST:8786) or local:N"
            )

    def client(self) -> Any:
        """The ``distributed.Client``, connected (and the local cluster started) on the first call."""
        if self._client is not None:
            return self._client
        try:
            import dask
            from distributed import Client, LocalCluster
        except ImportError as exc:
            raise ClusterUnavailable(f"--cluster needs Dask distributed: pip install 'dask[distributed]' ({exc})") \
                from exc
        # Dask logs every connection at INFO: kg's own lines (-v) are the ones a researcher reads
        logging.getLogger("distributed").setLevel(logging.WARNING)
        if self.local_workers is not None:
            with dask.config.set(LOCAL_WORKER_CONFIG):  # the nannies hand this config to their worker processes
                self._cluster = LocalCluster(
                    n_workers=self.local_workers, threads_per_worker=1, processes=True, dashboard_address=None,
                    silence_logs=logging.ERROR,
                )
            self._client = Client(self._cluster)
        else:
            try:
                self._client = Client(self.spec, timeout=self.connect_timeout)
            except (OSError, TimeoutError) as exc:
                raise ClusterUnavailable(f"cannot reach the Dask scheduler at {self.spec}: {exc}") from exc
        try:
            self._client.wait_for_workers(1, timeout=self.worker_timeout)
        except TimeoutError:
            self.close()
            raise ClusterUnavailable(
                f"no Dask worker joined the scheduler at {self.spec} within {self.worker_timeout:.0f}s: start "
                f"some with `dask worker {self.spec} --nthreads 1`"
            ) from None
        return self._client

    def threads(self) -> int:
        """The cluster's worker threads now (workers may join or leave during a run); asked of the scheduler at
        most once every ``THREADS_TTL`` seconds."""
        now = time.monotonic()
        if self._threads is None or now - self._threads[0] > THREADS_TTL:
            self._threads = (now, max(1, sum(self.client().nthreads().values())))
        return self._threads[1]

    def close(self) -> None:
        if self._client is not None:
            # a client whose scheduler went away logs that it gave up reconnecting: the run already said so
            logging.getLogger("distributed.client").setLevel(logging.CRITICAL)
            try:
                self._client.close(timeout=10)
            except Exception as exc:  # a scheduler already gone: nothing left to close cleanly
                log.debug("closing the Dask client: %r", exc)
            self._client = None
        if self._cluster is not None:
            _end_local_workers(self._cluster)
            self._cluster.close(timeout=30)
            self._cluster = None


def _end_local_workers(cluster: Any) -> None:
    """End a ``LocalCluster``'s worker processes at once (SIGKILL) instead of letting each close gracefully and
    tear down its interpreter (spaCy's heap with it), which took 0.7 s of every run's wall time.  Nothing is
    lost: the client is gone, so every article a worker reported is committed and any other is not reported
    stored (each article's write is one transaction, as when a worker dies mid-run).  The nannies are told
    first that their workers are going, so they do not start new ones."""

    async def closing() -> None:
        for nanny in cluster.workers.values():
            nanny.close_gracefully(reason="kg ingest finished")

    try:
        cluster.sync(closing)
    except Exception as exc:  # the nannies are closed another way by ``cluster.close``
        log.debug("telling the local Dask nannies the run is over: %r", exc)
        return
    for nanny in cluster.workers.values():
        pid = getattr(nanny, "pid", None)
        if pid:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def ingest_cluster(
    session: Session,
    store: Store,
    documents: Iterable[Article | InputError],
    settings: Mapping[str, str],
    *,
    batch_size: int = 16,
    skip_unchanged: bool = True,
    in_flight: int | None = None,
    task_size: int | None = None,
) -> Iterator[Outcome]:
    """``kg.ingest.ingest`` on a cluster: one ``Outcome`` per document, as the tasks finish (not in input order).
    ``store`` is the client's own connection to the store, for the check of which articles are unchanged (one
    query a batch of ``batch_size``); ``settings`` tell the workers how to reach the same store.

    Each worker thread holds one task at a time: the client reads and checks the next task while the workers
    extract, and sends it the moment one finishes.  Tasks queued on a busy worker (as a wider window left them)
    waited for Dask's work stealing while another worker sat idle, over a second at the end of a run.

    :param in_flight: tasks submitted and not yet finished, at most (default: the cluster's worker threads).
    :param task_size: articles per task (default: ``batch_size``, at most ``TASK_ARTICLES``), smaller at the
        end of the input.
    :raises ClusterUnavailable: the scheduler cannot be reached or went away; the outcomes yielded before
        stand (those articles are stored).
    """
    outcomes = _run(session, store, documents, settings, batch_size, skip_unchanged, in_flight, task_size)
    yield from settling(store, outcomes)


def _run(
    session: Session,
    store: Store,
    documents: Iterable[Article | InputError],
    settings: Mapping[str, str],
    batch_size: int,
    skip_unchanged: bool,
    in_flight: int | None,
    task_size: int | None,
) -> Iterator[Outcome]:
    """``ingest_cluster``'s tasks and their outcomes; the tasks in flight are cancelled when it is closed."""
    version = extractor_version()
    batches = _batches(documents, batch_size)
    if skip_unchanged:
        batches = skip_stored(store, batches)
    size = task_size or min(batch_size, TASK_ARTICLES)
    pending: dict[Any, list[Article]] = {}
    finished: Any = None
    try:
        for item in _tasks(batches, size, session.threads):
            if isinstance(item, Outcome):
                yield item
                continue
            client = session.client()
            if finished is None:  # Dask is imported (a second) only when there is work: a re-run has none
                from distributed import as_completed

                finished = as_completed()
            done: list[Any] = []
            while len(pending) - len(done) >= (in_flight or session.threads()):
                done.append(next(finished))
            # the freed worker gets its next task before the client reads the outcomes of the last one
            future = client.submit(extract_and_store, item, batch_size, dict(settings), version, pure=False)
            pending[future] = item
            finished.add(future)
            for ended in done:
                yield from _collect(session, ended, pending)
        if finished is not None:
            while pending:
                yield from _collect(session, next(finished), pending)
    finally:
        for future in pending:
            future.cancel()


def _tasks(
    batches: Iterable[list[Article] | Outcome], size: int, threads: Callable[[], int]
) -> Iterator[list[Article] | Outcome]:
    """``batches`` with each list of articles cut into tasks of at most ``size``, smaller and smaller in the
    last batch (down to one article), so the workers finish together: the batch after the one being cut is
    read first, to know which is the last."""
    items = iter(batches)
    current: list[Article] | None = None
    while True:
        following = None
        for item in items:
            if isinstance(item, Outcome):
                yield item
                continue
            following = item
            break
        while current:
            n = size if following is not None else max(1, min(size, -(-len(current) // (2 * threads()))))
            yield current[:n]
            current = current[n:]
        if following is None:
            return
        current = following


def _collect(session: Session, future: Any, pending: dict[Any, list[Article]]) -> list[Outcome]:
    """The outcomes of one finished batch; a batch that failed as a whole (its workers kept dying, or a bug)
    gives each of its articles a failed outcome, and the run goes on."""
    articles = pending.pop(future)
    if future.status == "cancelled":
        pending[future] = articles  # still not done: cancelled with the rest in ``ingest_cluster``
        raise ClusterUnavailable(
            f"lost the Dask scheduler at {session.spec} with {len(pending)} batches in flight: the articles "
            "reported stored are stored; run the same command again to finish (they are skipped as unchanged)"
        )
    try:
        return list(future.result())
    except Exception as exc:
        if future.status == "cancelled":
            pending[future] = articles
            raise ClusterUnavailable(f"lost the Dask scheduler at {session.spec}: {exc!r}; run the same command "
                                     "again to finish (articles stored already are skipped)") from exc
        message = f"the cluster could not process its batch: {type(exc).__name__}: {exc}"
        return [Outcome(a.id, "failed", message, source=a.source) for a in articles]
