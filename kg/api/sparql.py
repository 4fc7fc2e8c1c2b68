"""The SPARQL 1.1 Protocol endpoint, read-only: ``GET``/``POST /sparql``."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs

import anyio
import pyoxigraph as ox
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from kg.api.deps import GateDep, RunnerDep
from kg.api.guard import check_graph_uris
from kg.api.negotiation import negotiate
from kg.api.results import RDF_FORMATS, RESULT_TYPES
from kg.errors import QueryError, QueryRefused

DESCRIPTION = """\
A SPARQL 1.1 Protocol endpoint over the whole store, **read-only**.

* Send the query by `GET ?query=`, by `POST` form-encoded (`query=`) or by `POST` with
  `Content-Type: application/sparql-query`.
* **The default graph is the union of all graphs**: every article's named graph and the entity graph
  `https://w3id.org/kg/graph/entities`, so a query needs no `GRAPH` clause.  `default-graph-uri` replaces it
  by the graphs named; `named-graph-uri` restricts what `GRAPH ?g` sees.
* SELECT and ASK answer `application/sparql-results+json` (default), `application/sparql-results+xml`,
  `text/csv` or `text/tab-separated-values`; CONSTRUCT and DESCRIBE answer `text/turtle` (default),
  `application/n-triples`, `application/rdf+xml`, `application/ld+json`, `application/trig` or
  `application/n-quads`.  Anything else: 406.
* SPARQL Update, `LOAD` and `SERVICE` are refused (403) however they are spelt: the decision is made on the
  parsed query, and the query workers have no network.  A malformed query gets 400 with the position.
* `FROM`/`FROM NAMED` in the query replace the union default graph, as `default-graph-uri` does.
* Relative IRIs in the query (`<s>`, and a relative `BASE`) resolve against the endpoint's URL as requested
  (without its query string).
* A query is stopped after `KG_QUERY_TIMEOUT` seconds or at `KG_QUERY_MEMORY_MB` of memory (503); an answer
  is cut at `KG_QUERY_MAX_ROWS` rows or triples, and then carries `X-KG-Truncated: true` and a `Warning`
  header.  One client may have `KG_QUERY_PER_CLIENT` queries in flight (429 beyond), all clients together
  `KG_QUERY_QUEUE` (503 beyond).
