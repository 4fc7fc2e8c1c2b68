"""``GET /articles/{id}``, and the two writes, ``POST /articles`` and ``DELETE /articles/{id}``, which need
the bearer token (``KG_API_TOKEN``).

Article ids are document ids and may contain any visible character (a URL is a common id): percent-encode
them in the path, ``/articles/https%3A%2F%2Fexample.org%2Fa``.  An id with a control or line-break character,
with leading or trailing whitespace, or over ``KG_MAX_ID_CHARS`` characters is refused with 400 (see
``kg.load``), as is an article over ``KG_MAX_ARTICLE_CHARS`` characters.  A body holding the same id twice
follows the batch rule of ``kg ingest``: the first is stored, each later one is listed under ``failed``.

``POST /articles`` runs ``kg.ingest.ingest``, the function ``kg ingest`` runs, so an article posted and an
article ingested from a file end the same way: each article of a body is stored whole, in one atomic
write, or not at all, and is its own outcome (201 when any was stored, the others under ``failed`` with
their message, and ``violations`` for one the SHACL shapes rejected; when none was stored, the first one's
error: 422 rejected or not extracted, 502/503 the store failed, 500 the extraction worker process died, in
which case the server starts fresh ones for the next request).
"""

from __future__ import annotations

import atexit
import threading
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from rdflib import URIRef
from starlette.concurrency import run_in_threadpool

from kg import errors, ns
from kg.api.deps import SettingsDep, StoreDep
from kg.api.paging import DEFAULT_LIMIT, LimitQ, OffsetQ, paged_json
from kg.api.security import ERROR_RESPONSES, require_token
from kg.errors import ExtractionError, InputError, KgError, NotFound, ShapeViolation
from kg.ingest import WORKER_DIED, ExtractionPool, Outcome, ingest
from kg.load import parse_document
from kg.ns import KG, SCHEMA
from kg.queries import run_named, run_page
from kg.rows import claims_from_rows, plain
from kg.store.base import Store

router = APIRouter(tags=["articles"], responses=ERROR_RESPONSES)

_FIELDS = {
    SCHEMA.identifier: "id",
    SCHEMA.headline: "headline",
    SCHEMA.datePublished: "published",
    SCHEMA.publisher: "publisher",
    SCHEMA.url: "url",
    SCHEMA.inLanguage: "language",
    SCHEMA.wordCount: "wordCount",
    KG.reducedCoverage: "reducedCoverage",
}
_MEDIA = {
    "application/json": "application/json",
    "text/plain": "text/plain",
    "text/markdown": "text/plain",
    "text/html": "text/html",
    "application/xhtml+xml": "text/html",
}


def article_json(store: Store, doc_id: str) -> dict[str, Any]:
    """One article's metadata and claims.

    :raises NotFound: no such article.
    """
    iri = ns.article_iri(doc_id)
    rows = run_named(store, "article-details", {"article": str(iri)})  # one query: one consistent view
    if not any("p" in row for row in rows):
        raise NotFound(f"no article {doc_id!r}")
    data: dict[str, Any] = {"id": doc_id, "iri": str(iri), "graph": str(ns.article_graph(doc_id)), "notes": []}
    for row in rows:
        if "p" not in row:
            continue
        predicate, value = row["p"], row["o"]
        if isinstance(predicate, URIRef) and predicate in _FIELDS:
            data[_FIELDS[predicate]] = plain(value)
        elif predicate == SCHEMA.comment:
            data["notes"].append(str(value))
    data["claims"] = claims_from_rows([row for row in rows if "claim" in row])
    return data


@router.get("/articles", summary="The stored articles, newest first; a page at a time (limit, offset)")
def list_articles(
    request: Request, store: StoreDep, limit: LimitQ = DEFAULT_LIMIT, offset: OffsetQ = 0
) -> JSONResponse:
    page = run_page(store, "articles", limit=limit, offset=offset)
    articles = [
        {
            "id": plain(row.get("id")),
            "iri": plain(row.get("article")),
            "url": f"/articles/{quote(str(row.get('id')), safe='')}",
            "headline": plain(row.get("headline")),
            "published": plain(row.get("published")),
            "publisher": plain(row.get("publisher")),
        }
        for row in page.rows
    ]
    return paged_json(request, {"count": len(articles), "results": articles}, limit, offset, page.next_offset)


@router.get("/articles/{doc_id:path}", summary="One article: metadata and every claim extracted from it")
def get_article(doc_id: str, store: StoreDep) -> dict[str, Any]:
    return article_json(store, doc_id)


