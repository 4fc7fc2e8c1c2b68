"""``kg ingest`` on a batch of bad documents, on a real store of each backend: every bad document is named
with its problem, the rest of the batch is stored, the run ends with a summary and exit code 1;
``--fail-fast`` stops at the first failure; a SHACL violation rejects the article and stores nothing of it.

The bad documents are the files of ``tests/fixtures/bad/`` (see ``tests/test_load.py`` for each reader)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from rdflib import Literal
from typer.testing import CliRunner

from kg import ns
from kg.cli import app
from kg.model import Deployment, Extraction
from kg.store import Store
from kg.store.oxigraph import OxigraphStore
from tests.conftest import BACKENDS

BAD = Path(__file__).parent / "fixtures" / "bad"
runner = CliRunner()

# Everything in tests/fixtures/bad/ that is refused, with the words its error line must hold.
REFUSED = {
    "bad-date.json": "invalid publication date '2024-13-45'",
    "binary.txt": "binary file (NUL bytes)",
    "dup-b.json": "duplicate id 'dup' (a different text) in this batch: the first, from",
    "empty-text.json": "field 'text' is empty",
    "empty.txt": "empty text",
    "image.html": "binary file (a PNG image)",
    "invalid-json.json": "invalid JSON",
    "list.json[1]": "field 'text' is empty",
    "list.json[2]": "expected a JSON object, got a number",
    "mixed.jsonl:2": "invalid JSON",
    "mixed.jsonl:3": "field 'body' is null, not a string",
    "mixed.jsonl:5": "invalid publication date 'yesterday'",
    "mixed.jsonl:6": "expected a JSON object, got a list",
    "no-body.html": "HTML with no article body",
    "no-text.json": "no text field",
    "placeholder-date.json": "implausible publication date",
    "report.json": "binary file (a PDF document)",
    "text-not-string.json": "field 'text' is a list, not a string",
}
STORED = {"bad-fixture-good", "dup", "latin1", "double-encoded", "list-good", "jsonl-good-1", "jsonl-good-2"}


@dataclass
class Backend:
    """A store for the CLI to open (by environment, as a researcher's shell would) and the test to inspect."""

    env: dict[str, str]
    open: Callable[[], Store]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "oxigraph":
        path = tmp_path / "store"
        # the embedded store allows one open handle per folder: the test opens it only after the CLI closed it
        yield Backend({"KG_STORE": str(path)}, lambda: OxigraphStore(path))
    else:
        server = request.getfixturevalue("virtuoso")
        server.wipe()
        yield Backend(server.env(), server.store)
        server.wipe()


def ingest(backend: Backend, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["ingest", *args], env=backend.env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def stored_ids(store: Store) -> set[str]:
    return {doc for g in store.graphs() if (doc := ns.doc_id_of_graph(str(g))) is not None}


def test_bad_batch_names_each_bad_document_and_stores_the_rest(backend: Backend) -> None:
    code, output = ingest(backend, str(BAD))
    assert code == 1, output
    errors = [line for line in output.splitlines() if line.startswith(("failed: ", "rejected: "))]
    for name, problem in REFUSED.items():
        lines = [line for line in errors if f"{BAD / name}: " in line]
        assert len(lines) == 1, (name, errors)
        assert problem in lines[0], lines[0]
    assert len(errors) == len(REFUSED), errors
    assert f"{len(STORED) + 1} stored, {len(REFUSED)} failed of {len(STORED) + 1 + len(REFUSED)} documents" in output
    store = backend.open()
    try:
        ids = stored_ids(store)
        assert STORED <= ids, ids
        assert len(ids - STORED) == 1 and next(iter(ids - STORED)).startswith("sha256-"), ids  # cp1252.txt
        # the first of the two documents with id "dup" won
        title = store.select(
            "SELECT ?t WHERE { ?a <https://schema.org/headline> ?t }", {"a": ns.article_iri("dup")}
        )
        assert [str(r["t"]) for r in title] == ["First"], title
    finally:
        store.close()


def test_fail_fast_stops_at_the_first_bad_document(backend: Backend, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for n, name in enumerate(("good.json", "no-text.json", "latin1.json")):
        (folder / f"{n}-{name}").write_bytes((BAD / name).read_bytes())
    code, output = ingest(backend, str(folder), "--fail-fast")
    assert code == 1, output
    assert "failed: " in output and "no-text.json: no text field" in output, output
    assert "stopped at the first failure (--fail-fast)" in output, output
    assert "1 stored, 1 failed of 2 documents" in output, output
    store = backend.open()
    try:
        assert stored_ids(store) == {"bad-fixture-good"}  # latin1.json, after the failure, was not read
    finally:
        store.close()


def test_fail_fast_still_settles_the_labels_of_what_it_stored(backend: Backend, tmp_path: Path) -> None:
    """A run stopped at its first failure has stored articles: their entities' preferred labels are settled
    as after any ingest (kg.ingest.settling, run as the CLI closes the outcomes)."""
    from kg.ingest import store_extraction
    from kg.judgements import settle_labels
    from kg.model import Entity, EntityType
    from tests.test_judgements import ONE, article

    lower = Entity("khartiia-brigade", "Khartiia brigade", EntityType.ARMED_GROUP)
    store = backend.open()
    try:  # two spellings stored without an ingest's settling: two preferred labels, to be settled
        for extraction in (ONE, article("lower", "The Khartiia brigade is in Kursk, Ukraine said.", lower)):
            assert store_extraction(store, extraction).ok
    finally:
        store.close()
    folder = tmp_path / "in"
    folder.mkdir()
    for n, name in enumerate(("good.json", "no-text.json")):
        (folder / f"{n}-{name}").write_bytes((BAD / name).read_bytes())
    code, output = ingest(backend, str(folder), "--fail-fast")
    assert code == 1 and "1 stored, 1 failed of 2 documents" in output, output
    store = backend.open()
    try:
        assert settle_labels(store) == 0  # the stopped run settled them
    finally:
        store.close()


def test_without_fail_fast_the_same_batch_goes_on(backend: Backend, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("good.json", "no-text.json", "latin1.json"):
        (folder / name).write_bytes((BAD / name).read_bytes())
    code, output = ingest(backend, str(folder))
    assert code == 1 and "2 stored, 1 failed of 3 documents" in output, output


def test_a_good_batch_exits_zero(backend: Backend) -> None:
    code, output = ingest(backend, str(BAD / "good.json"), str(BAD / "latin1.json"))
    assert code == 0, output
    assert "2 stored, 0 failed of 2 documents" in output, output


def test_size_limit_default_and_option(backend: Backend, tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    big.write_text(json.dumps({"id": "big", "text": "Troops arrived. " * 400_000}), encoding="utf-8")
    code, output = ingest(backend, str(big), str(BAD / "good.json"))
    assert code == 1, output
    assert f"failed: {big}: " in output and "over the size limit of 5,242,880 bytes" in output, output
    code, output = ingest(backend, str(BAD / "good.json"), "--max-bytes", "100")
    assert code == 1 and "over the size limit of 100 bytes" in output, output


def test_shacl_violation_rejects_the_article_and_stores_nothing(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The gate: the extractor is made to produce an inverted troop range for the good article, whose earlier
    version is already stored; the run says why with the shape's message, and the stored version is untouched."""
    code, output = ingest(backend, str(BAD / "good.json"))
    assert code == 0, output
    store = backend.open()
    try:
        before = store.quad_count(ns.article_graph("bad-fixture-good"))
    finally:
        store.close()
    assert before > 0

    import kg.extract

    real = kg.extract.extract

    def inverted(articles: object, **kwargs: object) -> Iterator[Extraction]:
        for extraction in real(articles, **kwargs):  # type: ignore[arg-type]
            claims = []
            for claim in extraction.claims:
                if isinstance(claim.subject, Deployment):
                    subject = dataclasses.replace(claim.subject, troops_min=12000, troops_max=10000)
                    claim = dataclasses.replace(claim, subject=subject)
                claims.append(claim)
            assert claims != extraction.claims, "the fixture article has a deployment claim"
            yield dataclasses.replace(extraction, claims=claims)

    monkeypatch.setattr(kg.extract, "extract", inverted)
    code, output = ingest(backend, str(BAD / "good.json"), "--force")  # unchanged input: skipped without it
    assert code == 1, output
    assert f"rejected: {BAD / 'good.json'}: bad-fixture-good: rejected by SHACL: " in output, output
    assert "The minimum troop count is above the maximum." in output, output
    assert "0 stored, 1 failed of 1 documents (1 rejected by SHACL" in output, output
    store = backend.open()
    try:
        assert store.quad_count(ns.article_graph("bad-fixture-good")) == before
        assert not store.ask(
            "ASK WHERE { ?d <https://w3id.org/kg/ontology#troopsMin> ?n }", {"n": Literal(12000)}
        ), "a rejected article left triples behind"
    finally:
        store.close()
