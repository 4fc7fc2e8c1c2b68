"""kg: a knowledge graph of armed conflicts from news articles.

The public API, for notebooks and scripts: read articles (``load_path``, ``parse_document``), extract
(``extract``), store (``open_store``, ``ingest``) and query (``run_named``, ``query``); query answers are
``QueryResult`` rows with ``.to_dataframe()`` (pandas: ``pip install 'kg[notebook]'``).  Every error kg
raises is a ``KgError``.

>>> import kg
>>> store = kg.open_store(":memory:")
>>> kg.run_named(store, "stats").to_dataframe()["articles"].tolist()
[0]

The names are imported on first use, so ``import kg`` loads neither spaCy nor a store.  ``kg.ingest`` and
``kg.extract`` are also the subpackages of those names (``kg.extract.extract_one``...): calling one calls
the function of ``kg.notebook``.
"""

from __future__ import annotations

import sys
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any

from kg.errors import (
    ExtractionError,
    InputError,
    KgError,
    NotFound,
    QueryError,
    ShapeViolation,
    StoreError,
    StoreUnavailable,
)

if TYPE_CHECKING:
    from kg.load import load_path, parse_document
    from kg.notebook import QueryResult, extract, ingest, open_store, query, run_named

__version__ = "0.1.0"

_LAZY = {
    "QueryResult": "kg.notebook",
    "open_store": "kg.notebook",
    "query": "kg.notebook",
    "run_named": "kg.notebook",
    "load_path": "kg.load",
    "parse_document": "kg.load",
}

__all__ = [
    "ExtractionError",
    "InputError",
    "KgError",
    "NotFound",
    "QueryError",
    "QueryResult",
    "ShapeViolation",
    "StoreError",
    "StoreUnavailable",
    "__version__",
    "extract",
    "ingest",
    "load_path",
    "open_store",
    "parse_document",
    "query",
    "run_named",
]


_CALLABLE_SUBMODULES = ("ingest", "extract")


class _CallableModule(ModuleType):
    """A submodule that is also the notebook function of its name: ``kg.ingest(store, "seeds/")`` and
    ``kg.ingest.build_graphs`` both work, whichever was imported first."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return getattr(import_module("kg.notebook"), self.__name__.rpartition(".")[2])(*args, **kwargs)


class _Package(ModuleType):
    """kg itself: when the import system binds the ``kg.ingest`` or ``kg.extract`` submodule here, it
    becomes callable (:class:`_CallableModule`)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _CALLABLE_SUBMODULES and type(value) is ModuleType:
            value.__class__ = _CallableModule
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> Any:
    """The public functions, imported from their modules when first asked for (PEP 562)."""
    if name in _CALLABLE_SUBMODULES:
        return import_module(f"kg.{name}")
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'kg' has no attribute {name!r}")
