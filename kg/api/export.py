"""``GET /export.gexf`` and ``GET /export.graphml``: the claim graph for Gephi (see ``kg.export``), streamed
as networkx generates it rather than serialised whole first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response, StreamingResponse

from kg.api.deps import StoreDep
from kg.api.security import ERROR_RESPONSES
from kg.export import ExportFilter, build_graph, graph_lines

router = APIRouter(tags=["export"], responses=ERROR_RESPONSES)

_MEDIA = {"gexf": "application/gexf+xml", "graphml": "application/graphml+xml"}

LocationQ = Annotated[str | None, Query(description="Only deployments (and statements) at places matching this name.")]
ActorQ = Annotated[str | None, Query(description="Only edges touching actors matching this name.")]
SinceQ = Annotated[str | None, Query(description="Only claims from articles published on or after (YYYY-MM-DD).")]
UntilQ = Annotated[str | None, Query(description="Only claims from articles published on or before (YYYY-MM-DD).")]


def _export(
    store: StoreDep, format: str, location: str | None, actor: str | None, since: str | None, until: str | None
) -> Response:
    graph = build_graph(store, ExportFilter.parse(location=location, actor=actor, since=since, until=until))
    return StreamingResponse(
        graph_lines(graph, format),
        media_type=_MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="kg.{format}"'},
    )


@router.get("/export.gexf", summary="The claim graph as dynamic GEXF, for Gephi's timeline")
def export_gexf(
    store: StoreDep, location: LocationQ = None, actor: ActorQ = None, since: SinceQ = None, until: UntilQ = None
) -> Response:
    return _export(store, "gexf", location, actor, since, until)


@router.get("/export.graphml", summary="The claim graph as GraphML")
def export_graphml(
    store: StoreDep, location: LocationQ = None, actor: ActorQ = None, since: SinceQ = None, until: UntilQ = None
) -> Response:
    return _export(store, "graphml", location, actor, since, until)
