"""The ``kg`` command line: a thin layer of argument parsing and output over the library."""

from __future__ import annotations

import csv
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from kg import ns
from kg.errors import InputError, KgError
from kg.load import iter_paths, load_path
from kg.model import Article, Extraction
from kg.settings import current
from kg.store import DEFAULT_STORE, Store, open_store

if TYPE_CHECKING:
    from kg.cluster import Session as ClusterSession

app = typer.Typer(help="kg: a knowledge graph of armed conflicts from news articles.", no_args_is_help=True)
console = Console(stderr=True)
out = Console()

StoreOpt = Annotated[
    str | None,
    typer.Option("--store", envvar="KG_STORE", help="Store: a folder (embedded pyoxigraph) or a SPARQL endpoint URL."),
]
PathsArg = Annotated[list[Path], typer.Argument(help="Article files or folders (JSON, JSON Lines, text, HTML).")]


class ResultFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    turtle = "turtle"
    ntriples = "ntriples"
    jsonld = "json-ld"


#: How ``kg query`` prints a CONSTRUCT or DESCRIBE answer (rdflib serialiser names).
_GRAPH_FORMATS = {ResultFormat.turtle: "turtle", ResultFormat.ntriples: "nt", ResultFormat.jsonld: "json-ld"}


class ExportFormat(StrEnum):
    gexf = "gexf"
    graphml = "graphml"
    trig = "trig"
    nquads = "nquads"


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log one line per article.")] = False) -> None:
    """kg: a knowledge graph of armed conflicts from news articles."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )


def _documents(paths: list[Path], max_bytes: int | None) -> Iterator[Article | InputError]:
    for path in iter_paths(paths):
        yield from load_path(path, max_bytes=max_bytes)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )


def _open(store: str | None, *, create: bool = False) -> Store:
    """The store, or a one-line error and exit 2: no store at the path (only ``ingest`` creates one, and
    ``serve --create``), in use by another process, or damaged."""
    try:
        return open_store(store, create=create)
    except KgError as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


@contextmanager
def _opened(store: str | None) -> Iterator[Store]:
    """The store for one command, closed when it ends: an embedded store holds a lock on its folder.  A kg
    error while it is open (a damaged store read) is one line and exit 2, not a traceback."""
    target = _open(store)
    try:
        yield target
    except KgError as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    finally:
        target.close()


@app.command()
def ingest(
    paths: PathsArg,
    store: StoreOpt = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers", "-j", min=1,
            help="Extraction worker processes, each loading spaCy once; this process reads and writes.",
        ),
    ] = 1,
    batch_size: Annotated[int, typer.Option(help="Articles per NLP batch (and per task sent to a worker).")] = 16,
    max_bytes: Annotated[
        int | None, typer.Option(help="Refuse documents larger than this (default: KG_MAX_DOC_BYTES, 5 MB).")
    ] = None,
    fail_fast: Annotated[bool, typer.Option("--fail-fast", help="Stop at the first failed document.")] = False,
    cluster: Annotated[
        str | None,
        typer.Option(
            "--cluster",
            help="Extract and write on a Dask cluster: tcp://HOST:8786 (a running `dask scheduler`) or local:N "
            "(N worker processes on this machine); the store must be a SPARQL server.",
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Extract again the articles stored from the same input by the same extractor "
                     "version (skipped by default)."),
    ] = False,
) -> None:
    """Extract, validate and store articles: one named graph each, replaced on re-ingest; an article stored
    from the same input by the same extractor version is skipped."""
    from kg.ingest import ingest as run

    session = settings = None
    if cluster is not None:
        session, settings = _cluster_session(cluster, store, workers)
    target = _open(store, create=True)
    counts = {"stored": 0, "skipped": 0, "rejected": 0, "failed": 0}
    stopped = False
    error = None
    files = list(iter_paths(paths))
    documents = _documents(files, max_bytes)
    if session is None:
        outcomes = run(target, documents, batch_size=batch_size, n_process=workers, skip_unchanged=not force)
    else:
        from kg.cluster import ingest_cluster

        assert settings is not None
        outcomes = ingest_cluster(session, target, documents, settings, batch_size=batch_size, skip_unchanged=not force)
    with _progress() as progress:
        task = progress.add_task("ingesting" if cluster is None else f"ingesting on {cluster}", total=None)
        try:
            for outcome in outcomes:
                progress.advance(task)
                counts[outcome.status] = counts.get(outcome.status, 0) + 1
                if outcome.ok:
                    continue
                where = outcome.source or outcome.doc
                message = outcome.message.removeprefix(f"{where}: ")
                line = f"[red]{outcome.status}:[/red] {escape(f'{where}: {message}')}"
                console.print(line, highlight=False, soft_wrap=True)
                if fail_fast:
                    stopped = True
                    break
        except KgError as exc:  # the cluster's scheduler went away: what was reported stored is stored
            error = str(exc)
        finally:
            # --fail-fast leaves the outcomes early: closing them cancels what is in flight and settles the
            # labels of what was stored (kg.ingest.settling) while the store is still open
            getattr(outcomes, "close", lambda: None)()
            if session is not None:
                session.close()
    target.close()
    bad = counts["rejected"] + counts["failed"]
    summary = (
        f"{counts['stored']} stored, {bad} failed of {sum(counts.values())} documents "
        f"({counts['rejected']} rejected by SHACL, {counts['failed']} unreadable or not extracted)"
    )
    if counts["skipped"]:
        summary += f"; {counts['skipped']} skipped, unchanged since stored (--force extracts them again)"
    if stopped:
        summary += "; stopped at the first failure (--fail-fast), the rest was not read"
    if error is not None:
        console.print(f"[red]error:[/red] {escape(error)}", soft_wrap=True)
    console.print(summary, markup=False, highlight=False, soft_wrap=True)
    if error is not None:
        raise typer.Exit(2)
    if bad:
        raise typer.Exit(1)


def _cluster_session(spec: str, store: str | None, workers: int) -> tuple[ClusterSession, dict[str, str]]:
    """The cluster session for ``--cluster`` and the store settings its workers get; refuses (exit 2) an
    embedded store, which one process at a time may write."""
    from kg.cluster import ClusterUnavailable, Session, is_server, store_settings

    target = str(store or current().store or DEFAULT_STORE)
    if not is_server(target):
        console.print(
            f"[red]error:[/red] --cluster writes from every worker to one SPARQL server, but the store is the "
            f"embedded folder {escape(target)}, which one process at a time may write: give --store "
            "http://HOST:8890/sparql (and KG_STORE_UPDATE_URL, KG_STORE_USER, KG_STORE_PASSWORD)",
            soft_wrap=True,
        )
        raise typer.Exit(2)
    if workers > 1:
        console.print("[red]error:[/red] --workers is for one machine; with --cluster the cluster's workers extract")
        raise typer.Exit(2)
    try:
        return Session(spec), store_settings(target)
    except ClusterUnavailable as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from None


def _extracted(paths: list[Path], failures: list[str], batch_size: int = 16) -> Iterator[Extraction]:
    """The extraction of every readable article, streamed a batch at a time.  An unreadable document or a
    failed extraction is printed and appended to ``failures``, and the rest goes on."""
    from kg.ingest import extract_each

    def flush(batch: list[Article]) -> Iterator[Extraction]:
        for article, extraction in zip(batch, extract_each(batch, batch_size), strict=True):
            if isinstance(extraction, Exception):
                failures.append(article.id)
                console.print(f"[red]failed:[/red] {escape(f'{article.source or article.id}: {extraction}')}")
            else:
                yield extraction

    batch: list[Article] = []
    for doc in _documents(paths, None):
        if isinstance(doc, InputError):
            failures.append(doc.doc)
            console.print(f"[red]failed:[/red] {escape(str(doc))}")
            continue
        batch.append(doc)
        if len(batch) >= batch_size:
            yield from flush(batch)
            batch = []
    yield from flush(batch)


@app.command()
def extract(
    paths: PathsArg,
    format: Annotated[str, typer.Option("--format", help="Output format (json: JSON Lines, scorer format).")] = "json",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")] = None,
) -> None:
    """Extract articles without storing them, as JSON Lines in the prediction format of the scorer."""
    from kg.predict import to_prediction

    if format != "json":
        raise typer.BadParameter("only --format json is supported", param_hint="--format")
    failures: list[str] = []
    sink = output.open("w", encoding="utf-8") if output else sys.stdout
    try:
        for extraction in _extracted(list(paths), failures):
            sink.write(json.dumps(to_prediction(extraction), ensure_ascii=False) + "\n")
    finally:
        if output:
            sink.close()
    if failures:
        raise typer.Exit(1)


@app.command()
def validate(
    paths: Annotated[list[Path] | None, typer.Argument(help="Articles to check; none: the stored graphs.")] = None,
    store: StoreOpt = None,
) -> None:
    """Check articles (or the stored graphs) against the SHACL shapes; show violations and warnings."""
    from kg.validate import Report

    reports: list[Report] = []
    failures: list[str] = []
    if paths:
        from kg.ingest import build_graphs

        reports = [build_graphs(extraction)[2] for extraction in _extracted(list(paths), failures)]
    else:
        from kg.validate import validate_store

        with _opened(store) as target:
            reports = validate_store(target)
    for report in reports:
        for item in report.violations:
            line = escape(f"{report.doc}: {item.message} ({item.focus})")
            out.print(f"[red]violation[/red] {line}", soft_wrap=True, highlight=False)
        for item in report.warnings:
            line = escape(f"{report.doc}: {item.message} ({item.focus})")
            out.print(f"[yellow]warning[/yellow] {line}", soft_wrap=True, highlight=False)
    bad = sum(not r.conforms for r in reports) + len(failures)
    console.print(f"{len(reports)} checked, {bad} with violations, {sum(len(r.warnings) for r in reports)} warnings")
    if bad:
        raise typer.Exit(1)


@app.command()
def query(
    name: Annotated[str | None, typer.Argument(help="A named query (see --list) or a .rq file.")] = None,
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="KEY=VALUE, repeatable.")] = None,
    format: Annotated[
        ResultFormat,
        typer.Option(
            "--format",
            help="SELECT: table, json or csv; CONSTRUCT/DESCRIBE: turtle (default), ntriples or json-ld; ASK "
            "prints true or false.",
        ),
    ] = ResultFormat.table,
    limit: Annotated[
        int | None,
        typer.Option(min=1, help="At most this many rows; for a query of claims (claim-details, troops-by-location, "
                     "deployments, actor-statements, entity-graph), this many whole claims, at most 1,000, and the "
                     "next page's options are printed on stderr; for another CONSTRUCT, solutions.  Default: all."),
    ] = None,
    offset: Annotated[int, typer.Option(min=0, help="Skip this many rows first (with --limit: the next page).")] = 0,
    after: Annotated[
        str | None,
        typer.Option(help="A query of claims, with --limit: start just after this claim (the previous page's "
                     "last, as its 'next page' line says): a deep page costs what the first does."),
    ] = None,
    newest: Annotated[bool, typer.Option("--newest", help="A query of claims: the most recent claims first.")] = False,
    list_: Annotated[bool, typer.Option("--list", help="List the named queries and their parameters.")] = False,
    store: StoreOpt = None,
) -> None:
    """Run a named query or a .rq file, with parameters bound as values: SELECT prints rows, CONSTRUCT and
    DESCRIBE print RDF, ASK prints true or false."""
    from kg.queries import (
        claim_after,
        construct_page,
        get_query,
        last_claim,
        load_queries,
        newest_first,
        paged_text,
        pages_of_claims,
        parse_query_file,
        run_page,
    )
    from kg.rdf import bind_prefixes

    if list_ or name is None:
        for q in load_queries().values():
            params = ", ".join(f"{p.name}{'' if p.required else '?'}" for p in q.params)
            out.print(f"[bold]{escape(q.name)}[/bold]({escape(params)}) {q.form}: {escape(q.title)}")
        return
    values: dict[str, str] = {}
    for item in param or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise typer.BadParameter(f"expected KEY=VALUE, got {item!r}", param_hint="--param")
        values[key] = value
    try:
        named = parse_query_file(Path(name)) if name.endswith(".rq") else get_query(name)
        form = named.form
        graph_format = _GRAPH_FORMATS.get(format)
        if form in ("CONSTRUCT", "DESCRIBE") and format not in _GRAPH_FORMATS and format is not ResultFormat.table:
            raise typer.BadParameter(
                f"{named.name} is a {form} query: its answer is RDF, printed as turtle, ntriples or json-ld",
                param_hint="--format",
            )
        if form not in ("CONSTRUCT", "DESCRIBE") and graph_format is not None:
            raise typer.BadParameter(
                f"{named.name} is a{'n' if form == 'ASK' else ''} {form} query: "
                f"--format {format.value} is for CONSTRUCT and DESCRIBE",
                param_hint="--format",
            )
        claims = pages_of_claims(named)
        if (after is not None or newest) and not claims:
            raise typer.BadParameter(f"{named.name} is not a query of claims in date order: it takes no "
                                     f"--{'after' if after is not None else 'newest'}", param_hint="--after")
        if after is not None and limit is None:
            raise typer.BadParameter("--after starts a page: give --limit too", param_hint="--after")
        ordered = newest_first(named) if newest else named
        text = ordered.text
        if limit is not None or offset:
            if form == "ASK":
                raise typer.BadParameter("an ASK query has no rows to page", param_hint="--limit")
            text = paged_text(ordered, limit if limit is not None else 1_000_000_000, offset)
        bound = named.bind(values)
        cursor = claim_after(after) if after is not None else None
        with _opened(store) as target:
            if form == "ASK":
                sys.stdout.write("true\n" if target.ask(text, bound) else "false\n")
                return
            if claims and limit is not None:  # a page of whole claims, through the first days where the store
                # reads claims one by one, as the REST pages are (kg.queries.run_page)
                if form == "SELECT":
                    page = run_page(target, named, values, limit=limit, offset=offset, group="claim", after=cursor,
                                    newest=newest)
                    rows, next_offset, last = page.rows, page.next_offset, page.last
                else:
                    graph, next_offset = construct_page(target, named, values, limit=limit, offset=offset,
                                                        after=cursor, newest=newest)
                    last = last_claim(target, graph, newest) if next_offset is not None else None
                if next_offset is not None:
                    console.print(f"next page: --offset {next_offset} --after {last}", soft_wrap=True,
                                  highlight=False)
                if form != "SELECT":
                    sys.stdout.write(bind_prefixes(graph).serialize(format=graph_format or "turtle"))
                    return
            elif form in ("CONSTRUCT", "DESCRIBE"):
                graph = bind_prefixes(target.construct(text, bound))
                sys.stdout.write(graph.serialize(format=graph_format or "turtle"))
                return
            else:
                rows = target.select(text, bound)
    except KgError as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from None
    columns = list(dict.fromkeys(k for row in rows for k in row))
    plain = [{k: str(row[k]) if k in row else None for k in columns} for row in rows]
    if format is ResultFormat.json:
        out.print_json(json.dumps(plain, ensure_ascii=False))
    elif format is ResultFormat.csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=columns)
        writer.writeheader()
        writer.writerows(plain)
    else:
        table = Table(*columns, show_lines=True)
        for row in plain:
            table.add_row(*(v or "" for v in row.values()))
        out.print(table)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    store: StoreOpt = None,
    create: Annotated[
        bool, typer.Option("--create", help="Start on a new empty store where the path holds none (to POST to).")
    ] = False,
) -> None:
    """Serve the SPARQL endpoint, REST lookups, named queries and exports over HTTP."""
    import uvicorn

    from kg.api.app import create_app

    target = _open(store, create=create)
    try:
        api = create_app(target)
    except KgError as exc:  # a bad setting, KG_SNAPSHOT_DIR not writable: one line and exit 2, not a traceback
        target.close()
        console.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    uvicorn.run(api, host=host, port=port, log_level="info")


@app.command()
def export(
    format: Annotated[ExportFormat, typer.Option("--format", help="gexf/graphml for Gephi, trig/nquads for RDF.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write.")],
    location: Annotated[str | None, typer.Option(help="Only deployments at places matching this name.")] = None,
    actor: Annotated[str | None, typer.Option(help="Only edges touching actors matching this name.")] = None,
    since: Annotated[str | None, typer.Option(help="Only claims from articles published on/after YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Only claims from articles published on/before YYYY-MM-DD.")] = None,
    store: StoreOpt = None,
) -> None:
    """Export the graph for Gephi (GEXF, GraphML) or as RDF (TriG, N-Quads)."""
    with _opened(store) as target:
        if format in (ExportFormat.trig, ExportFormat.nquads):
            media = "application/trig" if format is ExportFormat.trig else "application/n-quads"
            with output.open("wb") as sink:  # written as it is read, never whole in memory
                target.dump(media, sink)
        else:
            from kg.export import ExportFilter, build_graph, write_graph

            try:
                graph = build_graph(
                    target, ExportFilter.parse(location=location, actor=actor, since=since, until=until)
                )
            except KgError as exc:
                console.print(f"[red]error:[/red] {exc}")
                raise typer.Exit(2) from None
            write_graph(graph, output, format.value)
    console.print(f"wrote {output}")


@app.command()
def stats(store: StoreOpt = None) -> None:
    """Counts of articles, claims, entities and quads in the store."""
    from kg.queries import run_named

    with _opened(store) as target:
        rows = run_named(target, "stats")
        quads = target.quad_count()
    table = Table("what", "count")
    table.add_row("quads", str(quads))
    for key, value in (rows[0] if rows else {}).items():
        table.add_row(key, str(value))
    out.print(table)


@app.command()
def delete(doc_id: Annotated[str, typer.Argument(help="The article id to remove.")], store: StoreOpt = None) -> None:
    """Remove exactly one article's graph; canonical entities stay."""
    with _opened(store) as target:
        dropped = target.drop_graph(ns.article_graph(doc_id))
    if not dropped:
        console.print(f"[red]error:[/red] no article {doc_id!r} in the store")
        raise typer.Exit(1)
    console.print(f"deleted {doc_id}")


