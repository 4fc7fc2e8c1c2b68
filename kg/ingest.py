"""The one place that runs load -> extract -> RDF -> validate -> store, one article at a time.

Each article ends in exactly one ``Outcome``: stored, rejected by SHACL (nothing stored), or failed (bad
input or an extractor error; nothing stored).  One bad article never stops the batch.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from rdflib import Graph

from kg import ns
from kg.errors import InputError, KgError, ShapeViolation
from kg.model import Article, Extraction
from kg.rdf import article_graph, entity_triples
from kg.store.base import Store
from kg.validate import Report, validate_graph

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    """What happened to one document."""

    doc: str
    status: str  # "stored", "rejected" or "failed"
    message: str = ""
    report: Report | None = None
    triples: int = 0
    claims: int = 0
    source: str | None = None  # where the document was read from (file, file:line), for error messages

    @property
    def ok(self) -> bool:
        return self.status == "stored"


@dataclass
class Summary:
    """The outcomes of one batch; ``failed`` counts rejected and failed documents alike."""

    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def stored(self) -> int:
        return sum(o.ok for o in self.outcomes)

    @property
    def failed(self) -> int:
        return sum(not o.ok for o in self.outcomes)


def build_graphs(extraction: Extraction) -> tuple[Graph, Graph, Report]:
    """The article graph, its entity triples and the SHACL report on both together."""
    graph = article_graph(extraction)
    entities = entity_triples(extraction.entities)
    report = validate_graph(extraction.article.id, graph + entities)
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
    store: Store, documents: Iterable[Article | InputError], *, batch_size: int = 16, n_process: int = 1
) -> Iterator[Outcome]:
    """Extract, validate and store each document; yields one ``Outcome`` per document, in input order.

    Documents are streamed: at most one batch of articles is held in memory.

    Two documents with the same id in one call: the first wins, and each later one fails without being
    extracted, its message naming where the first came from.  Within one batch two different documents that
    claim one id are a scraper's mistake, and the first may already be stored when the second is read, so
    replacing it silently would lose an article; to replace an article on purpose, ingest the newer document
    on its own (re-ingest replaces the article's graph).
    """
    batch: list[Article] = []
    seen: dict[str, tuple[str, str]] = {}  # id -> (where it was read, hash of its text)
    for doc in documents:
        if isinstance(doc, InputError):
            yield from _flush(store, batch, batch_size, n_process)
            batch = []
            yield Outcome(doc.doc, "failed", doc.message, source=doc.doc)
            continue
        duplicate = _duplicate(seen, doc)
        if duplicate is not None:
            yield duplicate
            continue
        batch.append(doc)
        if len(batch) >= batch_size:
            yield from _flush(store, batch, batch_size, n_process)
            batch = []
    yield from _flush(store, batch, batch_size, n_process)


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


def _flush(store: Store, batch: list[Article], batch_size: int, n_process: int) -> Iterator[Outcome]:
    if not batch:
        return
    from kg.extract import extract

    extractions = extract(batch, batch_size=batch_size, n_process=n_process)
    for article, extraction in zip(batch, extractions, strict=True):
        yield store_one(store, article, extraction)


def store_one(store: Store, article: Article, extraction: Extraction | Exception) -> Outcome:
    """The outcome of storing one article's extraction, with every kg error turned into a failed outcome."""
    where = article.source
    if isinstance(extraction, Exception):
        return Outcome(article.id, "failed", f"extraction failed: {extraction}", source=where)
    try:
        outcome = store_extraction(store, extraction)
    except ShapeViolation as exc:
        return Outcome(article.id, "rejected", str(exc), report=exc.report, source=where)
    except KgError as exc:
        return Outcome(article.id, "failed", str(exc), source=where)
    outcome.source = where
    return outcome
