"""``GET /queries`` (the named queries of ``queries/*.rq`` with their header documentation) and
``GET /queries/{name}`` (run one, its parameters checked against the header and bound as values)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kg.api.claims import plain
from kg.api.deps import StoreDep
from kg.api.guard import query_form
from kg.api.security import ERROR_RESPONSES
from kg.errors import QueryError
from kg.queries import NamedQuery, get_query, load_queries

router = APIRouter(tags=["queries"], responses=ERROR_RESPONSES)


def query_doc(query: NamedQuery) -> dict[str, Any]:
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
    }


@router.get("/queries", summary="The named queries and what they take")
def list_queries() -> list[dict[str, Any]]:
    return [query_doc(q) for q in load_queries().values()]


@router.get(
    "/queries/{name}",
    summary="Run a named query; parameters as query-string values",
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
    bound = query.bind(values)
    if query_form(query.text) in ("CONSTRUCT", "DESCRIBE"):
        graph = store.construct(query.text, bound)
        return Response(graph.serialize(format="turtle"), media_type="text/turtle; charset=utf-8")
    rows = store.select(query.text, bound)
    columns = list(dict.fromkeys(k for row in rows for k in row))
    return {
        "query": name,
        "title": query.title,
        "params": {k: str(v) for k, v in bound.items()},
        "columns": columns,
        "count": len(rows),
        "rows": [{k: plain(v) for k, v in row.items()} for row in rows],
    }
