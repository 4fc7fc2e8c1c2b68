"""The embedded default: an on-disk Oxigraph store (pyoxigraph), no server to run.

Each article write is one pyoxigraph transaction ("either the full operation succeeds, or nothing is
written"), so a crash leaves the article wholly stored or absent: a new article is one ``Store.load`` of
TriG (its graph and the entity triples together, each graph's N-Triples inside its braces), an article
already stored one SPARQL Update (``DROP SILENT GRAPH`` then ``INSERT DATA``).  ``load`` is the cheaper of
the two (about 2.2 times ``bulk_load``'s CPU time per quad, against 3.9 for the update, whose text pyoxigraph
parses as SPARQL and whose ``DROP`` costs even for an absent graph); which one is chosen under a lock, so two
threads writing the same new article cannot both take ``load`` and merge.  Most of ``load``'s cost is
pyoxigraph's transaction itself (for each quad a locked read of the index, six index writes and a read of the
string table per term), which nothing on this side of its API avoids: loading 16 articles in one ``load``,
N-Triples with ``to_graph`` or ``Store.extend`` of parsed quads all cost the same within the noise.
``bulk_load`` is faster still but not atomic: it is used only by ``rebuild``-style tooling, never for
per-article writes.

RocksDB allows one writing process per directory: a second ``kg ingest`` on the same path fails with a
clear ``StoreUnavailable``; groups that ingest from several processes use the SPARQL server backend.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Identifier

from kg.errors import QueryError, StoreError, StoreUnavailable
from kg.ns import ENTITY_GRAPH
from kg.store.base import Binding, RawResult, Row, bind_values
from kg.store.ntriples import ntriples

log = logging.getLogger(__name__)

_RESULT_TYPES = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
_RDF_TYPES = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "application/trig": ox.RdfFormat.TRIG,
}


def to_rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | ox.DefaultGraph) -> Identifier:
    """One pyoxigraph term as the equivalent rdflib term."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    raise StoreError(f"unsupported term in a result: {term!r}")


def _as_trig(ntriples: str, graph: URIRef, entities: str = "") -> bytes:
    r"""N-Triples ``ntriples`` in ``graph`` and ``entities`` in the entity graph, as one TriG document (N-Triples
    lines are TriG, inside a graph's braces): the graph is named once, not on each line as N-Quads would
    name it, and the text is not rewritten line by line.

    >>> _as_trig('<s> <p> "a } b" .\n', URIRef("http://g")).decode()
    '<http://g> {\n<s> <p> "a } b" .\n}\n'
    """
    text = f"<{graph}> {{\n{ntriples}}}\n"
    if entities:
        text += f"<{ENTITY_GRAPH}> {{\n{entities}}}\n"
    return text.encode("utf-8")


