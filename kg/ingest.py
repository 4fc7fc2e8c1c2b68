"""The one place that runs load -> extract -> RDF -> validate -> store, one article at a time.

Each article ends in exactly one ``Outcome``: stored, rejected by SHACL (nothing stored), or failed (bad
input or an extractor error; nothing stored).  One bad article never stops the batch.

With ``n_process > 1`` the CPU-bound part (spaCy, the rules, the RDF mapping and the SHACL check) runs in a pool
of ``n_process`` spawned worker processes that each load spaCy once; the parent reads the input, keeps at
most ``2 * n_process`` batches in flight (memory stays flat however long the input), and writes each
article's graph atomically, in input order (``write_batch``: a batch's articles in one request to a SPARQL
server, each still all or nothing; one ``replace_graph`` each on the embedded store), as one process does
with its own batches.  A worker process that dies (killed, out of
memory) fails the articles in flight, each with its own outcome and nothing stored, and the pool is replaced
for the rest (``ExtractionPool``).  Several ``kg ingest``
processes may write to one SPARQL server at once: each article is its own named graph and entity triples are
only ever added, identical whoever writes them.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import multiprocessing
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from types import TracebackType

from rdflib import Graph

from kg import ns
from kg.errors import InputError, KgError, ShapeViolation, StoreError
from kg.model import Article, Extraction
from kg.rdf import add_derived, article_graph, entity_triples
from kg.store.base import Store
from kg.store.ntriples import ReceivedGraph, ntriples
from kg.validate import Report, validate_extraction

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    """What happened to one document."""

    doc: str
    status: str  # "stored", "skipped" (unchanged since stored: see kg.provenance), "rejected" or "failed"
    message: str = ""
    report: Report | None = None
    triples: int = 0
    claims: int = 0
    source: str | None = None  # where the document was read from (file, file:line), for error messages
    error: str = ""  # the KgError class that failed a write ("StoreUnavailable"...), for the API's status code

    @property
    def ok(self) -> bool:
        """Stored, now or (skipped) by an earlier run."""
        return self.status in ("stored", "skipped")


def build_graphs(extraction: Extraction) -> tuple[Graph, Graph, Report]:
    """The article graph, its entity triples and the SHACL report on both together.

    The claims are validated before their derived short paths are added (``kg.rdf.add_derived``, only to a
    graph that conforms): those are computed from the validated claims, so checking them again would change
    no verdict and cost a third of the validation (``kg.validate.validate_extraction``)."""
    graph = article_graph(extraction, derived=False)
    entities = entity_triples(extraction.entities)
    report = validate_extraction(extraction.article.id, (graph, entities))
    if report.conforms:
        add_derived(graph, extraction)
    return graph, entities, report


def store_extraction(store: Store, extraction: Extraction) -> Outcome:
    """Validate one extraction and, if it conforms, replace its article graph in one atomic write.

    :raises ShapeViolation: the graph violates a shape; nothing was stored.
    :raises StoreError: the write failed; nothing was stored.
    """
    started = time.perf_counter()
    graph, entities, report = build_graphs(extraction)
    if not report.conforms:
        raise ShapeViolation(report)
    store.replace_graph(ns.article_graph(extraction.article.id), graph, entities)
    log.info(
        "%s: stored %d triples, %d claims, %d warnings in %.2fs",
        extraction.article.id,
        len(graph),
        len(extraction.claims),
        len(report.warnings),
        time.perf_counter() - started,
    )
    return Outcome(extraction.article.id, "stored", report=report, triples=len(graph), claims=len(extraction.claims))


def ingest(
    store: Store,
    documents: Iterable[Article | InputError],
    *,
    batch_size: int = 16,
    n_process: int = 1,
    skip_unchanged: bool = False,
    pool: ExtractionPool | None = None,
) -> Iterator[Outcome]:
    """Extract, validate and store each document; yields one ``Outcome`` per document, in input order.

    Documents are streamed: at most one batch of articles (``2 * n_process`` batches with worker processes)
    is held in memory.

    :param batch_size: articles per ``nlp.pipe`` pass (and per task sent to a worker).
    :param n_process: extraction worker processes; 1 extracts in this process.
    :param skip_unchanged: do not extract an article whose stored graph was made from the same input by the
        same extractor version (``kg.provenance``; one store query a batch); its outcome is ``skipped`` and
        comes first among its batch's outcomes.
    :param pool: extract in this pool of worker processes instead of one started for this call: the API
        keeps one, so readers never wait on spaCy.

    A worker process that dies (SIGKILL, out of memory) fails every article in flight in the pool at that
    moment, each with an outcome saying so (``WORKER_DIED``) and nothing of it stored; the later articles go
    to fresh worker processes.

    Two documents with the same id in one call: the first wins, and each later one fails without being
    extracted, its message naming where the first came from.  Within one batch two different documents that
    claim one id are a scraper's mistake, and the first may already be stored when the second is read, so
    replacing it silently would lose an article; to replace an article on purpose, ingest the newer document
    on its own (re-ingest replaces the article's graph).
    """
    batches = _batches(documents, batch_size)
    if skip_unchanged:
        batches = skip_stored(store, batches)
    if n_process > 1 or pool is not None:
        yield from settling(store, _ingest_parallel(store, batches, batch_size, n_process, pool))
    else:
        yield from settling(store, _ingest_here(store, batches, batch_size))


def _ingest_here(store: Store, batches: Iterable[list[Article] | Outcome], batch_size: int) -> Iterator[Outcome]:
    for item in batches:
        yield from [item] if isinstance(item, Outcome) else _flush(store, item, batch_size)


def settling(store: Store, outcomes: Iterator[Outcome]) -> Iterator[Outcome]:
    """``outcomes`` as they come; then, if any was stored, ``settle_preferred_labels``, also when the caller
    stops early (``kg ingest --fail-fast`` closes the outcomes): ``outcomes`` is closed first (what is in
    flight is cancelled), then the labels settle.  The end of every ingest (``ingest``,
    ``kg.cluster.ingest_cluster``); a store error there only warns: each article is already stored whole or
    not at all, and the next ingest settles the labels."""
    stored = False
    try:
        for outcome in outcomes:
            stored = stored or outcome.status == "stored"
            yield outcome
    finally:
        close = getattr(outcomes, "close", None)
        if close is not None:
            close()
        if stored:
            try:
                settle_preferred_labels(store)
            except StoreError as exc:
                log.warning("preferred labels not settled (the next ingest settles them): %s", exc)


def settle_preferred_labels(store: Store) -> int:
    """One ``skos:prefLabel`` per entity across the articles stored (``kg.judgements.settle_labels``; the
    gazetteer's label for an entity it knows): one query when nothing needs settling, run after each ingest."""
    from kg.extract.gazetteer import load_gazetteer
    from kg.judgements import settle_labels

    def known(key: str) -> str | None:
        entity = load_gazetteer().get(key)
        return entity.label if entity is not None else None

    return settle_labels(store, known)


def _batches(documents: Iterable[Article | InputError], batch_size: int) -> Iterator[list[Article] | Outcome]:
    """The input cut into batches of articles, with the outcome of each unreadable or duplicate document in
    its place in the order."""
    batch: list[Article] = []
    seen: dict[str, tuple[str, str]] = {}  # id -> (where it was read, hash of its text)
    for doc in documents:
        if isinstance(doc, InputError):
            if batch:
                yield batch
                batch = []
            yield Outcome(doc.doc, "failed", doc.message, source=doc.doc)
            continue
        duplicate = _duplicate(seen, doc)
        if duplicate is not None:
            yield duplicate
            continue
        batch.append(doc)
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def skip_stored(store: Store, batches: Iterable[list[Article] | Outcome]) -> Iterator[list[Article] | Outcome]:
    """``batches`` without the articles whose stored graph was made from the same input by the same extractor
    version: each of those becomes a ``skipped`` outcome, ahead of the rest of its batch.  One query a batch.

    The check only saves work: when the store cannot answer it, the batch is extracted and written as usual
    (and its writes report the store's problem article by article)."""
    from kg.provenance import extractor_version, unchanged

    for item in batches:
        if isinstance(item, Outcome):
            yield item
            continue
        try:
            same = unchanged(store, item)
        except KgError as exc:
            log.warning("cannot ask the store which articles are unchanged (%s): extracting them all", exc)
            same = set()
        for article in item:
            if article.id in same:
                log.info("%s: skipped, unchanged since stored (same input, extractor %s)", article.id,
                         extractor_version())
                yield Outcome(article.id, "skipped", "unchanged since it was stored", source=article.source)
        rest = [article for article in item if article.id not in same]
        if rest:
            yield rest


def _duplicate(seen: dict[str, tuple[str, str]], article: Article) -> Outcome | None:
    """The failed outcome of a later document with an id already seen in this batch, else None."""
    digest = hashlib.sha256(article.text.encode("utf-8", "surrogatepass")).hexdigest()
    where = article.source or "an earlier document"
    if article.id not in seen:
        seen[article.id] = (where, digest)
        return None
    first, first_digest = seen[article.id]
    same = "the same text" if digest == first_digest else "a different text"
    return Outcome(
        article.id,
        "failed",
        f"{where}: duplicate id {article.id!r} ({same}) in this batch: the first, from {first}, wins; this one "
        "was not stored (ingest it on its own to replace the first)",
        source=article.source,
    )


def _flush(store: Store, batch: list[Article], batch_size: int) -> Iterator[Outcome]:
    """Extract, validate and store one batch in this process, as a worker and the parent do between them
    with ``--workers``: the batch's articles go to the store together (``write_batch``), which on a SPARQL
    server is one request of several articles, each still all or nothing (300 articles on Virtuoso 7.2:
    3.4-4.6x ``bulk_load`` in one request each, 2.9-3.9x sixteen a request)."""
    if batch:
        yield from write_batch(store, prepare_batch(batch, batch_size))


def extract_each(batch: list[Article], batch_size: int = 16) -> Iterator[Extraction | Exception]:
    """One extraction per article, in order; an article whose extraction fails gives its exception and the
    rest of the batch is still extracted."""
    from kg.extract import extract

    done = 0
    while done < len(batch):
        try:
            for extraction in extract(batch[done:], batch_size=batch_size):
                done += 1
                yield extraction
        except KgError as exc:  # the extractor stopped at batch[done]
            done += 1
            yield exc


@dataclass
class Prepared:
    """One article made ready to store by a worker process: its graphs as N-Triples (cheap to send between
    processes), or why it cannot be stored."""

    article: str
    source: str | None
    status: str  # "ready", "rejected" or "failed"
    message: str = ""
    report: Report | None = None
    graph: str = ""
    entities: str = ""
    graph_triples: int = 0
    entity_triples: int = 0
    claims: int = 0
    seconds: float = 0.0

    def graphs(self) -> tuple[Graph, Graph]:
        """The article graph and its entity triples, for the store."""
        return ReceivedGraph(self.graph, self.graph_triples), ReceivedGraph(self.entities, self.entity_triples)


def prepare_batch(batch: list[Article], batch_size: int) -> list[Prepared]:
    """Extract, map and validate a batch of articles (the work of one worker task)."""
    prepared = []
    for article, extraction in zip(batch, extract_each(batch, batch_size), strict=True):
        started = time.perf_counter()
        if isinstance(extraction, Exception):
            prepared.append(Prepared(article.id, article.source, "failed", f"extraction failed: {extraction}"))
            continue
        try:
            graph, entities, report = build_graphs(extraction)
        except KgError as exc:
            prepared.append(Prepared(article.id, article.source, "failed", str(exc)))
            continue
        if not report.conforms:
            message = str(ShapeViolation(report))
            prepared.append(Prepared(article.id, article.source, "rejected", message, report=report))
            continue
        prepared.append(
            Prepared(
                article.id,
                article.source,
                "ready",
                report=report,
                graph=ntriples(graph),
                entities=ntriples(entities),
                graph_triples=len(graph),
                entity_triples=len(entities),
                claims=len(extraction.claims),
                seconds=time.perf_counter() - started,
            )
        )
    return prepared


def write_prepared(store: Store, item: Prepared) -> Outcome:
    """Store one prepared article in one atomic write."""
    if item.status != "ready":
        return Outcome(item.article, item.status, item.message, report=item.report, source=item.source)
    started = time.perf_counter()
    graph, entities = item.graphs()
    try:
        store.replace_graph(ns.article_graph(item.article), graph, entities)
    except KgError as exc:
        return Outcome(item.article, "failed", str(exc), source=item.source, error=type(exc).__name__)
    log.info(
        "%s: stored %d triples, %d claims, %d warnings in %.2fs",
        item.article,
        len(graph),
        item.claims,
        len(item.report.warnings) if item.report else 0,
        item.seconds + time.perf_counter() - started,
    )
    return Outcome(item.article, "stored", report=item.report, triples=len(graph), claims=item.claims,
                   source=item.source)


def write_batch(store: Store, items: list[Prepared]) -> Iterator[Outcome]:
    """Store a batch of prepared articles: in few requests where the store offers ``replace_graphs`` (the
    SPARQL server: each article still all or nothing), else one ``replace_graph`` each; outcomes in order."""
    many = getattr(store, "replace_graphs", None)
    ready = [item for item in items if item.status == "ready"]
    if many is None or len(ready) < 2:
        for item in items:
            yield write_prepared(store, item)
        return
    started = time.perf_counter()
    graphs = {item.article: item.graphs() for item in ready}
    errors = dict(
        zip(graphs, many([(ns.article_graph(doc), g, e) for doc, (g, e) in graphs.items()]), strict=True)
    )
    log.debug("wrote %d articles in %.2fs", len(ready), time.perf_counter() - started)
    for item in items:
        if item.status != "ready":
            yield Outcome(item.article, item.status, item.message, report=item.report, source=item.source)
            continue
        error = errors[item.article]
        if error is not None:
            yield Outcome(item.article, "failed", str(error), source=item.source, error=type(error).__name__)
            continue
        graph = graphs[item.article][0]
        log.info("%s: stored %d triples, %d claims, %d warnings", item.article, len(graph), item.claims,
                 len(item.report.warnings) if item.report else 0)
        yield Outcome(item.article, "stored", report=item.report, triples=len(graph), claims=item.claims,
                      source=item.source)


def init_worker() -> None:
    """Load spaCy, the gazetteer, the offline place index and the shapes once per worker process (or once
    before forking the workers), not once per task."""
    from kg.extract.entities import get_nlp
    from kg.extract.gazetteer import load_gazetteer
    from kg.extract.places import place_index
    from kg.validate import class_hierarchy, ingest_shapes

    get_nlp()
    load_gazetteer()
    place_index()
    ingest_shapes()
    class_hierarchy()


WORKER_DIED = "extraction worker died"
"""How the outcome of an article in flight when its worker process died begins."""


def _new_executor(n_process: int) -> ProcessPoolExecutor:
    """``n_process`` spawned extraction workers, each loading spaCy and the rest once (``init_worker``).
    Forking them from a parent that had loaded spaCy (as ``nlp.pipe(n_process=...)`` does) was tried: 3 s
    less CPU in all, but 20% more wall time over 64 articles (16.4-17.0 s spawned, 19.9 s forked), the forked
    workers paying for copying the pages the parent's heap shares with them.  A ``ProcessPoolExecutor``,
    not a ``multiprocessing.Pool``: when a worker dies the pool's work in flight fails (``BrokenProcessPool``)
    where a ``Pool``'s would wait forever."""
    return ProcessPoolExecutor(n_process, mp_context=multiprocessing.get_context("spawn"), initializer=init_worker)


class ExtractionPool:
    """``n_process`` extraction worker processes, started on first use and replaced after one dies.

    Safe to share between threads (the API shares one between its requests).  When a worker dies, the
    executor fails every batch in flight in it; the next batch submitted starts a fresh executor, so a
    long-running server or a long ``kg ingest -j`` goes on extracting."""

    def __init__(self, n_process: int) -> None:
        self.n_process = n_process
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    @property
    def executor(self) -> ProcessPoolExecutor:
        """The running executor (started now if none is)."""
        with self._lock:
            if self._executor is None:
                self._executor = _new_executor(self.n_process)
            return self._executor

    def submit(self, batch: list[Article], batch_size: int) -> Future[list[Prepared]]:
        """Start preparing one batch in a worker (``prepare_batch``); a pool known to be broken is replaced
        first."""
        executor = self.executor
        try:
            return executor.submit(prepare_batch, batch, batch_size)
        except BrokenProcessPool:
            self._replace(executor)
            return self.executor.submit(prepare_batch, batch, batch_size)

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._executor is broken:
                self._executor = None
        log.warning("an extraction worker process died: starting %d fresh ones", self.n_process)
        broken.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """Stop the worker processes (each finishes the batch it is on; queued batches are cancelled)."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> ExtractionPool:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _ingest_parallel(
    store: Store,
    batches: Iterable[list[Article] | Outcome],
    batch_size: int,
    n_process: int,
    running: ExtractionPool | None = None,
) -> Iterator[Outcome]:
    max_in_flight = 2 * n_process
    pending: deque[Outcome | tuple[Future[list[Prepared]], list[Article]]] = deque()
    in_flight = 0

    def drain(limit: int) -> Iterator[Outcome]:
        """Yield finished outcomes from the head of the queue, waiting while more than ``limit`` batches
        are in flight."""
        nonlocal in_flight
        while pending:
            head = pending[0]
            if isinstance(head, Outcome):
                pending.popleft()
                yield head
                continue
            task, articles = head
            if in_flight <= limit and not task.done():
                return
            pending.popleft()
            in_flight -= 1
            try:
                results = task.result()
            except BrokenProcessPool:  # a worker died (killed, out of memory) with this batch in flight
                results = [
                    Prepared(
                        a.id,
                        a.source,
                        "failed",
                        f"{WORKER_DIED} (killed, or out of memory) before this article's batch was extracted; "
                        "nothing of it was stored (ingest it again)",
                    )
                    for a in articles
                ]
            except Exception as exc:  # the task itself failed (e.g. it could not be sent): the rest go on
                results = [Prepared(a.id, a.source, "failed", f"extraction worker failed: {exc!r}") for a in articles]
            yield from write_batch(store, results)

    with contextlib.nullcontext(running) if running else ExtractionPool(n_process) as pool:
        for item in batches:
            if isinstance(item, Outcome):
                pending.append(item)
            else:
                pending.append((pool.submit(item, batch_size), item))
                in_flight += 1
                log.debug("batch of %d articles sent to the extraction workers (%d in flight)", len(item), in_flight)
            yield from drain(max_in_flight - 1)
        yield from drain(0)
