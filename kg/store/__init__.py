"""Stores: the embedded pyoxigraph default and a remote SPARQL 1.1 server, behind one ``Store`` protocol."""

from __future__ import annotations

from pathlib import Path

from kg.settings import current
from kg.store.base import RawResult, Row, Store, bind_values

DEFAULT_STORE = "./data/store"

__all__ = ["DEFAULT_STORE", "RawResult", "Row", "Store", "bind_values", "open_store"]


def open_store(spec: str | Path | None = None, *, read_only: bool = False, create: bool = True) -> Store:
    """Open the store named by ``spec``, else ``$KG_STORE``, else ``./data/store``.

    A path means the embedded pyoxigraph store; an ``http(s)://`` URL is a SPARQL 1.1 query endpoint, with
    the update endpoint and credentials from ``KG_STORE_UPDATE_URL``, ``KG_STORE_USER`` and
    ``KG_STORE_PASSWORD`` (``kg.settings``).

    :param create: make an empty embedded store where the path holds none.  Commands that only read pass
        False (and so does ``read_only``): a mistyped path is then an error, not an empty store that
        answers zero to every question.
    :raises StoreUnavailable: no store at the path (``create`` False), the store is in use by another
        process (named where the system says), or it is damaged; one line each, see ``kg.store.diagnose``.
    """
    target = str(spec or current().store or DEFAULT_STORE)
    if target.startswith(("http://", "https://")):
        from kg.store.sparql import SparqlStore

        return SparqlStore.from_env(target)
    from kg.store.oxigraph import OxigraphStore

    if target == ":memory:":
        return OxigraphStore(None)
    if read_only or not create:
        from kg.errors import StoreUnavailable
        from kg.store.diagnose import is_store, not_a_store

        if not is_store(Path(target)):
            raise StoreUnavailable(not_a_store(Path(target)))
    return OxigraphStore(target, read_only=read_only)