_ReasonOpt = Annotated[str | None, typer.Option("--reason", "-r", help="Why, in your words (kept with the judgement).")]
_EntityArg = Annotated[str, typer.Argument(help="An entity id (as in /entities/ID, e.g. north-korea) or IRI.")]


def _judge(kind: str, left: str, right: str, reason: str | None, store: str | None) -> None:
    from kg.judgements import entity_id, record

    with _opened(store) as target:
        made = record(target, kind, left, right, why=reason)
    console.print(f"{kind} {made.id}: {entity_id(made.left)} {'=' if kind == 'merge' else '≠'} "
                  f"{entity_id(made.right)} by {made.who}", markup=False, highlight=False, soft_wrap=True)


@app.command()
def merge(left: _EntityArg, right: _EntityArg, reason: _ReasonOpt = None, store: StoreOpt = None) -> None:
    """Record that two entities are one: every query, page and export then shows LEFT (kept as the canonical
    IRI) for both, RIGHT as its owl:sameAs.  Stored as a judgement with who, when and why; nothing is
    re-ingested, and `kg judgements --delete ID` or `kg split` undoes it."""
    _judge("merge", left, right, reason, store)


@app.command()
def split(left: _EntityArg, right: _EntityArg, reason: _ReasonOpt = None, store: StoreOpt = None) -> None:
    """Record that two entities are different: undoes a merge of the two, and keeps them apart for good (no
    later merge joins their clusters)."""
    _judge("split", left, right, reason, store)


