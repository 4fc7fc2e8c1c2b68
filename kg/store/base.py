"""The one store interface kg is written against; everything above it runs unchanged on every backend.

Two guarantees matter to researchers and are part of the contract, tested on every backend in
``tests/test_store.py``:

* ``replace_graph`` is all or nothing: after a crash an article is either wholly stored or absent, so
  re-ingesting is idempotent and a half-written article is never left behind (a query running *while* it is
  committed sees all or nothing of it on the embedded store; Virtuoso 7.2 has no snapshot reads and can show
  part of a commit in progress: ``kg.store.sparql``, "Isolation");
* the default graph of ``select``/``construct``/``query_raw`` is the union of all graphs (the article graphs
  and the entity graph), so a researcher's query needs no ``GRAPH`` clause.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

from rdflib import Graph
from rdflib.term import Identifier, Literal, URIRef, Variable

from kg.errors import QueryError
from kg.sparql_tokens import spans

Binding = Mapping[str, Identifier]
Row = dict[str, Identifier]


@dataclass(frozen=True)
class RawResult:
    """A query answer already serialised by the backend, for the SPARQL protocol endpoint."""

    body: bytes
    media_type: str


@runtime_checkable
class Store(Protocol):
    """What kg needs of a quad store."""

    #: Whether the store reads each claim's date by an index lookup of its own, so that a page of an entity's
    #: claims in date order is cheaper through its first days (``kg.queries.DayPath``): pyoxigraph seeks once
    #: per claim (Russia's page at 100,000 articles took 12.8 s, the store bigger than memory); Virtuoso sorts
    #: the dates from its column-wise indexes faster than it answers the day path's two requests.
    reads_claims_one_by_one: bool

    def replace_graph(self, graph: URIRef, triples: Graph, entities: Graph | None = None) -> None:
        """Atomically replace named graph ``graph`` with ``triples`` and add ``entities`` to the shared entity
        graph (adding only: entity triples are the same whoever writes them, so concurrent writers agree).

        :raises StoreError: nothing was written.
        """
        ...

    def drop_graph(self, graph: URIRef) -> bool:
        """Remove one named graph; True if it existed."""
        ...

    def graphs(self) -> list[URIRef]:
        """All named graphs in the store."""
        ...

    def select(self, sparql: str, bindings: Binding | None = None) -> list[Row]:
        """Run a SELECT over the union default graph with ``bindings`` substituted as values (never spliced
        into the text); unbound variables are absent from a row."""
        ...

    def ask(self, sparql: str, bindings: Binding | None = None) -> bool: ...

    def construct(self, sparql: str, bindings: Binding | None = None) -> Graph:
        """Run a CONSTRUCT or DESCRIBE and return the triples."""
        ...

    def query_raw(
        self,
        sparql: str,
        media_type: str,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        timeout: float | None = None,
    ) -> RawResult:
        """Run a researcher's query and serialise the answer as ``media_type`` (a SPARQL results or RDF type).

        ``timeout``: seconds the query may run (None: the store's own default).  A store that can stop a query
        stops it there and raises ``QueryTimeout`` (a SPARQL server, which is sent the limit).  The embedded
        store cannot interrupt a query running in its own process (oxigraph issue #1926): a hard limit there
        runs the query on a ``snapshot`` in a process that can be killed (``kg.api.runner``).
        """
        ...

    def version(self) -> Hashable | None:
        """A token that changes whenever the stored data may have changed, by this process or another (equal
        tokens: the same data, so a ``snapshot`` taken at the first still holds), or None when the store has
        no ``snapshot`` to give."""
        ...

    def snapshot(self, target: Path) -> bool:
        """Write a consistent read-only copy of the store to the new folder ``target``, for queries run in
        other processes while this one goes on writing: every query on it sees all of a committed article or
        none of it, and writes never wait for it.  The copy opens with ``kg.store.open_store(target,
        read_only=True)``.  False, and nothing written, where the store has no such copy to give (held in
        memory, it cannot be shared; a SPARQL server is shared already and answers each query itself).

        :raises StoreError: the copy failed.
        """
        ...

    def update(self, sparql: str) -> None:
        """Run a SPARQL Update (maintenance only: the public endpoint never reaches this)."""
        ...

    def quad_count(self, graph: URIRef | None = None) -> int: ...

    def dump(self, media_type: str, output: BinaryIO | None = None) -> bytes:
        """The whole dataset as TriG or N-Quads; written to ``output`` as it is read (a graph at a time, never
        the whole dataset in memory) when one is given, and then ``b""`` is returned."""
        ...

    def close(self) -> None: ...


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def bind_values(sparql: str, bindings: Binding | None) -> str:
    r"""Bind variables by a ``VALUES`` block placed first in the group of the query's first ``WHERE``
    keyword, each value an RDF term serialised by rdflib: a string carrying quotes, braces or SPARQL keywords
    stays inside its literal.

    It goes first in the group, not after the query, because a trailing ``VALUES`` is joined only after the
    ``WHERE`` pattern's filters have run, so a ``FILTER`` on a parameter would see it unbound.  One mechanism
    for every backend (Virtuoso has no pre-binding), applied to kg's own query texts only.

    The first ``WHERE`` is usually the outermost group's.  A query that must resolve a name before anything
    else (pyoxigraph joins in the order written, and a sub-select cannot see the outer group's ``VALUES``)
    leaves the optional keyword out of its outer group, so the first ``WHERE`` is that of the sub-select
    that resolves the name (``queries/troops-by-location.rq``).  The keyword is found by tokenising, so a
    ``WHERE {`` in a comment, a literal or an IRI is not it.

    >>> bind_values("SELECT * WHERE { ?s ?p ?o }", {"o": Literal('x" } DROP ALL #')})
    'SELECT * WHERE { VALUES (?o) { ("x\\" } DROP ALL #") }\n ?s ?p ?o }'
    >>> bind_values("# not here: WHERE {\nSELECT * { { SELECT ?s WHERE { ?s ?p ?o } } }", {"o": URIRef("http://x/o")})
    '# not here: WHERE {\nSELECT * { { SELECT ?s WHERE { VALUES (?o) { (<http://x/o>) }\n ?s ?p ?o } } }'
    """
    if not bindings:
        return sparql
    at = _first_where_group(sparql)
    if at is None:
        raise QueryError("a query with parameters needs a WHERE clause to bind them in")
    names = " ".join(Variable(k).n3() for k in bindings)
    values = " ".join(_term_n3(v) for v in bindings.values())
    return f"{sparql[:at]} VALUES ({names}) {{ ({values}) }}\n{sparql[at:]}"


def bind_rows(sparql: str, names: Sequence[str], rows: Sequence[Sequence[Identifier]]) -> str:
    """``bind_values`` for many rows at once: one ``VALUES`` block of ``rows`` first in the same group, so a
    question about a whole batch (``kg ingest``'s check of which articles are unchanged) is one request, not
    one per row.  No rows binds nothing and the query answers nothing.

    >>> bind_rows("SELECT * WHERE { ?s ?p ?o }", ["s"], [[URIRef("http://x/a")], [URIRef("http://x/b")]])
    'SELECT * WHERE { VALUES (?s) { (<http://x/a>) (<http://x/b>) }\\n ?s ?p ?o }'
    """
    at = _first_where_group(sparql)
    if at is None:
        raise QueryError("a query with parameters needs a WHERE clause to bind them in")
    if any(len(row) != len(names) for row in rows):
        raise QueryError(f"each row binds {len(names)} values")
    header = " ".join(Variable(k).n3() for k in names)
    body = " ".join("(" + " ".join(_term_n3(v) for v in row) + ")" for row in rows)
    return f"{sparql[:at]} VALUES ({header}) {{ {body} }}\n{sparql[at:]}"


def _first_where_group(sparql: str) -> int | None:
    """The offset just after the ``{`` that opens the first ``WHERE`` keyword's group."""
    after_where = False
    for token, _, end in spans(sparql):
        if after_where and token.text == "{":
            return end
        after_where = token.kind == "word" and token.text.upper() == "WHERE"
    return None


def _term_n3(term: Identifier) -> str:
    if isinstance(term, URIRef):
        # rdflib refuses IRIs with characters that would break out of <...>; a URIRef built from user
        # input must therefore be checked here rather than trusted.
        if any(ch in str(term) for ch in '<>"{}|^`\\ \n\r\t'):
            raise QueryError(f"not a valid IRI: {str(term)!r}")
        return f"<{term}>"
    if isinstance(term, Literal):
        # Control characters as SPARQL codepoint escapes: a raw NUL ends the string for Virtuoso's parser.
        return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04X}", term.n3())
    raise QueryError(f"cannot bind {type(term).__name__} as a query value")
