"""The HTTP service: ``create_app(store)`` builds the FastAPI app over any ``Store``, so the tests run the same
app on every backend."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response

from kg.errors import KgError, NotFound, QueryError
from kg.queries import get_query
from kg.store.base import Store


def get_store(request: Request) -> Store:
    return request.app.state.store  # type: ignore[no-any-return]


StoreDep = Annotated[Store, Depends(get_store)]


def create_app(store: Store) -> FastAPI:
    """The kg API over ``store``."""
    app = FastAPI(title="kg", description="A knowledge graph of armed conflicts from news articles.")
    app.state.store = store

    @app.exception_handler(KgError)
    async def kg_error(request: Request, exc: KgError) -> JSONResponse:
        status = 404 if isinstance(exc, NotFound) else 400 if isinstance(exc, QueryError) else 500
        return JSONResponse({"error": type(exc).__name__, "message": str(exc)}, status_code=status)

    @app.get("/sparql")
    def sparql(store: StoreDep, query: Annotated[str, Query(description="A SPARQL 1.1 query.")]) -> Response:
        result = store.query_raw(query, "application/sparql-results+json")
        return Response(result.body, media_type=result.media_type)

    @app.get("/queries/{name}")
    def named_query(name: str, request: Request, store: StoreDep) -> dict[str, Any]:
        named = get_query(name)
        values = dict(request.query_params)
        rows = store.select(named.text, named.bind(values))
        return {"query": name, "rows": [{k: str(v) for k, v in row.items()} for row in rows]}

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    _ = HTTPException
    return app
