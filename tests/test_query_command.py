"""``kg query`` runs every named query whatever its form: CONSTRUCT and DESCRIBE print RDF (Turtle, N-Triples,
JSON-LD), ASK prints true or false, SELECT prints rows, a page at a time with ``--limit``/``--offset``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import Graph
from typer.testing import CliRunner

from kg import ns
from kg.cli import app
from kg.ingest import store_extraction
from kg.model import Extraction
from kg.queries import load_queries
from kg.store.oxigraph import OxigraphStore

runner = CliRunner()
NK = str(ns.entity_iri("north-korea"))


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory, seed_extraction: Extraction) -> str:
    """An embedded store holding the seed, closed again: the command opens it by its path."""
    path = tmp_path_factory.mktemp("query-command") / "store"
    store = OxigraphStore(path)
    assert store_extraction(store, seed_extraction).ok
    store.close()
    return str(path)


def bound(rows: list[dict[str, str | None]]) -> list[dict[str, str]]:
    """JSON rows without their unbound columns (a page lists only the columns its own rows bind)."""
    return [{k: v for k, v in row.items() if v is not None} for row in rows]


def kg_query(store_path: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["query", *args, "--store", store_path])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout


@pytest.mark.parametrize(("fmt", "rdflib_format"), [(None, "turtle"), ("ntriples", "nt"), ("json-ld", "json-ld")])
def test_construct_prints_rdf(store_path: str, fmt: str | None, rdflib_format: str) -> None:
    args = ["entity-graph", "--param", f"entity={NK}"] + (["--format", fmt] if fmt else [])
    code, out = kg_query(store_path, *args)
    assert code == 0, out
    graph = Graph().parse(data=out, format=rdflib_format)
    assert (None, ns.KG.deployer, ns.entity_iri("north-korea")) in graph, out[:500]


def test_every_construct_named_query_runs(store_path: str) -> None:
    """The CONSTRUCT queries failed with "expected a SELECT query" before; each now prints Turtle."""
    values = {"entity": NK, "graph": str(ns.article_graph("seed-001")), "article": str(ns.article_iri("seed-001"))}
    constructs = [q for q in load_queries().values() if q.form in ("CONSTRUCT", "DESCRIBE")]
    assert {"entity-graph", "article-graph"} <= {q.name for q in constructs}
    for query in constructs:
        params = [f"{p.name}={values[p.name]}" for p in query.params if p.required]
        code, out = kg_query(store_path, query.name, *(x for p in params for x in ("--param", p)))
        assert code == 0, (query.name, out)
        Graph().parse(data=out, format="turtle")  # well-formed, possibly empty


def test_ask_prints_true_or_false(store_path: str, tmp_path: Path) -> None:
    ask = tmp_path / "has-claimant.rq"
    ask.write_text(
        "#+ title: Does anyone claim anything about this place?\n"
        "#+ param: place | iri | required | The place.\n"
        "PREFIX kg: <https://w3id.org/kg/ontology#>\n"
        "ASK WHERE { ?claim kg:subject/kg:location ?place }\n",
        encoding="utf-8",
    )
    code, out = kg_query(str(store_path), str(ask), "--param", f"place={ns.entity_iri('kursk-oblast')}")
    assert (code, out) == (0, "true\n")
    code, out = kg_query(str(store_path), str(ask), "--param", f"place={ns.entity_iri('atlantis')}")
    assert (code, out) == (0, "false\n")


def test_a_format_for_the_wrong_form_is_refused(store_path: str) -> None:
    args = ["query", "entity-graph", "-p", f"entity={NK}", "--format", "csv", "--store", store_path]
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "CONSTRUCT" in result.output, result.output
    result = runner.invoke(app, ["query", "stats", "--format", "ntriples", "--store", store_path])
    assert result.exit_code == 2 and "SELECT" in result.output, result.output


def test_select_pages_with_limit_and_offset(store_path: str) -> None:
    code, out = kg_query(store_path, "claim-details", "--format", "json")
    assert code == 0, out
    unpaged = bound(json.loads(out))
    code, out = kg_query(store_path, "claim-details", "--format", "json", "--limit", "1000")
    every = bound(json.loads(out))
    assert len(every) > 3 and sorted(map(str, every)) == sorted(map(str, unpaged))
    pages = []
    for offset in range(0, len(every), 2):
        code, out = kg_query(store_path, "claim-details", "--format", "json", "--limit", "2", "--offset", str(offset))
        assert code == 0, out
        pages += bound(json.loads(out))
    assert pages == every  # the same rows in the same order: ties broken by every projected variable