@app.command()
def judgements(
    suggest: Annotated[
        bool, typer.Option("--suggest", help="Propose likely merges (rapidfuzz over labels), best first.")
    ] = False,
    delete: Annotated[str | None, typer.Option("--delete", help="Remove the judgement with this id (undo it).")] = None,
    min_score: Annotated[
        float | None, typer.Option(help="With --suggest: the lowest score (0-100) proposed (default: 88).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="With --suggest: how many to propose.")] = 50,
    format: Annotated[ResultFormat, typer.Option("--format", "-f", help="table or json.")] = ResultFormat.table,
    store: StoreOpt = None,
) -> None:
    """List the merges and splits recorded (who, when, why); --suggest proposes merges, --delete undoes one."""
    from kg import judgements as judged

    with _opened(store) as target:
        if delete is not None:
            judged.delete(target, delete)
            console.print(f"deleted judgement {delete}")
            return
        if suggest:
            floor = judged.SUGGEST_MIN_SCORE if min_score is None else min_score  # one default, kg.judgements'
            rows = [s.as_json() for s in judged.suggest(target, min_score=floor, limit=limit)]
            columns = ["score", "leftId", "leftLabel", "rightId", "rightLabel"]
        else:
            rows = [j.as_json() for j in judged.judgements(target)]
            columns = ["id", "kind", "leftId", "rightId", "who", "when", "why"]
    if format == ResultFormat.json:
        out.print_json(json.dumps(rows))
        return
    table = Table(*columns)
    for row in rows:
        table.add_row(*(escape(str(row[c])) if row[c] is not None else "" for c in columns))
    out.print(table)
    if suggest and rows:
        console.print("accept one with: kg merge LEFT RIGHT --reason '...' (LEFT is kept)")
