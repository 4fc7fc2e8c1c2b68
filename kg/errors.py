"""The exception hierarchy of kg.  Every error about input carries the document it concerns, so that one bad
article in a batch of thousands can be found and fixed; the API maps each class to one status code."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kg.model import Report


class KgError(Exception):
    """Catch-all for errors raised by kg."""


class InputError(KgError):
    """An article that cannot be read: bad JSON, no or empty text, undecodable bytes, too large."""

    def __init__(self, doc: str, message: str) -> None:
        super().__init__(f"{doc}: {message}")
        self.doc = doc
        self.message = message


class ExtractionError(KgError):
    """An extractor failed on this article."""

    def __init__(self, doc: str, message: str) -> None:
        super().__init__(f"{doc}: extraction failed: {message}")
        self.doc = doc
        self.message = message


class ShapeViolation(KgError):
    """The article's graph violates the SHACL shapes; it was not stored."""

    def __init__(self, report: Report) -> None:
        messages = "; ".join(v.message for v in report.violations) or "shape violation"
        super().__init__(f"{report.doc}: rejected by SHACL: {messages}")
        self.report = report


class StoreError(KgError):
    """The store failed; carries the backend's or server's own message."""


class StoreUnavailable(StoreError):
    """The store cannot be reached, or did not answer in time."""


class QueryError(KgError):
    """Malformed SPARQL, an unknown named query, or a missing or undeclared parameter."""


class QueryRefused(QueryError):
    """A query the public endpoint does not run: an update, LOAD or SERVICE."""


class QueryTimeout(QueryError):
    """A query ran past the configured time limit and was stopped."""


class NotFound(KgError):
    """An entity, article or named query that does not exist."""
