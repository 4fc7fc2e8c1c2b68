"""Reading articles: plain text, JSON with metadata (one object, a list, or JSON Lines) and HTML.

Every problem with a document becomes an ``InputError`` naming the document (file, and line for JSON
Lines), so a batch can report it and go on.  The article id is stable across re-ingests: the document's
``id``, else its URL, else a hash of its text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kg.errors import InputError
from kg.model import Article

log = logging.getLogger(__name__)

MAX_BYTES = int(os.environ.get("KG_MAX_DOC_BYTES", 5 * 1024 * 1024))
SUFFIXES = {".json", ".jsonl", ".ndjson", ".txt", ".text", ".md", ".html", ".htm"}
TEXT_FIELDS = ("text", "body", "content", "article", "articleBody")
DATE_FIELDS = ("published", "date", "published_at", "datePublished", "publication_date")
LEGACY_ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")


def iter_paths(paths: list[Path]) -> Iterator[Path]:
    """The files to read: each file named, and every article file under each folder, in sorted order."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.suffix.lower() in SUFFIXES:
                    yield child
        else:
            yield path


def load_path(path: Path, *, max_bytes: int = MAX_BYTES) -> Iterator[Article | InputError]:
    """The articles in one file; a bad document is yielded as its ``InputError`` so the rest still load."""
    name = str(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            yield InputError(name, f"{size} bytes is over the size limit of {max_bytes} bytes")
            return
        data = path.read_bytes()
    except OSError as exc:
        yield InputError(name, f"cannot read: {exc.strerror or exc}")
        return
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        try:
            text = _decode(name, data)
        except InputError as exc:
            yield exc
            return
        for lineno, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            where = f"{name}:{lineno}"
            try:
                yield from_json_obj(_parse_json(where, line), where)
            except InputError as exc:
                yield exc
        return
    try:
        yield from parse_document(data, name, suffix=suffix, max_bytes=max_bytes)
    except InputError as exc:
        yield exc


def parse_document(
    data: bytes, name: str, *, suffix: str = "", media_type: str = "", max_bytes: int = MAX_BYTES
) -> list[Article]:
    """Parse one document's bytes, choosing the reader by file suffix or media type.

    :raises InputError: the document cannot be read as an article.
    """
    if len(data) > max_bytes:
        raise InputError(name, f"{len(data)} bytes is over the size limit of {max_bytes} bytes")
    kind = _kind(suffix, media_type, data)
    text = _decode(name, data)
    if kind == "json":
        obj = _parse_json(name, text)
        if isinstance(obj, list):
            return [from_json_obj(item, f"{name}[{i}]") for i, item in enumerate(obj)]
        return [from_json_obj(obj, name)]
    if kind == "html":
        return [from_html(text, name)]
    return [from_text(text, name)]


def _kind(suffix: str, media_type: str, data: bytes) -> str:
    if suffix == ".json" or "json" in media_type:
        return "json"
    if suffix in (".html", ".htm") or "html" in media_type:
        return "html"
    if not suffix and not media_type:
        head = data.lstrip()[:1]
        if head in (b"{", b"["):
            return "json"
        if head == b"<":
            return "html"
    return "text"


def _decode(name: str, data: bytes) -> str:
    """Text from bytes: UTF-8, else the usual legacy encodings; binary data is refused."""
    if b"\x00" in data[:8192]:
        raise InputError(name, "binary file (NUL bytes), not an article")
    for encoding in LEGACY_ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding != "utf-8-sig":
            log.warning("%s: not UTF-8, read as %s", name, encoding)
        return text
    raise InputError(name, "not decodable as UTF-8 or a legacy encoding")  # pragma: no cover - latin-1 decodes all


def _parse_json(name: str, text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(name, f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None


def from_json_obj(obj: Any, name: str) -> Article:
    """An article from a JSON object in the corpus format or a common news-dataset variant."""
    if not isinstance(obj, dict):
        raise InputError(name, f"expected a JSON object, got {type(obj).__name__}")
    text_field = next((f for f in TEXT_FIELDS if f in obj), None)
    if text_field is None:
        raise InputError(name, f"no text field (one of {', '.join(TEXT_FIELDS)})")
    text = obj[text_field]
    if not isinstance(text, str):
        raise InputError(name, f"field {text_field!r} is {type(text).__name__}, not a string")
    if not text.strip():
        raise InputError(name, f"field {text_field!r} is empty")
    date_field = next((f for f in DATE_FIELDS if obj.get(f)), None)
    published = parse_date(obj[date_field], name) if date_field else None
    doc_id = _string(obj.get("id"), "id", name) or _string(obj.get("url"), "url", name) or content_id(text)
    return Article(
        id=doc_id,
        text=text,
        title=_string(obj.get("title"), "title", name),
        outlet=_outlet(obj, name),
        published=published,
        url=_string(obj.get("url"), "url", name),
        language=_string(obj.get("language") or obj.get("lang"), "language", name),
        source=name,
    )


def _outlet(obj: dict[str, Any], name: str) -> str | None:
    value = obj.get("outlet") or obj.get("source_name") or obj.get("publisher")
    if isinstance(value, dict):
        value = value.get("name")
    return _string(value, "outlet", name)


def _string(value: Any, field_name: str, name: str) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise InputError(name, f"field {field_name!r} is {type(value).__name__}, not a string")
    return value.strip() or None


def parse_date(value: Any, name: str) -> dt.date:
    """An ISO 8601 date or date-time (``2024-11-07``, ``2024-11-07T10:00:00Z``) as a date.

    :raises InputError: not a valid date.
    """
    if isinstance(value, str):
        text = value.strip()
        try:
            return dt.date.fromisoformat(text[:10]) if len(text) >= 10 else dt.date.fromisoformat(text)
        except ValueError:
            pass
        try:
            return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date()
        except ValueError:
            pass
    raise InputError(name, f"invalid publication date {value!r} (expected ISO 8601, e.g. 2024-11-07)")


def from_text(text: str, name: str) -> Article:
    """Plain text: the first non-empty line is the title, the whole text is the article."""
    if not text.strip():
        raise InputError(name, "empty text")
    title = next((line.strip() for line in text.splitlines() if line.strip()), None)
    return Article(id=content_id(text), text=text, title=title, source=name)


def from_html(html: str, name: str) -> Article:
    """HTML through trafilatura: the main text and its metadata (title, site, date, URL)."""
    import trafilatura

    text = trafilatura.extract(html, include_comments=False, include_tables=False, favor_precision=True)
    if not text or not text.strip():
        raise InputError(name, "HTML with no article body")
    meta = trafilatura.extract_metadata(html)
    published = None
    if meta is not None and meta.date:
        try:
            published = parse_date(meta.date, name)
        except InputError:
            published = None
    url = meta.url if meta is not None else None
    return Article(
        id=url or content_id(text),
        text=text,
        title=(meta.title if meta is not None else None) or None,
        outlet=(meta.sitename if meta is not None else None) or None,
        published=published,
        url=url,
        source=name,
    )


def content_id(text: str) -> str:
    """The id of a document that has neither id nor URL: a hash of its text, stable across re-ingests."""
    return "sha256-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
