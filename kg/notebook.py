"""kg from Python, for notebooks and scripts: open a store, ingest files, run named queries, extract without
storing; query answers are :class:`QueryResult` lists of plain-value rows that become pandas DataFrames.

``import kg`` exposes these (lazily: importing kg loads neither spaCy nor a store)::

    import kg
    store = kg.open_store("data/store")
    kg.ingest(store, "seeds/")
    df = kg.run_named(store, "deployments", deployer="North Korea").to_dataframe()
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from rdflib import Literal

from kg.errors import KgError
from kg.model import Article, Extraction
from kg.queries import NamedQuery, parse_query_file
from kg.queries import get_query as _get_query
from kg.store import Store
from kg.store import open_store as _open_store
from kg.store.base import Row

__all__ = ["QueryResult", "extract", "ingest", "open_store", "query", "run_named"]


class QueryResult(list[dict[str, Any]]):
    """The rows of a query, each a dict of plain Python values (``int``, ``float``, ``bool``,
    ``datetime.date``, ``str``; IRIs as strings), and the columns in query order.

    >>> r = QueryResult([{"a": 1}], columns=["a", "b"])
    >>> r.columns, r[0]
    (['a', 'b'], {'a': 1})
    """

    def __init__(self, rows: Iterable[dict[str, Any]] = (), columns: Iterable[str] = ()) -> None:
        super().__init__(rows)
        self.columns = list(columns) or list(dict.fromkeys(k for row in self for k in row))

    @classmethod
    def from_rows(cls, rows: list[Row], columns: Iterable[str] = ()) -> QueryResult:
        """Plain values from a store's rows of RDF terms."""
        return cls(({k: _plain(v) for k, v in row.items()} for row in rows), columns)

    def to_dataframe(self) -> Any:
        """A pandas ``DataFrame``, one column per query variable (absent values as missing), date columns as
        ``datetime64``.  Needs pandas: ``pip install 'kg[notebook]'``.

        :raises KgError: pandas is not installed.
        """
        try:
            import pandas as pd
        except ImportError:
            raise KgError("to_dataframe() needs pandas: pip install 'kg[notebook]'") from None
        frame = pd.DataFrame(list(self), columns=self.columns)
        for column in self.columns:
            values = [v for v in frame[column] if v is not None and v == v]  # v == v: not NaN
            if values and all(isinstance(v, dt.date) for v in values):
                frame[column] = pd.to_datetime(frame[column])
        return frame


def _plain(term: Any) -> Any:
    if isinstance(term, Literal):
        value = term.toPython()
        return value if isinstance(value, bool | int | float | dt.date) else str(term)
    return None if term is None else str(term)


def open_store(spec: str | Path | None = None, **options: Any) -> Store:
    """The store at ``spec``: a folder (the embedded store), an ``http(s)://`` SPARQL endpoint, or
    ``":memory:"``; default ``$KG_STORE``, else ``./data/store``.  ``options`` go to ``kg.store.open_store``.
    Close it (``store.close()``) when done: an embedded store locks its folder."""
    return _open_store(spec, **options)


def _articles(sources: Iterable[str | Path | Article]) -> Iterator[Any]:
    from kg.load import iter_paths, load_path

    for source in sources:
        if isinstance(source, Article):
            yield source
        else:
            for path in iter_paths([Path(source)]):
                yield from load_path(path)


def ingest(store: Store, *sources: str | Path | Article, n_process: int = 1) -> list[Any]:
    """Extract, validate and store articles from files, folders or ``Article`` objects; one
    ``kg.ingest.Outcome`` per document (``.ok``, ``.status``, ``.message``).  A bad document is an outcome,
    not an exception, so one bad file never stops the rest."""
    from kg.ingest import ingest as _ingest

    return list(_ingest(store, _articles(sources), n_process=n_process))


def extract(*sources: str | Path | Article) -> list[Extraction]:
    """Extract without storing: one ``Extraction`` (``.claims``, ``.entities``) per readable article of
    the files, folders or ``Article`` objects given.

    :raises InputError: a document cannot be read as an article.
    """
    from kg.errors import InputError
    from kg.extract import extract as _extract

    articles = []
    for item in _articles(sources):
        if isinstance(item, InputError):
            raise item
        articles.append(item)
    return list(_extract(articles))


def run_named(store: Store, name: str | Path | NamedQuery, **params: Any) -> QueryResult:
    """Run a named query (its name, a ``.rq`` file or a ``NamedQuery``) with its parameters as keyword
    arguments (values are checked and bound as typed RDF terms, never pasted into SPARQL).

    :raises NotFound: no query of that name.
    :raises QueryError: an unknown, missing or mistyped parameter.
    """
    if isinstance(name, Path):
        query_ = parse_query_file(name)
    elif isinstance(name, str):
        query_ = _get_query(name)
    else:
        query_ = name
    bound = query_.bind({k: str(v) if not isinstance(v, str) else v for k, v in params.items() if v is not None})
    return QueryResult.from_rows(store.select(query_.text, bound), _projected(query_.text))


def query(store: Store, sparql: str) -> QueryResult:
    """Run a SPARQL SELECT query of your own (read-only use; the store's default graph is the union)."""
    return QueryResult.from_rows(store.select(sparql), _projected(sparql))


def _projected(sparql: str) -> list[str]:
    """The variables a SELECT projects, in order (for the DataFrame's columns even when no row binds one);
    empty for ``SELECT *`` or when the query cannot be parsed here."""
    try:
        from rdflib.plugins.sparql import prepareQuery

        return [str(v) for v in prepareQuery(sparql).algebra.get("PV") or []]
    except Exception:  # the store is the judge of the query; here only the column order is at stake
        return []
