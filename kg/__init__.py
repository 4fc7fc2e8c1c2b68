"""kg: a knowledge graph of armed conflicts from news articles.

The public API: read articles (``load_path``, ``parse_document``), extract (``extract``), store
(``open_store``, ``ingest``) and query (``run_named``).  Every error kg raises is a ``KgError``.
"""

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

__version__ = "0.1.0"

__all__ = [
    "ExtractionError",
    "InputError",
    "KgError",
    "NotFound",
    "QueryError",
    "ShapeViolation",
    "StoreError",
    "StoreUnavailable",
    "__version__",
]
