"""The HTTP service: ``create_app(store)`` builds the FastAPI app over any ``Store``, so the tests run the same
app on every backend.  Three ways in: the SPARQL endpoint (``/sparql``), REST lookups (``/entities``,
``/articles``, ``/deployments``, ``/queries``) and Gephi exports (``/export.gexf``, ``/export.graphml``)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from kg.api import articles, entities, export, judgements, pages, queries, reports, sparql
from kg.api.params import QueryStringRules
from kg.api.runner import QueryGate, QueryRunner, check_snapshot_dir
from kg.api.security import BodyLimit, ReadTimeLimit, install_error_handlers
from kg.settings import Settings
from kg.store.base import Store

log = logging.getLogger(__name__)

DESCRIPTION = """\
A knowledge graph of armed conflicts from news articles: who has forces where, according to whom, with
the sentence each claim rests on.

* **SPARQL** at `/sparql` (SPARQL 1.1 Protocol, read-only). The default graph is the **union of all
  graphs** (every article's named graph and the entity graph), so queries need no `GRAPH` clause.
* **REST** lookups by entity, article and deployment, and the named queries of `queries/*.rq`.
* **Gephi** exports: `/export.gexf` (dynamic, for the timeline) and `/export.graphml`.

Writes (`POST`/`DELETE /articles`) need `Authorization: Bearer <KG_API_TOKEN>`. Errors are JSON
`{"error", "message"}`.
"""


def create_app(store: Store, settings: Settings | None = None) -> FastAPI:
    """The kg API over ``store``, configured by ``settings`` (default: from the environment).

    :raises KgError: the embedded store's query snapshots cannot be written (``KG_SNAPSHOT_DIR``): said at
        start-up rather than as a 500 on every query.
    """
    settings = settings or Settings.from_env()
    runner = QueryRunner(
        store,
        timeout=settings.query_timeout,
        max_rows=settings.max_rows,
        workers=settings.query_workers,
        memory_mb=settings.query_memory_mb,
        snapshot_dir=settings.snapshot_dir,
    )
    if runner.uses_workers:
        check_snapshot_dir(settings.snapshot_dir)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        runner.close()

    app = FastAPI(title="kg", description=DESCRIPTION, version="0.1.0", lifespan=lifespan)
    app.state.store = store
    app.state.settings = settings
    app.state.runner = runner
    app.state.gate = QueryGate(settings.query_per_client, settings.query_queue)
    install_error_handlers(app)
    app.add_middleware(ReadTimeLimit, seconds=settings.read_timeout)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(QueryStringRules, limit=settings.max_param_chars)  # each parameter once (kg.api.params)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Accept"],
        )
    for module in (pages, sparql, entities, articles, queries, export, reports, judgements):  # pages first: HTML wins
        app.include_router(module.router)

    @app.get("/health", tags=["service"], summary="Liveness")
    async def health() -> dict[str, str]:  # async: on the event loop, never behind a full thread pool
        return {"status": "ok"}

    return app
