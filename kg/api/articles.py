"""``GET /articles/{id}``, and the two writes, ``POST /articles`` and ``DELETE /articles/{id}``, which need
the bearer token (``KG_API_TOKEN``).

Article ids are document ids and may contain any visible character (a URL is a common id): percent-encode
them in the path, ``/articles/https%3A%2F%2Fexample.org%2Fa``.  An id with a control or line-break character,
with leading or trailing whitespace, or over ``KG_MAX_ID_CHARS`` characters is refused with 400 (see
``kg.load``), as is an article over ``KG_MAX_ARTICLE_CHARS`` characters.  A body holding the same id twice
follows the batch rule of ``kg ingest``: the first is stored, each later one is listed under ``failed``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from rdflib import URIRef
from starlette.concurrency import run_in_threadpool

from kg import ns
from kg.api.deps import StoreDep
from kg.api.paging import DEFAULT_LIMIT, LimitQ, OffsetQ, paged_json
from kg.api.security import ERROR_RESPONSES, require_token
from kg.errors import InputError, NotFound, ShapeViolation
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
async def post_article(request: Request, store: StoreDep) -> JSONResponse:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in _MEDIA:
        raise HTTPException(
            415, f"send the article as {', '.join(sorted(set(_MEDIA.values())))}, not {media or 'no type'}"
        )
    body = await request.body()
    if not body.strip():
        raise InputError("POST /articles", "empty body")
    outcomes, failed = await run_in_threadpool(_ingest, store, body, _MEDIA[media])
    answer: dict[str, Any] = {"stored": outcomes}
    if failed:
        answer["failed"] = failed
    return JSONResponse(answer, status_code=201, headers={"Location": outcomes[0]["url"]})


def _ingest(store: Store, body: bytes, media_type: str) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """Extract and validate every article of the body before writing any (the steps of
    ``kg.ingest.store_extraction``, so that a body with several articles is stored whole or not at all
    when one of them violates the shapes).  A later article with an id already seen in the body is not
    extracted: it is reported as failed, as ``kg ingest`` does (the first wins)."""
    from kg.extract import extract_one
    from kg.ingest import _duplicate, build_graphs
    from kg.load import parse_document

    articles = []
    failed = []
    seen: dict[str, tuple[str, str]] = {}
    for article in parse_document(body, "POST /articles", media_type=media_type):
        duplicate = _duplicate(seen, article)
        if duplicate is None:
            articles.append(article)
        else:
            failed.append({"id": article.id, "message": duplicate.message})
    prepared = []
    for article in articles:  # extract and validate every article before writing any
        extraction = extract_one(article)
        graph, entities, report = build_graphs(extraction)
        if not report.conforms:
            raise ShapeViolation(report)
        prepared.append((extraction, graph, entities, report))
    outcomes = []
    for extraction, graph, entities, report in prepared:
        doc_id = extraction.article.id
        store.replace_graph(ns.article_graph(doc_id), graph, entities)
        outcomes.append(
            {
                "id": doc_id,
                "url": f"/articles/{quote(doc_id, safe='')}",
                "claims": len(extraction.claims),
                "triples": len(graph),
                "warnings": [w.message for w in report.warnings],
            }
        )
    return outcomes, failed


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
