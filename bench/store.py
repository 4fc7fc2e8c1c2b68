"""Validation share, store load and query latency, on stores built from real extractions.

The real extractions come from one in-process pass over the conflict corpus (which also times each stage of
ingest, for the validation share).  Larger stores replicate those article graphs under new article ids (the
``/article/<id>`` IRIs, the graph IRI and ``schema:identifier``) with every ``xsd:date`` moved by a number of
days, so each copy is a distinct article with the same shape: never random triples.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.term import Identifier

from bench.common import Figure, conflict_articles, cost, throughput
from kg import ns
from kg.errors import QueryError
from kg.load import load_path
from kg.model import Article
from kg.queries import (
    DEFAULT_LIMIT,
    NamedQuery,
    construct_page,
    group_rows,
    key_page_at,
    load_queries,
    paged_text,
    pages_of_claims,
    run_page,
)
from kg.store.base import Store, bind_values
from kg.store.oxigraph import OxigraphStore

DATE = re.compile(r'"(\d{4}-\d{2}-\d{2})"\^\^<http://www\.w3\.org/2001/XMLSchema#date>')
FILE_ARTICLES = 1000  # articles per N-Quads file of a build step
LOADERS = 2  # Virtuoso bulk-loader sessions at once (rdf_loader_run), one per core


@dataclass
class Template:
    """One real article graph as N-Quads, cut where its id and dates go."""

    parts: list[str | dt.date | None]  # text, a date to shift, or None where the id segment goes
    doc: str

    def render(self, copy: int) -> str:
        return self.render_bytes(copy).decode()

    def render_bytes(self, copy: int) -> bytes:
        """Copy ``copy`` as N-Quads: the id segment gets ``-r<copy>``, every date moves ``copy % 3650`` days.

        A join of the few pieces between dates and one ``bytes.replace`` for the id, not a join of ~800 parts:
        about 8 times faster (0.15 ms against 1.2 ms an article), which the 100,000-article build needs."""
        pieces, dates = self._compiled()
        shift = dt.timedelta(days=copy % 3650)
        out = [pieces[0]]
        for day, piece in zip(dates, pieces[1:], strict=True):
            out.append((day + shift).isoformat().encode())
            out.append(piece)
        return b"".join(out).replace(b"\0", b"-r%d" % copy)

    def quads(self) -> int:
        return sum(piece.count(b"\n") for piece in self._compiled()[0])

    def _compiled(self) -> tuple[list[bytes], list[dt.date]]:
        """The text as bytes cut at each date (``\\0`` where the id segment goes), and the dates."""
        cached: tuple[list[bytes], list[dt.date]] | None = self.__dict__.get("_pieces")
        if cached is None:
            pieces: list[bytes] = []
            dates: list[dt.date] = []
            text: list[str] = []
            for part in self.parts:
                if isinstance(part, dt.date):
                    pieces.append("".join(text).encode())
                    dates.append(part)
                    text = []
                else:
                    text.append("\0" if part is None else part)
            pieces.append("".join(text).encode())
            cached = (pieces, dates)
            self.__dict__["_pieces"] = cached
        return cached


def make_template(doc: str, graph: Graph) -> Template:
    iri = ns.article_graph(doc)
    seg = str(iri).rsplit("/", 1)[1]
    text = "".join(
        f"{line[:-2].rstrip()} <{iri}> .\n" for line in graph.serialize(format="nt").splitlines() if line.strip()
    )
    ident = Literal(doc).n3()
    for holder in ("<https://schema.org/identifier>", f"<{ns.KG.docId}>"):  # the article's and its claims' copy
        text = text.replace(f"{holder} {ident}", f"{holder} {ident[:-1]}\0\"")
    text = re.sub(re.escape(f"/article/{seg}") + r"(?=[>/])", f"/article/{seg}\0", text)
    parts: list[str | dt.date | None] = []
    for chunk_no, chunk in enumerate(text.split("\0")):
        if chunk_no:
            parts.append(None)
        last = 0
        for match in DATE.finditer(chunk):
            parts.append(chunk[last : match.start(1)])
            parts.append(dt.date.fromisoformat(match.group(1)))
            last = match.end(1)
        parts.append(chunk[last:])
    return Template(parts, doc)


@dataclass
class Extractions:
    templates: list[Template]
    entities: str  # the entity graph as N-Quads
    entities_nt: str  # and as N-Triples
    quads_per_article: float
    seconds: dict[str, float]  # per stage, summed over the articles
    articles: int


def extract_corpus(limit: int, log: Callable[[str], None]) -> Extractions:
    """One in-process ingest pass over the conflict corpus, timing each stage."""
    from kg.ingest import extract_each
    from kg.rdf import add_derived, article_graph, entity_triples
    from kg.validate import validate_extraction

    articles: list[Article] = []
    for path in conflict_articles():
        articles.extend(a for a in load_path(path) if isinstance(a, Article))
        if len(articles) >= limit:
            break
    articles = articles[:limit]
    seconds = dict.fromkeys(("extract", "rdf", "validate", "write"), 0.0)
    templates: list[Template] = []
    entities = Graph()
    quads = 0
    with tempfile.TemporaryDirectory(prefix="kg-bench-extract-") as tmp:
        store = OxigraphStore(Path(tmp) / "store")
        from kg.extract.entities import get_nlp

        get_nlp()  # model loading is start-up, not per-article work
        for start in range(0, len(articles), 8):
            batch = articles[start : start + 8]
            began = time.perf_counter()
            results = list(extract_each(batch, 8))
            seconds["extract"] += time.perf_counter() - began
            for article, extraction in zip(batch, results, strict=True):
                if isinstance(extraction, Exception):
                    continue
                began = time.perf_counter()
                graph = article_graph(extraction, derived=False)
                ents = entity_triples(extraction.entities)
                seconds["rdf"] += time.perf_counter() - began
                began = time.perf_counter()
                report = validate_extraction(article.id, (graph, ents))  # as kg.ingest.build_graphs does
                seconds["validate"] += time.perf_counter() - began
                if not report.conforms:
                    continue
                began = time.perf_counter()
                add_derived(graph, extraction)
                seconds["rdf"] += time.perf_counter() - began
                began = time.perf_counter()
                store.replace_graph(ns.article_graph(article.id), graph, ents)
                seconds["write"] += time.perf_counter() - began
                templates.append(make_template(article.id, graph))
                entities += ents
                quads += len(graph)
        store.close()
    log(f"  extracted {len(templates)} real articles: " + ", ".join(f"{k} {v:.1f}s" for k, v in seconds.items()))
    entity_nq = "".join(
        f"{line[:-2].rstrip()} <{ns.ENTITY_GRAPH}> .\n" for line in entities.serialize(format="nt").splitlines()
        if line.strip()
    )
    return Extractions(templates, entity_nq, entities.serialize(format="nt"), quads / max(1, len(templates)),
                       seconds, len(templates))


def validation_figures(ex: Extractions) -> list[Figure]:
    total = sum(ex.seconds.values())
    per_article = total / ex.articles
    share = ex.seconds["validate"] / total
    return [
        Figure(
            "SHACL validation time per article (share of ingest)",
            ex.seconds["validate"] / ex.articles,
            "s/article",
            "whole per-article ingest time (extract + RDF + validate + write), one process",
            per_article,
            share,
        )
    ]


def replicas(ex: Extractions, n: int) -> Iterator[str]:
    """N-Quads of ``n`` articles, each a copy of a real one under a new id and shifted dates."""
    for i in range(n):
        template = ex.templates[i % len(ex.templates)]
        yield template.render(i)


def bulk_build(path: Path, ex: Extractions, n: int, chunk: int = 1000) -> tuple[ox.Store, int, float]:
    """A pyoxigraph store of ``n`` replicated articles, bulk-loaded; the store, its quads and the load time
    (the baseline of the store-load figure: the replicas are rendered outside the timed part)."""
    store = ox.Store(str(path))
    seconds = 0.0
    store.bulk_load(ex.entities.encode(), format=ox.RdfFormat.N_QUADS)
    for start in range(0, n, chunk):
        data = render_range(ex, start, min(n, start + chunk))
        began = time.perf_counter()
        store.bulk_load(data, format=ox.RdfFormat.N_QUADS)
        seconds += time.perf_counter() - began
    return store, len(store), seconds


def render_range(ex: Extractions, start: int, stop: int) -> bytes:
    """Replicas ``start`` to ``stop`` as one N-Quads document."""
    return b"".join(ex.templates[i % len(ex.templates)].render_bytes(i) for i in range(start, stop))


def replicas_range(ex: Extractions, start: int, stop: int) -> Iterator[str]:
    for i in range(start, stop):
        yield ex.templates[i % len(ex.templates)].render(i)


def write_replicas(folder: Path, ex: Extractions, start: int, stop: int, chunk: int = FILE_ARTICLES) -> list[Path]:
    """Replicas ``start`` to ``stop`` as N-Quads files of ``chunk`` articles (``bench-<first>.nq``)."""
    files = []
    for first in range(start, stop, chunk):
        path = folder / f"bench-{first:07d}.nq"
        path.write_bytes(render_range(ex, first, min(stop, first + chunk)))
        files.append(path)
    return files


def virtuoso_load(server: Any, pattern: str, loaders: int = LOADERS) -> None:
    """Virtuoso's bulk loader over the files in the server's folder whose names match ``pattern`` (SQL
    ``LIKE``): ``ld_dir``, then ``rdf_loader_run()`` in ``loaders`` sessions at once, then ``checkpoint`` (its
    loads are not logged: durable only after it).  For building benchmark stores; kg never writes this way.

    :raises RuntimeError: a file was not loaded.
    """
    server.isql(f"ld_dir('.', '{pattern}', 'https://w3id.org/kg/graph/unnamed');")
    command = ["isql-vt", f"127.0.0.1:{server.sql_port}", "dba", "dba", "exec=rdf_loader_run();"]
    procs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for _ in range(max(1, loaders))]
    outputs = [proc.communicate(timeout=7200)[0] for proc in procs]
    server.isql("checkpoint;", timeout=1800)
    failed = server.isql("select ll_file, ll_error from DB.DBA.load_list where ll_error is not null;")
    if any(proc.returncode for proc in procs) or re.search(r"bench-\w+\.nq", failed):
        raise RuntimeError(f"Virtuoso bulk load failed: {failed[-2000:]} {' '.join(o[-500:] for o in outputs)}")


def virtuoso_build(server: Any, ex: Extractions, start: int, stop: int, chunk: int = FILE_ARTICLES) -> float:
    """Add replicated articles ``start`` to ``stop`` to a Virtuoso server with its bulk loader (files in its
    folder, then ``checkpoint``); the seconds it took."""
    began = time.perf_counter()
    files = write_replicas(Path(server.folder), ex, start, stop, chunk)
    virtuoso_load(server, "bench-%.nq")
    for path in files:
        path.unlink()
    return time.perf_counter() - began


class Stores:
    """The replicated stores of one run, grown in steps of whole articles: an embedded pyoxigraph store and,
    if a server is given, Virtuoso, both holding replicas ``0`` to ``size``.

    Each step renders the new replicas once as N-Quads files (in the server's folder, which its loader may
    read), then loads them into both stores at once: pyoxigraph's ``bulk_load`` in one thread, Virtuoso's bulk
    loader in ``LOADERS`` sessions, then deletes the files.  Nothing is timed meanwhile; the queries are timed
    once a step has ended."""

    def __init__(self, ex: Extractions, embedded: Path, server: Any | None = None, size: int = 0) -> None:
        self.ex = ex
        self.embedded = embedded
        self.server = server
        self.size = size  # replicas already in both stores (and the entity graph, if size > 0)
        self.files = Path(server.folder) if server is not None else embedded.parent / "bench-nq"
        self.steps: list[dict[str, float]] = []

    def grow(self, stop: int, group: int = 10_000, log: Callable[[str], None] | None = None) -> dict[str, float]:
        """Add replicas ``size`` to ``stop`` to both stores (``group`` articles of files on disk at a time);
        the seconds spent rendering, loading each store, and in all (wall time)."""
        began = time.perf_counter()
        seconds = {"articles": float(stop), "from": float(self.size), "render": 0.0, "embedded": 0.0,
                   "virtuoso": 0.0}
        self.files.mkdir(parents=True, exist_ok=True)
        store = ox.Store(str(self.embedded))
        try:
            if self.size == 0:
                entities = self.files / "bench-entities.nq"
                entities.write_text(self.ex.entities, encoding="utf-8")
                self._load(store, [entities], seconds)
                entities.unlink()
            for first in range(self.size, stop, group):
                last = min(stop, first + group)
                t = time.perf_counter()
                files = write_replicas(self.files, self.ex, first, last)
                seconds["render"] += time.perf_counter() - t
                self._load(store, files, seconds)
                for path in files:
                    path.unlink()
                self.size = last
                if log is not None and stop - seconds["from"] > group:
                    log(f"  {last} articles after {time.perf_counter() - began:.0f}s")
            store.flush()
        finally:
            del store
        seconds["wall"] = time.perf_counter() - began
        # counted from the templates: ``len(store)`` scans every quad (1.6 s at 1,000 articles, minutes at 100,000)
        per = [t.quads() for t in self.ex.templates]
        seconds["quads"] = float(self.ex.entities.count("\n") + sum(per[i % len(per)] for i in range(stop)))
        self.steps.append(seconds)
        return seconds

    def _load(self, store: ox.Store, files: list[Path], seconds: dict[str, float]) -> None:
        def virtuoso() -> None:
            t = time.perf_counter()
            try:
                virtuoso_load(self.server, "bench-%.nq")
            except BaseException as exc:  # raised again in the main thread
                errors.append(exc)
            seconds["virtuoso"] += time.perf_counter() - t

        errors: list[BaseException] = []
        thread = None
        if self.server is not None:
            thread = threading.Thread(target=virtuoso, daemon=True)
            thread.start()
        t = time.perf_counter()
        for path in files:  # pyoxigraph releases the GIL while it loads
            store.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS, lenient=True)
        seconds["embedded"] += time.perf_counter() - t
        if thread is not None:
            thread.join()
        if errors:
            raise errors[0]


#: Rounds of the embedded store's writes and their ``bulk_load`` baseline, each on fresh stores: the figure is the
#: round with the median ratio.  One round was not a measurement: the baseline, one ``bulk_load`` of about 3 s,
#: varies by 20% from run to run, and today's two whole runs gave 2.08x and 2.99x for the same code.
WRITE_ROUNDS = 3


def write_graphs(ex: Extractions, n: int) -> tuple[list[tuple[URIRef, Graph]], Graph]:
    """The ``n`` replicated article graphs kg's writes store (``<doc>-r<i>``, as the query stores name them)
    and the entity graph, parsed once, before any write is timed."""
    ent_graph = Graph().parse(data=ex.entities_nt, format="nt")
    graphs = []
    for i, nq in enumerate(replicas_range(ex, 0, n)):
        template = ex.templates[i % len(ex.templates)]
        nt = "".join(line.rsplit(" <", 1)[0] + " .\n" for line in nq.splitlines())
        graphs.append((URIRef(f"{ns.article_graph(template.doc)}-r{i}"), Graph().parse(data=nt, format="nt")))
    return graphs, ent_graph


def kg_write(stores: list[Store], graphs: list[tuple[URIRef, Graph]], ent_graph: Graph) -> tuple[int, list[float]]:
    """Write the articles (``write_graphs``) through kg's ``replace_graph`` into each store, one atomic write per
    article; the quads written and the seconds per store.

    Each store is written in a pass of its own, as the baseline's ``bulk_load`` runs alone: interleaved, each
    store's background work (RocksDB's flushes and compactions, Virtuoso's own threads) ran inside the other's
    timed writes on two cores; the embedded figure was 2.84x ``bulk_load`` in a whole run that interleaved
    them and 1.97-2.37x alone, on the same 300 articles."""
    seconds = [0.0] * len(stores)
    for k, store in enumerate(stores):
        for i, (iri, graph) in enumerate(graphs):
            began = time.perf_counter()
            store.replace_graph(iri, graph, ent_graph if i == 0 else None)
            seconds[k] += time.perf_counter() - began
    return sum(len(graph) for _, graph in graphs) + len(ent_graph), seconds


def atomic_floor(path: Path, ex: Extractions, n: int) -> float:
    """Seconds pyoxigraph's own transactional ``Store.load`` takes over the same articles' N-Quads, one article a
    transaction, with no kg code at all: the floor of any atomic write per article on this store, against which
    kg's own share of its writes is read (the ``bulk_load`` baseline is not atomic).  The replicas are rendered
    before the clock starts, as the baseline's are."""
    store = ox.Store(str(path))
    store.bulk_load(ex.entities.encode(), format=ox.RdfFormat.N_QUADS)
    docs = [nq.encode() for nq in replicas_range(ex, 0, n)]
    began = time.perf_counter()
    for doc in docs:
        store.load(doc, format=ox.RdfFormat.N_QUADS, lenient=True)
    return time.perf_counter() - began


