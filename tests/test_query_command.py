"""``kg query`` runs every named query whatever its form: CONSTRUCT and DESCRIBE print RDF (Turtle, N-Triples,
JSON-LD), ASK prints true or false, SELECT prints rows, a page at a time with ``--limit``/``--offset``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.namespace import RDF
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
    args = ("location-timeline", "-p", "location=Kursk", "--format", "json")
    code, out = kg_query(store_path, *args)
    assert code == 0, out
    unpaged = bound(json.loads(out))
    code, out = kg_query(store_path, *args, "--limit", "1000")
    every = bound(json.loads(out))
    assert len(every) > 3 and sorted(map(str, every)) == sorted(map(str, unpaged))
    pages = []
    for offset in range(0, len(every), 2):
        code, out = kg_query(store_path, *args, "--limit", "2", "--offset", str(offset))
        assert code == 0, out
        pages += bound(json.loads(out))
    assert pages == every  # the same rows in the same order: ties broken by every projected variable


def walk(store_path: str, *args: str) -> tuple[list[dict[str, str]], int]:
    """Every row of a query of claims, a page of two claims at a time, following the "next page" line that
    ``kg query`` prints on stderr; and how many pages that took."""
    rows: list[dict[str, str]] = []
    cursor: list[str] = []
    pages = 0
    while True:
        command = ["query", *args, "--format", "json", "--limit", "2", *cursor, "--store", store_path]
        result = runner.invoke(app, command)
        assert result.exit_code == 0, result.output
        page = bound(json.loads(result.stdout))
        claims = list(dict.fromkeys(row["claim"] for row in page))
        assert len(claims) <= 2 and not set(claims) & {row["claim"] for row in rows}, (cursor, claims)
        rows += page
        pages += 1
        found = re.search(r"next page: --offset (\d+) --after (\S+)", result.stderr)
        if found is None:
            return rows, pages
        assert found[2] == claims[-1], (found[2], claims)
        cursor = ["--offset", found[1], "--after", found[2]]
        assert pages < 100, "the pages never end"


@pytest.mark.parametrize("newest", [False, True])
def test_claims_page_by_claim_with_a_cursor(store_path: str, newest: bool) -> None:
    """A query of claims pages whole claims (its claimants are never cut across two pages), the next page's
    options on stderr carry the page's last claim, and ``--newest`` turns the order round."""
    order = ["--newest"] if newest else []
    code, out = kg_query(store_path, "claim-details", "--format", "json", *order)
    assert code == 0, out
    whole = bound(json.loads(out))
    claims = list(dict.fromkeys(row["claim"] for row in whole))
    assert len(claims) > 3
    paged, pages = walk(store_path, "claim-details", *order)
    assert pages > 2 and paged == whole
    if newest:  # the seed is one article, one day: newest first is the claims' IRI order turned round
        code, out = kg_query(store_path, "claim-details", "--format", "json")
        oldest = list(dict.fromkeys(row["claim"] for row in json.loads(out)))
        assert claims == oldest[::-1]
    code, out = kg_query(store_path, "entity-graph", "-p", f"entity={NK}", "--limit", "1", *order)
    assert code == 0 and len(set(Graph().parse(data=out, format="turtle").subjects(RDF.type, ns.KG.Claim))) == 1


def test_a_cursor_only_for_queries_of_claims(store_path: str) -> None:
    result = runner.invoke(app, ["query", "stats", "--newest", "--store", store_path])
    assert result.exit_code == 2 and "not a query of claims" in result.output, result.output
    result = runner.invoke(app, ["query", "claim-details", "--after", f"{NK}", "--store", store_path])
    assert result.exit_code == 2 and "--limit" in result.output, result.output
    result = runner.invoke(app, ["query", "claim-details", "--limit", "2", "--after", "https://example.org/x",
                                 "--store", store_path])
    assert result.exit_code == 2 and "no claim" in result.output, result.output
