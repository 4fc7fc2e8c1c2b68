"""Validation share, store load and query latency, on stores built from real extractions.

The real extractions come from one in-process pass over the conflict corpus (which also times each stage of
ingest, for the validation share).  Larger stores replicate those article graphs under new article ids (the
``/article/<id>`` IRIs, the graph IRI and ``schema:identifier``) with every ``xsd:date`` moved by a number of
days, so each copy is a distinct article with the same shape: never random triples.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.term import Identifier

from bench.common import Figure, conflict_articles, cost, throughput
from kg import ns
from kg.load import load_path
from kg.model import Article
from kg.queries import NamedQuery, load_queries
from kg.store.base import Store, bind_values
from kg.store.oxigraph import OxigraphStore

DATE = re.compile(r'"(\d{4}-\d{2}-\d{2})"\^\^<http://www\.w3\.org/2001/XMLSchema#date>')
REPS = 9
BUDGET = 3.0  # seconds of repetitions per query, size and backend (at least 3 runs)
SLOW = 4.0  # a query slower than this once is run once only


@dataclass
class Template:
    """One real article graph as N-Quads, cut where its id and dates go."""

    parts: list[str | dt.date | None]  # text, a date to shift, or None where the id segment goes
    doc: str

    def render(self, copy: int) -> str:
        out = []
        for part in self.parts:
            if part is None:
                out.append(f"-r{copy}")
            elif isinstance(part, dt.date):
                out.append((part + dt.timedelta(days=copy % 3650)).isoformat())
            else:
                out.append(part)
        return "".join(out)


def make_template(doc: str, graph: Graph) -> Template:
    iri = ns.article_graph(doc)
    seg = str(iri).rsplit("/", 1)[1]
    text = "".join(
        f"{line[:-2].rstrip()} <{iri}> .\n" for line in graph.serialize(format="nt").splitlines() if line.strip()
    )
    ident = Literal(doc).n3()
    text = text.replace(f"<https://schema.org/identifier> {ident}", f"<https://schema.org/identifier> {ident[:-1]}\0\"")
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
    from kg.rdf import article_graph, entity_triples
    from kg.validate import validate_graph

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
                graph = article_graph(extraction)
                ents = entity_triples(extraction.entities)
                seconds["rdf"] += time.perf_counter() - began
                began = time.perf_counter()
                report = validate_graph(article.id, graph + ents)
                seconds["validate"] += time.perf_counter() - began
                if not report.conforms:
                    continue
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
    """A pyoxigraph store of ``n`` replicated articles, bulk-loaded; the store, its quads and the load time."""
    store = ox.Store(str(path))
    seconds = 0.0
    store.bulk_load(ex.entities.encode(), format=ox.RdfFormat.N_QUADS)
    for start in range(0, n, chunk):
        data = "".join(replicas_range(ex, start, min(n, start + chunk))).encode()
        began = time.perf_counter()
        store.bulk_load(data, format=ox.RdfFormat.N_QUADS)
        seconds += time.perf_counter() - began
    return store, len(store), seconds


def virtuoso_build(server: Any, ex: Extractions, start: int, stop: int, chunk: int = 1000) -> float:
    """Add replicated articles ``start`` to ``stop`` to a Virtuoso server with its bulk loader (files in its
    folder, then ``checkpoint``); the seconds it took."""
    began = time.perf_counter()
    files = []
    for first in range(start, stop, chunk):
        path = Path(server.folder) / f"bench-{first}.nq"
        path.write_text("".join(replicas_range(ex, first, min(stop, first + chunk))), encoding="utf-8")
        files.append(path)
    server.bulk_load("bench-%.nq")
    for path in files:
        path.unlink()
    return time.perf_counter() - began


def replicas_range(ex: Extractions, start: int, stop: int) -> Iterator[str]:
    for i in range(start, stop):
        yield ex.templates[i % len(ex.templates)].render(i)


def kg_write(stores: list[Store], ex: Extractions, n: int) -> tuple[int, list[float]]:
    """Write ``n`` replicated articles through kg's ``replace_graph`` into each store, one atomic write per
    article (each copy parsed once, the parse not timed); the quads written and the seconds per store."""
    ent_graph = Graph().parse(data=ex.entities_nt, format="nt")
    seconds = [0.0] * len(stores)
    quads = 0
    for i, nq in enumerate(replicas_range(ex, 0, n)):
        template = ex.templates[i % len(ex.templates)]
        nt = "".join(line.rsplit(" <", 1)[0] + " .\n" for line in nq.splitlines())
        graph = Graph().parse(data=nt, format="nt")
        iri = URIRef(f"{ns.article_graph(template.doc)}-r{i}")
        for k, store in enumerate(stores):
            began = time.perf_counter()
            store.replace_graph(iri, graph, ent_graph if i == 0 else None)
            seconds[k] += time.perf_counter() - began
        quads += len(graph) + (len(ent_graph) if i == 0 else 0)
    return quads, seconds


def store_load_figures(ex: Extractions, n: int, tmp: Path, sparql: Store | None) -> list[Figure]:
    base_store, base_quads, base_seconds = bulk_build(tmp / "bulk-baseline", ex, n)
    del base_store
    baseline = f"pyoxigraph bulk_load of the same quads as N-Quads ({base_quads} quads)"
    kg_store = OxigraphStore(tmp / "kg-writes")
    stores: list[Store] = [kg_store] + ([sparql] if sparql is not None else [])
    quads, seconds = kg_write(stores, ex, n)
    kg_store.close()
    figures = [throughput(f"store load, embedded, {n} article writes", quads / seconds[0], "quads/s",
                          baseline, base_quads / base_seconds)]
    if sparql is not None:
        figures.append(throughput(f"store load, Virtuoso, {n} article writes", quads / seconds[1], "quads/s",
                                  baseline, base_quads / base_seconds))
        many = getattr(sparql, "replace_graphs", None)
        if many is not None:
            quads, batched = kg_write_batched(many, ex, n, 16)
            figures.append(throughput(f"store load, Virtuoso, {n} article writes, 16 per request", quads / batched,
                                      "quads/s", baseline, base_quads / base_seconds))
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
    """Realistic values for a named query's required parameters (and a place and an actor where optional)."""
    doc = ex.templates[0].doc
    values = {}
    for param in query.params:
        if param.type == "string":
            value = {"actor": "Russia", "deployer": "Russia", "claimant": "Zelensky"}.get(param.name, "Kursk")
        elif param.type == "iri":
            value = {
                "graph": str(ns.article_graph(doc)),
                "article": str(ns.article_iri(doc)),
                "certainty": "https://w3id.org/kg/ontology#asserted",
            }.get(param.name, str(ns.entity_iri("russia")))
        elif param.type == "integer":
            value = "1000"
        else:
            value = "2024-01-01"
        if param.required or param.name in ("location",):
            values[param.name] = value
    return values