class OxigraphStore:
    """An on-disk (``path``) or in-memory (``path=None``) pyoxigraph store."""

    reads_claims_one_by_one = True  # one index seek per claim (kg.store.base.Store)

    def __init__(self, path: str | Path | None = None, *, read_only: bool = False) -> None:
        self.path = Path(path) if path is not None else None
        try:
            if self.path is None:
                self._store = ox.Store()
            elif read_only:
                self._store = ox.Store.read_only(str(self.path))
            else:
                self.path.mkdir(parents=True, exist_ok=True)
                self._store = ox.Store(str(self.path))
        except (OSError, RuntimeError) as exc:  # RuntimeError: RocksDB's "Corruption: ..."
            from kg.store.diagnose import open_error

            raise StoreUnavailable(open_error(self.path or Path(), exc)) from exc
        self._write_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"OxigraphStore({str(self.path) if self.path else 'memory'!r})"

    # writes ----------------------------------------------------------------------------------------
    def replace_graph(self, graph: URIRef, triples: Graph, entities: Graph | None = None) -> None:
        body = ntriples(triples)
        ents = ntriples(entities) if entities is not None and len(entities) else ""
        try:
            with self._write_lock:
                if self._store.contains_named_graph(ox.NamedNode(str(graph))):
                    parts = [f"DROP SILENT GRAPH <{graph}> ;", f"INSERT DATA {{ GRAPH <{graph}> {{\n{body}\n}}"]
                    if ents:
                        parts.append(f"GRAPH <{ENTITY_GRAPH}> {{\n{ents}\n}}")
                    parts.append("}")
                    self._store.update("\n".join(parts))
                else:
                    # lenient: the text is kg's own N-Triples (kg.store.ntriples), whose IRIs rdflib checked
                    # as it wrote them; oxigraph's second check of every IRI cost 8% of the load
                    self._store.load(_as_trig(body, graph, ents), format=ox.RdfFormat.TRIG, lenient=True)
        except (OSError, SyntaxError, ValueError) as exc:
            raise StoreError(f"writing {graph} failed, nothing was written: {exc}") from exc

    def drop_graph(self, graph: URIRef) -> bool:
        node = ox.NamedNode(str(graph))
        if not self._store.contains_named_graph(node):
            return False
        self._store.update(f"DROP GRAPH <{graph}>")
        return True

    def update(self, sparql: str) -> None:
        try:
            self._store.update(sparql)
        except SyntaxError as exc:
            raise QueryError(str(exc)) from exc
        except OSError as exc:
            raise StoreError(str(exc)) from exc

    # reads -----------------------------------------------------------------------------------------
    def graphs(self) -> list[URIRef]:
        return [URIRef(g.value) for g in self._store.named_graphs() if isinstance(g, ox.NamedNode)]

    def _run(self, sparql: str, **kwargs: object) -> object:
        try:
            return self._store.query(sparql, use_default_graph_as_union=True, **kwargs)  # type: ignore[arg-type]
        except SyntaxError as exc:
            raise QueryError(str(exc)) from exc
        except OSError as exc:
            raise StoreError(str(exc)) from exc

    def _bound(self, sparql: str, bindings: Binding | None) -> object:
        """Run ``sparql`` with ``bindings``: IRIs the query projects are substituted by pyoxigraph itself.

        Why: pyoxigraph plans a query before it sees a ``VALUES`` block's rows, so an article page read
        through ``GRAPH ?graph {...}`` with ``?graph`` bound by ``VALUES`` scanned every graph (11 s at 1,000
        articles); substituted (SPARQL-dev SEP-0007, the same meaning as a ``VALUES`` row first in the
        query), it is an index lookup (0.02 s).  pyoxigraph substitutes only projected variables; any other
        binding, and every literal, goes through ``bind_values`` as on every backend.
        """
        if bindings and all(isinstance(v, URIRef) for v in bindings.values()):
            try:
                subs = {ox.Variable(k): ox.NamedNode(str(v)) for k, v in bindings.items()}
                return self._run(sparql, substitutions=subs)
            except (RuntimeError, ValueError):
                pass  # not all projected, or not a valid IRI (bind_values says which): bind by VALUES
        return self._run(bind_values(sparql, bindings))

    def select(self, sparql: str, bindings: Binding | None = None) -> list[Row]:
        result = self._bound(sparql, bindings)
        if not isinstance(result, ox.QuerySolutions):
            raise QueryError("expected a SELECT query")
        names = [v.value for v in result.variables]
        rows: list[Row] = []
        for solution in result:
            row: Row = {}
            for name in names:
                value = solution[name]
                if value is not None:
                    row[name] = to_rdflib(value)
            rows.append(row)
        return rows

    def ask(self, sparql: str, bindings: Binding | None = None) -> bool:
        result = self._bound(sparql, bindings)
        if not isinstance(result, ox.QueryBoolean):
            raise QueryError("expected an ASK query")
        return bool(result)

    def construct(self, sparql: str, bindings: Binding | None = None) -> Graph:
        result = self._bound(sparql, bindings)
        if not isinstance(result, ox.QueryTriples):
            raise QueryError("expected a CONSTRUCT or DESCRIBE query")
        graph = Graph()
        for triple in result:
            graph.add((to_rdflib(triple.subject), to_rdflib(triple.predicate), to_rdflib(triple.object)))
        return graph

    def query_raw(
        self,
        sparql: str,
        media_type: str,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        timeout: float | None = None,
    ) -> RawResult:
        """``timeout`` is not enforced here: pyoxigraph cannot stop a query from Python (oxigraph issue #1926);
        the service runs researchers' queries on a ``snapshot`` in a worker it kills at the limit."""
        kwargs: dict[str, object] = {}
        if default_graph_uris:
            kwargs["default_graph"] = [ox.NamedNode(u) for u in default_graph_uris]
        if named_graph_uris:
            kwargs["named_graphs"] = [ox.NamedNode(u) for u in named_graph_uris]
        try:
            if default_graph_uris:
                result = self._store.query(sparql, **kwargs)  # type: ignore[arg-type]
            else:
                result = self._store.query(sparql, use_default_graph_as_union=True, **kwargs)  # type: ignore[arg-type]
        except SyntaxError as exc:
            raise QueryError(str(exc)) from exc
        except (OSError, ValueError) as exc:
            raise QueryError(str(exc)) from exc
        if isinstance(result, ox.QueryTriples):
            fmt = _RDF_TYPES.get(media_type)
            if fmt is None:
                raise QueryError(f"cannot serialise a graph as {media_type}")
            return RawResult(result.serialize(format=fmt) or b"", media_type)
        results_fmt = _RESULT_TYPES.get(media_type)
        if results_fmt is None:
            raise QueryError(f"cannot serialise query results as {media_type}")
        return RawResult(result.serialize(format=results_fmt) or b"", media_type)

    def quad_count(self, graph: URIRef | None = None) -> int:
        if graph is None:
            return len(self._store)
        rows = self._store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        assert isinstance(rows, ox.QuerySolutions)
        return int(next(iter(rows))["n"].value)  # type: ignore[union-attr]

    def dump(self, media_type: str, output: BinaryIO | None = None) -> bytes:
        fmt = {"application/trig": ox.RdfFormat.TRIG, "application/n-quads": ox.RdfFormat.N_QUADS}.get(media_type)
        if fmt is None:
            raise StoreError(f"a dataset dump is TriG or N-Quads, not {media_type}")
        if output is not None:  # pyoxigraph writes as it reads
            self._store.dump(output, format=fmt)
            return b""
        return self._store.dump(format=fmt) or b""

    def flush(self) -> None:
        self._store.flush()

    # read views for other processes (kg.store.base.Store.snapshot) -----------------------------------
    def version(self) -> frozenset[tuple[str, int, int]] | None:
        """The names, sizes and times of the store folder's write-ahead logs and manifest: every committed
        write changes one of them, whichever process made it.  None in memory (no snapshot to give)."""
        if self.path is None:
            return None
        found = set()
        for entry in self.path.iterdir():
            if entry.name.endswith(".log") or entry.name.startswith(("MANIFEST", "CURRENT")):
                try:
                    info = entry.stat()
                except FileNotFoundError:  # rotated away while listed
                    continue
                found.add((entry.name, info.st_size, info.st_mtime_ns))
        return frozenset(found)

    def snapshot(self, target: Path) -> bool:
        """A RocksDB checkpoint (``pyoxigraph.Store.backup``): hard links to the immutable table files where
        ``target`` is on the store's file system, else a copy; consistent and cheap.  pyoxigraph calls
        opening the live store read-only while another process writes "undefined behaviour" (and it was seen
        to fail), so other processes read a snapshot instead."""
        if self.path is None:
            return False
        try:
            self._store.backup(str(target))
        except OSError as exc:
            raise StoreError(f"cannot snapshot the store: {exc}") from exc
        return True

    def close(self) -> None:
        # pyoxigraph closes RocksDB when the object is garbage-collected; dropping the reference is the API.
        del self._store
