"""``GET /queries`` (the named queries of ``queries/*.rq`` with their header documentation) and
``GET /queries/{name}`` (run one, its parameters checked against the header and bound as values).

A SELECT answers one page of rows (``limit``, default 100, at most 1,000, and ``offset``) with the next
page's address in ``next`` and a ``Link`` header.  A query of claims in date order (``kg.queries.pages_of_claims``:
``claim-details``, ``troops-by-location``, ``deployments``, ``actor-statements``, ``entity-graph``) answers
pages of whole claims, as ``/entities/{id}`` does: ``limit`` counts claims (a claim's claimants are never cut
across two pages), the next page's address carries the page's last claim (``after``, a cursor: a deep page
costs what the first does), and ``order=newest`` lists the most recent claims first.  ``entity-graph``, a
CONSTRUCT, answers its page as Turtle, the next page's address in the ``Link`` header.  Any other CONSTRUCT or
DESCRIBE (``estimate-claims``, a bulk export; ``article-graph``, one article) answers all its triples as Turtle
serialised by the store itself (``Store.query_raw``): never parsed into an rdflib graph and written out again,
which for a large answer cost more time and memory than the query."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kg.api.deps import StoreDep
from kg.api.guard import query_form
from kg.api.paging import ORDERS, PAGE_PARAMS, link_headers, next_url, paged_json
from kg.api.security import ERROR_RESPONSES
from kg.errors import QueryError
from kg.queries import (
    DEFAULT_LIMIT,
    NamedQuery,
    claim_after,
    construct_page,
    get_query,
    last_claim,
    load_queries,
    pages_of_claims,
    run_page,
)
from kg.rdf import bind_prefixes
from kg.rows import plain
from kg.store.base import bind_values

router = APIRouter(tags=["queries"], responses=ERROR_RESPONSES)


def query_doc(query: NamedQuery) -> dict[str, Any]:
    by_claims = pages_of_claims(query)
    return {
        "name": query.name,
        "title": query.title,
        "description": query.description,
        "form": query_form(query.text),
        "url": f"/queries/{query.name}",
        "params": [
            {"name": p.name, "type": p.type, "required": p.required, "default": p.default, "description": p.description}
            for p in query.params
        ],
        "paged": query.form == "SELECT" or by_claims,
        # what limit counts: whole claims (with a cursor, after, and order=newest) or rows
        "pages": "claims" if by_claims else "rows" if query.form == "SELECT" else None,
    }


@router.get("/queries", summary="The named queries and what they take")
def list_queries() -> list[dict[str, Any]]:
    return [query_doc(q) for q in load_queries().values()]


@router.get(
    "/queries/{name}",
    summary="Run a named query; parameters as query-string values; a page (limit, offset; for claims after, order)",
    responses={200: {"content": {"application/json": {}, "text/turtle": {}}}},
)
def run_query(name: str, request: Request, store: StoreDep) -> Any:
    query = get_query(name)
    values: dict[str, str] = {}
    for key in request.query_params:
        given = request.query_params.getlist(key)
        if len(given) > 1:
            raise QueryError(f"give parameter {key!r} once, not {len(given)} times")
        values[key] = given[0]
    page = {key: _integer(key, values.pop(key)) for key in PAGE_PARAMS if key in values}
    form = query_form(query.text)
    by_claims = pages_of_claims(query)
    if not by_claims:
        after, newest = None, False
    else:  # pages of whole claims, as /entities/{id}: a cursor (after) and an order (oldest, newest) too
        raw, order = values.pop("after", None), values.pop("order", "oldest")
        if order not in ORDERS:
            raise QueryError(f"order is {' or '.join(ORDERS)}, got {order!r}")
        after, newest = (claim_after(raw) if raw else None), order == "newest"
    bound = query.bind(values)
    limit, offset = page.get("limit", DEFAULT_LIMIT), page.get("offset", 0)
    if form in ("CONSTRUCT", "DESCRIBE") and by_claims:
        graph, next_offset = construct_page(store, query, values, limit=limit, offset=offset, after=after,
                                            newest=newest)
        url = next_url(request, next_offset, last_claim(store, graph, newest) if next_offset is not None else None)
        turtle = bind_prefixes(graph).serialize(format="turtle")
        return Response(turtle, media_type="text/turtle; charset=utf-8", headers=link_headers(url))
    if form in ("CONSTRUCT", "DESCRIBE"):
        if page:
            raise QueryError(f"query {name!r} answers triples, not rows: it has no pages (no limit or offset)")
        raw_result = store.query_raw(bind_values(query.text, bound), "text/turtle")
        return Response(raw_result.body, media_type="text/turtle; charset=utf-8")
    result = run_page(store, query, values, limit=limit, offset=offset, group="claim" if by_claims else None,
                      after=after, newest=newest)
    rows = result.rows
    columns = list(dict.fromkeys(k for row in rows for k in row))
    body = {
        "query": name,
        "title": query.title,
        "params": {k: str(v) for k, v in bound.items()},
        "pages": "claims" if by_claims else "rows",
        "columns": columns,
        "count": len(rows),
        "rows": [{k: plain(v) for k, v in row.items()} for row in rows],
    }
    return paged_json(request, body, limit, offset, result.next_offset, result.last)


def _integer(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise QueryError(f"{name} must be a whole number, got {raw!r}") from None