def store_load_figures(ex: Extractions, n: int, tmp: Path, sparql: Store | None) -> list[Figure]:
    """kg's writes against ``bulk_load`` of the same quads: the embedded store in ``WRITE_ROUNDS`` rounds (a
    fresh baseline, a fresh store and pyoxigraph's own atomic load, ``atomic_floor``, each; the first round's
    store, in ``tmp / "kg-writes"``, is kept: the query stores grow from it), Virtuoso once (its graphs then
    exist: a second round would time replacements) against the median baseline."""
    graphs, ent_graph = write_graphs(ex, n)
    rounds = []
    for r in range(WRITE_ROUNDS):
        base_store, base_quads, base_seconds = bulk_build(tmp / f"bulk-baseline-{r}", ex, n)
        del base_store
        shutil.rmtree(tmp / f"bulk-baseline-{r}", ignore_errors=True)
        floor_seconds = atomic_floor(tmp / f"atomic-floor-{r}", ex, n)
        shutil.rmtree(tmp / f"atomic-floor-{r}", ignore_errors=True)
        path = tmp / ("kg-writes" if r == 0 else f"kg-writes-{r}")
        kg_store = OxigraphStore(path)
        quads, seconds = kg_write([kg_store], graphs, ent_graph)
        kg_store.close()
        if r:
            shutil.rmtree(path, ignore_errors=True)
        rounds.append((seconds[0] / base_seconds, seconds[0], base_seconds, floor_seconds))
    _, kg_seconds, base_seconds, floor_seconds = sorted(rounds)[len(rounds) // 2]
    base_median = statistics.median(b for _, _, b, _ in rounds)
    each = ", ".join(f"{r:.2f}" for r, _, _, _ in rounds)
    floors = ", ".join(f"{f / b:.2f}" for _, _, b, f in rounds)
    baseline = f"pyoxigraph bulk_load of the same quads as N-Quads ({base_quads} quads)"
    figures = [
        throughput(f"store load, embedded, {n} article writes", quads / kg_seconds, "quads/s",
                   f"{baseline}; the median of {WRITE_ROUNDS} rounds, whose ratios were {each}",
                   base_quads / base_seconds),
        throughput("store load, embedded, pyoxigraph's own atomic load, one article a transaction, no kg code",
                   base_quads / floor_seconds, "quads/s",
                   f"{baseline}; the same round as kg's writes above; every round's ratio: {floors}",
                   base_quads / base_seconds),
        cost("store load, embedded, kg's writes against pyoxigraph's own atomic load", kg_seconds, "s",
             "pyoxigraph Store.load of the same N-Quads, one article a transaction, same round", floor_seconds),
    ]
    if sparql is not None:
        _, seconds = kg_write([sparql], graphs, ent_graph)
        baseline = f"{baseline}; the median of {WRITE_ROUNDS} baseline runs"
        figures.append(throughput(f"store load, Virtuoso, {n} article writes", quads / seconds[0], "quads/s",
                                  baseline, base_quads / base_median))
        many = getattr(sparql, "replace_graphs", None)
        if many is not None:
            quads, batched = kg_write_batched(many, ex, n, 16)
            figures.append(throughput(f"store load, Virtuoso, {n} article writes, 16 per request", quads / batched,
                                      "quads/s", baseline, base_quads / base_median))
    return figures


def kg_write_batched(many: Callable[..., list[Any]], ex: Extractions, n: int, batch: int) -> tuple[int, float]:
    """The same writes through ``replace_graphs``, ``batch`` articles per request (as parallel ingest does)."""
    seconds = 0.0
    quads = 0
    items = []
    for i, nq in enumerate(replicas_range(ex, 0, n)):
        template = ex.templates[i % len(ex.templates)]
        nt = "".join(line.rsplit(" <", 1)[0] + " .\n" for line in nq.splitlines())
        graph = Graph().parse(data=nt, format="nt")
        items.append((URIRef(f"{ns.article_graph(template.doc)}-r{i}"), graph, None))
        quads += len(graph)
        if len(items) == batch or i == n - 1:
            began = time.perf_counter()
            errors = many(items)
            seconds += time.perf_counter() - began
            assert not any(errors), errors
            items = []
    return quads, seconds


# queries ---------------------------------------------------------------------------------------------
def params_for(query: NamedQuery, ex: Extractions) -> dict[str, str]:
    """Realistic values for a named query's required parameters (and a place and an actor where optional).

    The article and its graph are replica 0 of the first real article (``<doc>-r0``): the stores hold only
    replicas, never the original ids."""
    doc = ex.templates[0].doc
    values = {}
    for param in query.params:
        if param.type == "string":
            value = {"actor": "Russia", "deployer": "Russia", "claimant": "Zelensky"}.get(param.name, "Kursk")
        elif param.type == "iri":
            value = {
                "graph": f"{ns.article_graph(doc)}-r0",
                "article": f"{ns.article_iri(doc)}-r0",
                "certainty": "https://w3id.org/kg/ontology#asserted",
                "claim": f"{ns.article_iri(doc)}-r0/claim/1",
            }.get(param.name, str(ns.entity_iri("russia")))
        elif param.type == "integer":
            value = "1000"
        else:
            value = "2024-01-01"
        # what the REST endpoints run: /entities/{id} asks claim-details for one entity's claims
        if param.required or param.name in ("location",) or (query.name, param.name) == ("claim-details", "entity"):
            values[param.name] = value
    return values


def _timed(fn: Callable[[], Any]) -> float:
    began = time.perf_counter()
    fn()
    return time.perf_counter() - began


def pct(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def _kind(text: str) -> str:
    body = re.sub(r"(?m)^\s*(#.*|PREFIX\s+\S+\s+<[^>]*>)\s*$", "", text)
    return "construct" if re.match(r"\s*(CONSTRUCT|DESCRIBE)\b", body, re.IGNORECASE) else "select"


def _open(spec: tuple[str, ...], limit: float) -> tuple[Store, Callable[[str, str], Callable[[], Any]]]:
    """kg's store and the bare-store runner for a backend spec: ("oxigraph", path) or ("sparql", url)."""
    if spec[0] == "oxigraph":
        kg_store = OxigraphStore(spec[1], read_only=True)
        raw = ox.Store.read_only(spec[1])  # the bare pyoxigraph store under kg's, opened read-only beside it
        return kg_store, lambda text, kind: (lambda: list(raw.query(text, use_default_graph_as_union=True)))
    from kg.store.sparql import MAX_GET, SparqlStore

    # the HTTP timeouts leave the time limit to the runner, which kills the worker past it (BULK_LIMIT for
    # a bulk export)
    sparql = SparqlStore(spec[1], timeout=max(limit, BULK_LIMIT) * 2)
    client = httpx.Client(timeout=max(limit, BULK_LIMIT) * 2)

    def bare(text: str, kind: str) -> Callable[[], Any]:
        accept = "application/n-triples" if kind == "construct" else "application/sparql-results+json"

        def run() -> Any:
            # the text kg's store sends (with Virtuoso's join-order pragma where a query's header asks for it),
            # as it sends it: a GET, or a form POST when long (the bound conflicts query is about 9,200
            # characters as a GET, near Virtuoso's request-line limit of about 10,000)
            query = {"query": sparql.as_sent(text)}
            if len(urlencode(query)) <= MAX_GET:
                response = client.get(spec[1], params=query, headers={"Accept": accept})
            else:
                response = client.post(spec[1], data=query, headers={"Accept": accept})
            response.raise_for_status()
            return response.content if kind == "construct" else response.json()

        return run

    return sparql, bare


def _query_worker(spec: tuple[str, ...], limit: float, tasks: Any, results: Any) -> None:
    """Run in a child process, so that a query that does not finish in time can be stopped by killing it.
    Each task is one run of one query, through kg or through the bare store: ``(name, values, side)``."""
    store, bare = _open(spec, limit)
    queries = load_queries()
    runners: dict[tuple[str, str], Callable[[], Any]] = {}
    while True:
        task = tasks.get()
        if task is None:
            return
        name, values, side = task
        if (name, side) not in runners:
            query = queries[name]
            bindings = query.bind(values)
            kind = _kind(query.text)
            paged = kind == "select" and name not in WHOLE and pageable(query)
            keyed = kind == "construct" and name not in WHOLE and key_page_at(query.text) is not None
            if side == "kg":
                group = "claim" if pages_of_claims(query) else None  # decided once, outside the timed call

                def kg_fn(q: NamedQuery = query, b: dict[str, Identifier] = bindings, k: str = kind,
                          v: dict[str, str] = values, p: bool = paged, c: bool = keyed, g: str | None = group) -> Any:
                    if p:  # the first page, as REST serves it (GET /queries/{name}, /entities/{id}, ...)
                        return run_page(store, q, v, group=g)
                    if c:  # a CONSTRUCT of claims (entity-graph): its first page of claims, as REST serves it
                        return construct_page(store, q, v)
                    return store.construct(q.text, b) if k == "construct" else store.select(q.text, b)

                runners[name, side] = kg_fn
            else:
                # the bare request: the first page cut where kg cuts it (a CONSTRUCT of claims: in its keys)
                text = paged_text(query, first_page_rows(query), 0) if paged else query.text
                text = paged_text(query, DEFAULT_LIMIT, 0) if keyed else text
                runners[name, side] = bare(bind_values(text, bindings), kind)
        try:
            results.put((name, side, _timed(runners[name, side]), ""))
        except Exception as exc:  # a query this backend cannot run is a finding, not a crash of the bench
            results.put((name, side, 0.0, f"{type(exc).__name__}: {str(exc)[:200]}"))


#: Queries measured whole: bulk exports, which stream their whole answer (every other SELECT is measured by
#: its first page, as REST serves it: ``run_page`` with the default limit; a CONSTRUCT cut in a key
#: sub-select by its first page of claims).
WHOLE = frozenset({"export-claims"})
#: The bulk exports: whole-corpus answers that stream (the Gephi export's claims, the SHACL pass over the
#: estimate claims).  They may run ``BULK_LIMIT`` seconds, not ``limit``: they are measured, never expected to
#: answer within a second.
BULK = WHOLE | {"estimate-claims"}
BULK_LIMIT = 120.0


def _allowed(name: str, limit: float) -> float:
    """Seconds one run of query ``name`` may take."""
    return max(limit, BULK_LIMIT) if name in BULK else limit


def pageable(query: NamedQuery) -> bool:
    """Whether ``run_page`` can page the query (not one that ends in its own ``LIMIT``, as latest-articles)."""
    try:
        paged_text(query, 1, 0)
    except QueryError:
        return False
    return True


def first_page_rows(query: NamedQuery) -> int:
    """The rows ``run_page`` fetches at first for the first page at the default limit (one more than the page,
    or for pages of whole claims, ``pages_of_claims``, as every REST list of claims serves them, ``GROUP_ROWS``
    a claim): the bare store runs the same text."""
    if pages_of_claims(query):
        return group_rows(DEFAULT_LIMIT) + 1
    return DEFAULT_LIMIT + 1


#: What the query benchmarks could not measure, for the notes of the report.
MESSAGES: list[str] = []
LIMIT = 10.0  # seconds one run of one query (through kg or the bare store) may take; beyond: stopped
REPS = 9  # runs of each side at most, after the first
REP_BUDGET = 2.0  # seconds of repeated runs per query, size and backend (at least MIN_REPS runs)
MIN_REPS = 3
ONCE = 2.0  # a query whose first run (either side) took longer than this is measured by that run alone


class _Runner:
    """A query worker process for one store; ``run`` times one execution, killing the worker past ``limit``."""

    def __init__(self, spec: tuple[str, ...], limit: float) -> None:
        import multiprocessing

        self.spec = spec
        self.limit = limit
        # fork: the worker inherits the imports (kg, rdflib, pyoxigraph) and starts in milliseconds, so a
        # killed worker costs nothing to replace; the parent holds no store open while queries are timed
        self.context = multiprocessing.get_context("fork")
        self.worker: Any = None

    def run(self, name: str, values: dict[str, str], side: str) -> float | str:
        """Seconds one run took, or why there is none (an error, or ``"timeout"``)."""
        import queue as queue_mod

        if self.worker is None:
            self.tasks, self.results = self.context.Queue(), self.context.Queue()
            self.worker = self.context.Process(target=_query_worker, args=(self.spec, self.limit, self.tasks,
                                                                            self.results), daemon=True)
            self.worker.start()
        self.tasks.put((name, values, side))
        try:
            got, got_side, seconds, error = self.results.get(timeout=_allowed(name, self.limit))
        except queue_mod.Empty:
            self.close(kill=True)
            return "timeout"
        assert (got, got_side) == (name, side), (got, got_side, name, side)
        return error or float(seconds)

    def close(self, kill: bool = False) -> None:
        if self.worker is None:
            return
        if not kill:
            self.tasks.put(None)
            self.worker.join(timeout=10)
        if self.worker.is_alive():
            self.worker.kill()
        self.worker.join()
        self.worker = None


def query_figures(
    label: str,
    size: int,
    spec: tuple[str, ...],
    bare_name: str,
    ex: Extractions,
    log: Callable[[str], None],
    skip: set[str],
    deadline: float,
    limit: float = LIMIT,
    only: set[str] | None = None,
) -> list[Figure]:
    """p50 and p95 of each named query (of those in ``only``, when given) through kg and through the bare
    store on the same SPARQL.

    A SELECT is timed by its first page at the default limit, as REST serves it (``run_page``; pages of
    whole claims for claim-details and deployments, as /entities/{id} and /deployments ask), the bare store
    running the same paged text; the bulk exports in ``WHOLE`` and the CONSTRUCT queries are timed whole.
    Every query gets its first run on each side before any query is repeated, so a tight budget costs
    repetitions, never a slow query's only measurement; queries run in name order.  A run longer than
    ``limit`` is stopped (its worker killed), noted, and the query is added to ``skip``: not run at larger
    sizes on this backend, which is noted too.  Nothing is left out silently: every query not measured has a
    note in ``MESSAGES``."""
    values = {q.name: params_for(q, ex) for q in load_queries().values()}
    unknown = (only or set()) - set(values)
    if unknown:
        raise SystemExit(f"--queries: no named query {', '.join(sorted(unknown))}")
    names = sorted(n for n in values if not only or n in only)
    runner = _Runner(spec, limit)
    first: dict[str, tuple[float, float]] = {}
    where = f"{label}, {size} articles"

    def note(message: str) -> None:
        MESSAGES.append(f"{where}: {message}")
        log(f"  {MESSAGES[-1]}")

    try:
        unrun = [n for n in names if n in skip]
        if unrun:
            note(f"not run, as they took over {limit:.0f}s at a smaller size: {', '.join(unrun)}")
        late = []
        for name in names:  # pass 1: one run each side
            if name in skip:
                continue
            if time.monotonic() > deadline:
                late.append(name)
                continue
            kg_time = runner.run(name, values[name], "kg")
            bare_time = runner.run(name, values[name], "bare") if isinstance(kg_time, float) else kg_time
            if isinstance(kg_time, float) and bare_time == "timeout":
                # kg answered (a page through the days) where the bare query, sorting every claim, was stopped:
                # kg's figure stands, against the limit as the least the bare query takes
                note(f"{name}: the bare store took over {_allowed(name, limit):.0f}s (stopped; its figure is that "
                     "limit, a lower bound); kg's side measured")
                first[name] = (kg_time, _allowed(name, limit))
            elif kg_time == "timeout" or bare_time == "timeout":
                side = "through kg" if kg_time == "timeout" else "on the bare store"
                note(f"{name} took over {_allowed(name, limit):.0f}s {side}: stopped, not measured, not run at "
                     "larger sizes")
                skip.add(name)
            elif isinstance(kg_time, str) or isinstance(bare_time, str):
                note(f"{name} failed: {kg_time if isinstance(kg_time, str) else bare_time}")
            else:
                first[name] = (kg_time, bare_time)
        if late:
            note(f"not measured, time budget spent: {', '.join(late)}")
        slow: list[str] = []
        bare_slow: list[str] = []
        short: list[str] = []
        figures: list[Figure] = []
        for name, (kg_first, bare_first) in first.items():  # pass 2: repetitions, within the budget
            kg_times: list[float] = []
            bare_times: list[float] = []
            if ONCE < kg_first and bare_first <= ONCE and name not in BULK and time.monotonic() < deadline:
                # kg slow where the bare store was not: perhaps only the first query after the server started
                # (Virtuoso's actor-statements at 100,000 articles: 2.1 s cold, then the bare 0.46 s); once more
                again = runner.run(name, values[name], "kg")
                if isinstance(again, float) and again <= ONCE:
                    note(f"{name}: the first run through kg took {kg_first:.1f}s, the next {again:.2f}s: "
                         "the first not counted")
                    kg_first = again
            if kg_first > ONCE:
                slow.append(name)
            else:
                # only the bare store slow (a page kg cuts where the bare query sorts everything): kg's side is
                # still repeated, so its figure is not one cold run; the bare side keeps its first
                once = bare_first > ONCE
                if once:
                    bare_slow.append(name)
                spent = 0.0
                while len(kg_times) < REPS and (spent < REP_BUDGET or len(kg_times) < MIN_REPS):
                    if time.monotonic() > deadline:
                        short.append(name)
                        break
                    kg_time = runner.run(name, values[name], "kg")
                    bare_time = kg_time
                    if isinstance(kg_time, float):
                        bare_time = bare_first if once else runner.run(name, values[name], "bare")
                    if not isinstance(kg_time, float) or not isinstance(bare_time, float):
                        note(f"{name}: a repeated run failed or took over {_allowed(name, limit):.0f}s "
                             f"({kg_time}, {bare_time})")
                        break
                    kg_times.append(kg_time)
                    bare_times.append(bare_time)
                    spent += kg_time + (0.0 if once else bare_time)
            if not kg_times:  # slow, or no time left: the first run is the measurement
                kg_times, bare_times = [kg_first], [bare_first]
            for q in (50, 95):
                figures.append(cost(f"query {name} p{q}, {label}, {size} articles", pct(kg_times, q), "s",
                                    f"bare {bare_name}, same SPARQL", pct(bare_times, q)))
        if slow:
            note(f"measured by one run each side (the first took over {ONCE:.0f}s): {', '.join(slow)}")
        if bare_slow:
            note(f"the bare store measured by its one first run (over {ONCE:.0f}s), kg's side repeated: "
                 f"{', '.join(bare_slow)}")
        if short:
            note(f"repetitions cut short by the time budget: {', '.join(short)}")
    finally:
        runner.close()
    return figures