def _timed(fn: Callable[[], Any]) -> float:
    began = time.perf_counter()
    fn()
    return time.perf_counter() - began


def time_pair(kg_fn: Callable[[], Any], bare_fn: Callable[[], Any]) -> tuple[list[float], list[float]]:
    """Latencies of kg and of the bare store, interleaved so that noise hits both alike."""
    first_kg, first_bare = _timed(kg_fn), _timed(bare_fn)  # warm-up, also decides how many runs fit
    if max(first_kg, first_bare) > SLOW / 2:
        return [first_kg], [first_bare]
    kg_times: list[float] = []
    bare_times: list[float] = []
    spent = 0.0
    while len(kg_times) < REPS and (spent < BUDGET or len(kg_times) < 2):
        kg_times.append(_timed(kg_fn))
        bare_times.append(_timed(bare_fn))
        spent += kg_times[-1] + bare_times[-1]
    return kg_times, bare_times


def pct(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def _kind(text: str) -> str:
    body = re.sub(r"(?m)^\s*(#.*|PREFIX\s+\S+\s+<[^>]*>)\s*$", "", text)
    return "construct" if re.match(r"\s*(CONSTRUCT|DESCRIBE)\b", body, re.IGNORECASE) else "select"


def _open(spec: tuple[str, ...]) -> tuple[Store, Callable[[str, str], Callable[[], Any]]]:
    """kg's store and the bare-store runner for a backend spec: ("oxigraph", path) or ("sparql", url)."""
    if spec[0] == "oxigraph":
        kg_store = OxigraphStore(spec[1], read_only=True)
        raw = kg_store._store
        return kg_store, lambda text, kind: (lambda: list(raw.query(text, use_default_graph_as_union=True)))
    from kg.store.sparql import SparqlStore

    sparql = SparqlStore(spec[1], timeout=QUERY_TIMEOUT * 2)
    client = httpx.Client(timeout=QUERY_TIMEOUT * 2)

    def bare(text: str, kind: str) -> Callable[[], Any]:
        accept = "application/n-triples" if kind == "construct" else "application/sparql-results+json"

        def run() -> Any:
            response = client.get(spec[1], params={"query": text}, headers={"Accept": accept})
            response.raise_for_status()
            return response.content if kind == "construct" else response.json()

        return run

    return sparql, bare


def _query_worker(spec: tuple[str, ...], tasks: Any, results: Any) -> None:
    """Run in a child process, so that a query that does not finish in time can be stopped by killing it."""
    store, bare = _open(spec)
    queries = load_queries()
    while True:
        task = tasks.get()
        if task is None:
            return
        name, values = task
        query = queries[name]
        bindings = query.bind(values)
        kind = _kind(query.text)
        text = bind_values(query.text, bindings)

        def kg_fn(q: NamedQuery = query, b: dict[str, Identifier] = bindings, k: str = kind) -> Any:
            return store.construct(q.text, b) if k == "construct" else store.select(q.text, b)

        try:
            results.put((name, *time_pair(kg_fn, bare(text, kind)), ""))
        except Exception as exc:  # a query this backend cannot run is a finding, not a crash of the bench
            results.put((name, [], [], f"{type(exc).__name__}: {str(exc)[:200]}"))


#: What the query benchmarks could not measure, for the notes of the report.
MESSAGES: list[str] = []
QUERY_TIMEOUT = 12.0  # seconds for all runs of one query (kg and bare); beyond: stopped, too slow


def query_figures(
    label: str,
    size: int,
    spec: tuple[str, ...],
    bare_name: str,
    ex: Extractions,
    log: Callable[[str], None],
    skip: set[str],
    deadline: float,
    order: dict[str, float] | None = None,
) -> list[Figure]:
    """p50 and p95 of each named query through kg and through the bare store; a query that takes longer than
    ``QUERY_TIMEOUT`` is stopped, logged and added to ``skip`` (not run at larger sizes)."""
    import multiprocessing
    import queue as queue_mod

    context = multiprocessing.get_context("spawn")
    figures: list[Figure] = []
    worker = None
    tasks: Any = None
    results: Any = None
    try:
        # quickest first (by ``order``: latencies seen on another backend), so a tight budget loses the slow ones
        queries = sorted(load_queries().values(), key=lambda q: (order or {}).get(q.name, float("inf")))
        for query in queries:
            if query.name in skip:
                continue
            if time.monotonic() > deadline:
                MESSAGES.append(f"{label}, {size} articles: {query.name} not measured, time budget spent")
                log(f"  {MESSAGES[-1]}")
                skip.add(query.name)
                continue
            if worker is None:
                tasks, results = context.Queue(), context.Queue()
                worker = context.Process(target=_query_worker, args=(spec, tasks, results), daemon=True)
                worker.start()
            tasks.put((query.name, params_for(query, ex)))
            try:
                name, kg_times, bare_times, error = results.get(timeout=QUERY_TIMEOUT)
            except queue_mod.Empty:
                MESSAGES.append(f"{label}, {size} articles: {query.name} took over {QUERY_TIMEOUT:.0f}s (kg and bare "
                                f"store together): stopped, not run at larger sizes")
                log(f"  {MESSAGES[-1]}")
                skip.add(query.name)
                worker.kill()
                worker.join()
                worker = None
                continue
            if error:
                MESSAGES.append(f"{label}, {size} articles: {name} failed: {error}")
                log(f"  {MESSAGES[-1]}")
                continue
            for q in (50, 95):
                figures.append(cost(f"query {name} p{q}, {label}, {size} articles", pct(kg_times, q), "s",
                                    f"bare {bare_name}, same SPARQL", pct(bare_times, q)))
            if max(kg_times) > SLOW / 10:
                skip.add(name)  # ten times the articles would not fit in the time allowed
    finally:
        if worker is not None:
            tasks.put(None)
            worker.join(timeout=10)
            if worker.is_alive():
                worker.kill()
    return figures