@router.post(
    "/articles",
    summary="Ingest one article (JSON, plain text or HTML body); needs the bearer token",
    status_code=201,
    dependencies=[Depends(require_token)],
    responses={
        201: {"description": "Stored (a later article with an id already in the body is listed under 'failed')"},
        400: {"description": "Unreadable article, or a bad id (control character, surrounding whitespace, too long)"},
        401: {"description": "No bearer token"},
        403: {"description": "Wrong token, or writes disabled"},
        413: {"description": "Body over KG_MAX_BODY_BYTES"},
        415: {"description": "Unsupported media type"},
        422: {"description": "Rejected by the SHACL shapes (their messages are in 'violations')"},
    },
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "id": {"type": "string"},
                            "title": {"type": "string"},
                            "text": {"type": "string"},
                            "published": {"type": "string", "format": "date"},
                            "outlet": {"type": "string"},
                            "url": {"type": "string"},
                        },
                        "required": ["text"],
                    }
                },
                "text/plain": {"schema": {"type": "string"}},
                "text/html": {"schema": {"type": "string"}},
            },
            "required": True,
        }
    },
)
async def post_article(request: Request, store: StoreDep, settings: SettingsDep) -> JSONResponse:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in _MEDIA:
        raise HTTPException(
            415, f"send the article as {', '.join(sorted(set(_MEDIA.values())))}, not {media or 'no type'}"
        )
    body = await request.body()
    if not body.strip():
        raise InputError("POST /articles", "empty body")
    outcomes = await run_in_threadpool(ingest_body, store, body, _MEDIA[media], settings.ingest_workers)
    stored = [o for o in outcomes if o.ok]
    if not stored:
        raise _error_of(outcomes[0])
    answer: dict[str, Any] = {
        "stored": [
            {
                "id": o.doc,
                "url": f"/articles/{quote(o.doc, safe='')}",
                "claims": o.claims,
                "triples": o.triples,
                "warnings": [w.message for w in o.report.warnings] if o.report else [],
            }
            for o in stored
        ]
    }
    failed = [_failure(o) for o in outcomes if not o.ok]
    if failed:
        answer["failed"] = failed
    return JSONResponse(answer, status_code=201, headers={"Location": answer["stored"][0]["url"]})


def ingest_body(store: Store, body: bytes, media_type: str, workers: int = 1) -> list[Outcome]:
    """The articles of one request body through ``kg.ingest.ingest``, the function ``kg ingest`` runs: each
    article extracted, validated and written in one atomic write, its own ``Outcome`` (a later article with
    an id already seen in the body fails, the first wins).  Extraction runs in ``workers`` worker processes
    kept for the server's life (``KG_INGEST_WORKERS``), so spaCy never holds the server's interpreter while
    readers wait; 0 extracts in this thread.

    :raises InputError: the body is not one article or a JSON list of articles.
    """
    articles = parse_document(body, "POST /articles", media_type=media_type)
    if workers <= 0:
        return list(ingest(store, articles))
    return list(ingest(store, articles, n_process=workers, pool=extraction_pool(workers)))


_pools: dict[int, ExtractionPool] = {}
_pools_lock = threading.Lock()


def extraction_pool(workers: int) -> ExtractionPool:
    """The extraction worker processes of this server process (spawned, never forked: the server is
    multi-threaded), started on the first write and shared by every app in the process; stopped at exit.
    When one dies, the requests with articles in flight fail them (500) and the next request gets fresh
    workers (``kg.ingest.ExtractionPool``)."""
    with _pools_lock:
        pool = _pools.get(workers)
        if pool is None:
            pool = _pools[workers] = ExtractionPool(workers)
            atexit.register(pool.close)
        return pool


def _error_of(outcome: Outcome) -> KgError:
    """The error that answers a body none of whose articles was stored: its first article's (with the
    status ``kg.api.security.STATUS`` gives its class: 422 rejected or not extracted, 502/503 not written)."""
    if outcome.status == "rejected" and outcome.report is not None:
        return ShapeViolation(outcome.report)
    if outcome.message.startswith(WORKER_DIED):  # the server's failure, not the article's
        return KgError(f"{outcome.doc}: {outcome.message}")
    cls = getattr(errors, outcome.error, None) if outcome.error else None
    if isinstance(cls, type) and issubclass(cls, errors.StoreError):
        return cls(outcome.message)
    prefix = "extraction failed: "
    if outcome.message.startswith(prefix):
        return ExtractionError(outcome.doc, outcome.message[len(prefix) :])
    return InputError(outcome.doc, outcome.message)


def _failure(outcome: Outcome) -> dict[str, Any]:
    item: dict[str, Any] = {"id": outcome.doc, "status": outcome.status, "message": outcome.message}
    if outcome.report is not None and outcome.report.violations:
        item["violations"] = [
            {"message": v.message, "focus": v.focus, "path": v.path} for v in outcome.report.violations
        ]
    return item


@router.delete(
    "/articles/{doc_id:path}",
    summary="Remove one article's graph; needs the bearer token",
    status_code=204,
    dependencies=[Depends(require_token)],
    responses={401: {"description": "No bearer token"}, 403: {"description": "Wrong token, or writes disabled"}},
)
def delete_article(doc_id: str, store: StoreDep) -> Response:
    existed = store.drop_graph(ns.article_graph(doc_id))
    if not existed:
        raise NotFound(f"no article {doc_id!r}")
    return Response(status_code=204)