"""

router = APIRouter(tags=["sparql"])

_RESULT_ALIASES = {
    "application/sparql-results+json": "application/sparql-results+json",
    "application/json": "application/sparql-results+json",
    "application/sparql-results+xml": "application/sparql-results+xml",
    "application/xml": "application/sparql-results+xml",
    "text/xml": "application/sparql-results+xml",
    "text/csv": "text/csv",
    "text/tab-separated-values": "text/tab-separated-values",
}
_RDF_ALIASES = {
    "text/turtle": "text/turtle",
    "application/turtle": "text/turtle",
    "application/x-turtle": "text/turtle",
    "text/n3": "text/turtle",  # Turtle is N3
    "text/rdf+n3": "text/turtle",
    "application/n3": "text/turtle",
    "application/n-triples": "application/n-triples",
    "text/plain": "application/n-triples",
    "application/rdf+xml": "application/rdf+xml",
    "application/xml": "application/rdf+xml",
    "text/xml": "application/rdf+xml",
    "application/ld+json": "application/ld+json",
    "application/x-json+ld": "application/ld+json",
    "application/json": "application/ld+json",
    "application/trig": "application/trig",
    "application/n-quads": "application/n-quads",
}
assert set(_RESULT_ALIASES.values()) == set(RESULT_TYPES) and set(_RDF_ALIASES.values()) == set(RDF_FORMATS)


def request_iri(request: Request) -> str | None:
    """The IRI a query's relative IRIs resolve against (SPARQL 1.1 Protocol, RFC 3986 5.1.3: the retrieval
    IRI): the endpoint's own URL as the client addressed it, without the query string (which for a ``GET``
    holds the query itself).  None when the ``Host`` header makes it no IRI at all."""
    iri = str(request.url.replace(query="", fragment=""))
    try:
        ox.NamedNode(iri)
    except ValueError:
        return None
    return iri


def _one(values: list[str], name: str) -> str | None:
    if len(values) > 1:
        raise QueryError(f"give exactly one '{name}' parameter, not {len(values)}")
    return values[0] if values else None


def _answer(
    runner: RunnerDep,
    request: Request,
    query: str | None,
    update: str | None,
    default_graphs: list[str],
    named_graphs: list[str],
) -> Response:
    if update is not None:
        raise QueryRefused("SPARQL Update is refused: this endpoint is read-only")
    if query is None or not query.strip():
        raise QueryError(
            "no query: send one as ?query=, as a form field 'query', or as an application/sparql-query body"
        )
    checked = runner.check(query)  # kg.api.guard.check_query, in a worker it can kill at the time limit
    check_graph_uris("default-graph-uri", default_graphs)
    check_graph_uris("named-graph-uri", named_graphs)
    form = checked.form
    if form in ("SELECT", "ASK"):
        media_type = negotiate(request.headers.get("accept"), _RESULT_ALIASES, "application/sparql-results+json")
        offered: tuple[str, ...] = RESULT_TYPES
    else:
        media_type = negotiate(request.headers.get("accept"), _RDF_ALIASES, "text/turtle")
        offered = tuple(RDF_FORMATS)
    if media_type is None:
        raise HTTPException(406, f"a {form} query can answer only: {', '.join(offered)}")
    answer = runner.run(
        query, media_type, default_graphs, named_graphs, union=not checked.has_dataset, base_iri=request_iri(request)
    )
    headers = {"Vary": "Accept"}
    if answer.truncated:
        headers["X-KG-Truncated"] = "true"
        headers["X-KG-Row-Limit"] = str(runner.max_rows)
        headers["Warning"] = f'199 kg "answer truncated to {runner.max_rows} rows (KG_QUERY_MAX_ROWS)"'
    content_type = answer.media_type
    if not content_type.startswith("application/sparql-results") and "charset" not in content_type:
        content_type += "; charset=utf-8"
    return Response(answer.body, media_type=content_type, headers=headers)


async def _admitted(
    runner: RunnerDep,
    gate: GateDep,
    request: Request,
    query: str | None,
    update: str | None,
    default_graphs: list[str],
    named_graphs: list[str],
) -> Response:
    """``_answer`` once the gate admits the client, on a thread of the gate's own limiter (see ``QueryGate``)."""
    client = request.client.host if request.client else "unknown"
    with gate.admit(client):
        return await anyio.to_thread.run_sync(
            _answer, runner, request, query, update, default_graphs, named_graphs, limiter=gate.limiter
        )


@router.get("/sparql", summary="SPARQL query (GET)", description=DESCRIPTION)
async def sparql_get(
    runner: RunnerDep,
    gate: GateDep,
    request: Request,
    query: Annotated[str | None, Query(description="A SPARQL 1.1 query.")] = None,
    default_graph_uri: Annotated[list[str] | None, Query(alias="default-graph-uri")] = None,
    named_graph_uri: Annotated[list[str] | None, Query(alias="named-graph-uri")] = None,
) -> Response:
    queries = request.query_params.getlist("query")
    update = request.query_params.get("update")
    return await _admitted(
        runner, gate, request, _one(queries, "query"), update, default_graph_uri or [], named_graph_uri or []
    )


@router.post(
    "/sparql",
    summary="SPARQL query (POST)",
    description=DESCRIPTION,
    openapi_extra={
        "requestBody": {
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "query": {"type": "string"},
                            "default-graph-uri": {"type": "string"},
                            "named-graph-uri": {"type": "string"},
                        },
                    }
                },
                "application/sparql-query": {"schema": {"type": "string"}},
            }
        }
    },
)
async def sparql_post(runner: RunnerDep, gate: GateDep, request: Request) -> Response:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    url_params = request.query_params
    default_graphs = url_params.getlist("default-graph-uri")
    named_graphs = url_params.getlist("named-graph-uri")
    body = await request.body()
    update: str | None = None
    if content_type == "application/x-www-form-urlencoded":
        try:
            form = parse_qs(body.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            raise QueryError("the form body is not UTF-8") from None
        query = _one(form.get("query", []), "query")
        update = _one(form.get("update", []), "update")
        default_graphs += form.get("default-graph-uri", [])
        named_graphs += form.get("named-graph-uri", [])
    elif content_type == "application/sparql-query":
        try:
            query = body.decode("utf-8")
        except UnicodeDecodeError:
            raise QueryError("the query is not UTF-8") from None
    elif content_type == "application/sparql-update":
        raise QueryRefused("SPARQL Update is refused: this endpoint is read-only")
    else:
        raise HTTPException(
            415, "send the query form-encoded (application/x-www-form-urlencoded) or as application/sparql-query"
        )
    return await _admitted(runner, gate, request, query, update, default_graphs, named_graphs)
