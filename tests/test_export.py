"""Gephi exports: networkx reads the GEXF (dynamic) and GraphML back with the attributes intact, from the API
(a real uvicorn server), from the library and from ``kg export``; filters by location, actor and dates."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from typer.testing import CliRunner

import kg.cli
from kg.api.app import create_app
from kg.api.deps import Settings
from kg.errors import QueryError
from kg.export import ExportFilter, build_graph, graph_bytes, write_graph
from kg.ingest import store_extraction
from kg.model import Extraction
from kg.store import Store
from kg.store.oxigraph import OxigraphStore


def later(seed_extraction: Extraction) -> Extraction:
    """The seed again as a later article (another id and date), so the timeline has two dates."""
    import datetime as dt

    article = replace(seed_extraction.article, id="seed-later", published=dt.date(2024, 12, 2))
    return replace(seed_extraction, article=article)


@pytest.fixture
def seeded(store: Store, seed_extraction: Extraction) -> Store:
    store_extraction(store, seed_extraction)
    store_extraction(store, later(seed_extraction))
    return store


def deployment_edges(graph: nx.MultiDiGraph, source: str, target: str) -> list[dict[str, Any]]:
    return [data for u, v, data in graph.edges(data=True) if (u, v, data["kind"]) == (source, target, "deployment")]


def check_graph(graph: nx.MultiDiGraph, dynamic: bool) -> None:
    assert isinstance(graph, nx.MultiDiGraph), type(graph)
    assert graph.nodes["north-korea"]["label"] == "North Korea" and graph.nodes["north-korea"]["type"] == "State"
    assert graph.nodes["kursk-oblast"]["type"] == "Location", graph.nodes["kursk-oblast"]
    edges = deployment_edges(graph, "north-korea", "kursk-oblast")
    assert edges, list(graph.edges(data=True))
    asserted = next(e for e in edges if e["certainty"] == "asserted")
    assert int(asserted["claims"]) >= 2 and asserted["first"] == "2024-11-07" and asserted["last"] == "2024-12-02"
    numbers = {(int(e["troops_min"]), int(e["troops_max"])) for e in edges if "troops_min" in e}
    assert (11000, 11000) in numbers or (10000, 10000) in numbers, numbers
    assert "Volodymyr Zelensky" in asserted["claimants"], asserted
    claims = [d for u, v, d in graph.edges(data=True) if d["kind"] == "claim" and v == "north-korea"]
    assert {"cnn", "zelensky"} <= {
        u for u, v, d in graph.edges(data=True) if d["kind"] == "claim" and v == "north-korea"
    }
    assert all(d["location"] for d in claims), claims
    if dynamic:
        assert asserted["start"] == "2024-11-07" and asserted["end"] == "2024-12-02", asserted
        assert graph.nodes["north-korea"]["start"] == "2024-11-07"


def test_exports_over_http_read_back_with_attributes(seeded: Store, live_server: type) -> None:
    with live_server(create_app(seeded, Settings(query_workers=1))) as server, server.client() as client:
        gexf = client.get("/export.gexf")
        graphml = client.get("/export.graphml")
        kursk = client.get("/export.graphml", params={"location": "Kursk"})
        early = client.get("/export.gexf", params={"until": "2024-11-30"})
        bad = client.get("/export.gexf", params={"since": "last week"})
    assert gexf.status_code == 200 and gexf.headers["content-type"].startswith("application/gexf+xml"), gexf.text
    assert b'mode="dynamic"' in gexf.content and b'timeformat="date"' in gexf.content
    # streamed as generated: chunked, no length known in advance
    assert "content-length" not in gexf.headers and gexf.headers.get("transfer-encoding") == "chunked", gexf.headers
    check_graph(nx.read_gexf(io.BytesIO(gexf.content)), dynamic=True)
    assert graphml.status_code == 200, graphml.text
    check_graph(nx.read_graphml(io.BytesIO(graphml.content), force_multigraph=True), dynamic=False)
    only_kursk = nx.read_graphml(io.BytesIO(kursk.content), force_multigraph=True)
    places = {v for u, v, d in only_kursk.edges(data=True) if d["kind"] == "deployment"}
    assert places == {"kursk-oblast"}, places
    before_december = nx.read_gexf(io.BytesIO(early.content))
    assert {d["last"] for _, _, d in before_december.edges(data=True)} == {"2024-11-07"}
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.json()["message"], bad.text


def test_filters(seeded: Store) -> None:
    everything = build_graph(seeded)
    by_actor = build_graph(seeded, ExportFilter.parse(actor="Selenskyj"))
    assert 0 < by_actor.number_of_edges() < everything.number_of_edges()
    assert all("zelensky" in (u, v) or "Volodymyr Zelensky" in d["claimants"] for u, v, d in by_actor.edges(data=True))
    assert build_graph(seeded, ExportFilter.parse(since="2025-01-01")).number_of_nodes() == 0
    december = build_graph(seeded, ExportFilter.parse(since="2024-12-01", until="2024-12-31"))
    assert {d["first"] for _, _, d in december.edges(data=True)} == {"2024-12-02"}
    with pytest.raises(QueryError):
        ExportFilter.parse(since="2024-12-01", until="2024-11-01")
    with pytest.raises(QueryError):
        graph_bytes(everything, "svg")


@pytest.mark.parametrize("store", ["oxigraph"], indirect=True)
def test_kg_export_command(tmp_path: Path, seed_extraction: Extraction, store: Store) -> None:
    folder = tmp_path / "cli-store"
    own = OxigraphStore(folder)
    store_extraction(own, seed_extraction)
    own.close()
    del own
    for fmt, read in (("gexf", nx.read_gexf), ("graphml", nx.read_graphml)):
        out = tmp_path / f"out.{fmt}"
        result = CliRunner().invoke(
            kg.cli.app, ["export", "--format", fmt, "-o", str(out), "--store", str(folder), "--location", "Kursk"]
        )
        assert result.exit_code == 0, result.output
        graph = read(out)
        assert graph.nodes["north-korea"]["label"] == "North Korea", graph.nodes(data=True)


def test_write_graph(tmp_path: Path, seeded: Store) -> None:
    path = tmp_path / "g.gexf"
    write_graph(build_graph(seeded), path, "gexf")
    assert nx.read_gexf(path).number_of_edges() == build_graph(seeded).number_of_edges()
