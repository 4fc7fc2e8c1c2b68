"""Reading articles: plain text, JSON with metadata (one object, a list, or JSON Lines) and HTML.

Every problem with a document becomes an ``InputError`` naming the document (the file; the file and line
for JSON Lines; the file and index for a JSON list), so a batch can report it and go on.  The article id is
stable across re-ingests: the document's ``id``, else its URL, else a hash of its text.

What is refused, and why (each with its own message):

* a binary file (a known signature such as PDF, ZIP or PNG, NUL bytes, or mostly control characters);
* bytes that are neither UTF-8 nor Western legacy text (cp1252, then latin-1): see :func:`decode`;
* a document over the size limit (``max_bytes``, default 5 MB or ``$KG_MAX_DOC_BYTES``): for JSON Lines
  the limit is per line (per document), so a large collection of articles is best given as JSON Lines,
  plain or gzip-compressed (``.jsonl.gz``, streamed line by line);
* invalid JSON, a JSON value that is not an object, no text field, a text that is not a string or is empty;
* HTML in which trafilatura finds no article body;
* a publication date that is not a date;
* an article text over ``KG_MAX_ARTICLE_CHARS`` characters (default 1,000,000, spaCy's own limit for one
  text; longer than ``kg.extract.CHUNK_CHARS`` is parsed in pieces, so memory stays bounded below it);
* an id (the ``id`` field, else the URL used as id) with a control or line-break character (it could never
  be named in a URL path or a header), with leading or trailing whitespace (never trimmed: ``" a1"`` and
  ``"a1"`` would silently be one article), or over ``KG_MAX_ID_CHARS`` characters (default 1,000).  A URL
  used as the id has its surrounding whitespace removed, as every other metadata field does: a URL holds
  none.

>>> [a.id for a in parse_document(b'{"id": "a1", "text": "Troops arrived."}', "x.json")]
['a1']
"""

from __future__ import annotations

import datetime as dt
import email.utils
import gzip
import hashlib
import io
import json
import logging
import re
import unicodedata
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import charset_normalizer

from kg.errors import InputError
from kg.model import Article
from kg.settings import current

log = logging.getLogger(__name__)

# What a folder walk picks up.  Markdown is read when named, not when walking: folders of scraped articles keep
# their README and SOURCES notes as .md, and ingesting those as articles puts fake claims in the graph.
SUFFIXES = {".json", ".jsonl", ".ndjson", ".txt", ".text", ".html", ".htm"}
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")  # .gz: streamed, never unpacked to disk
TEXT_FIELDS = ("text", "body", "content", "article", "articleBody")
DATE_FIELDS = ("published", "date", "published_at", "datePublished", "publication_date")
LEGACY_ENCODINGS = ("cp1252", "latin-1")
MIN_HTML_WORDS = 10  # trafilatura returns a menu's few words for a page without an article: not a body
EARLIEST_YEAR = 1900  # "0001-01-01" and "9999-12-31" are placeholders of scrapers, not publication dates

# File signatures of common binary formats a scraper folder may hold under an article suffix.
_SIGNATURES = {
    b"%PDF": "a PDF document",
    b"PK\x03\x04": "a ZIP archive (or DOCX/XLSX)",
    b"\x1f\x8b": "gzip-compressed data",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\xd0\xcf\x11\xe0": "an MS Office document",
    b"\x7fELF": "an executable",
    b"BZh": "bzip2-compressed data",
    b"\xfd7zXZ": "xz-compressed data",
}
# Double-encoded UTF-8 ("Ã©" for "é", "â€™" for "’"): a UTF-8 lead byte read as cp1252 followed by a
# continuation byte read as cp1252.  Real text practically never has these pairs.
_MOJIBAKE = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201a\u201c-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
)
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def iter_paths(paths: list[Path]) -> Iterator[Path]:
    """The files to read: each file named, and every article file under each folder, in sorted order."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and (
                    child.suffix.lower() in SUFFIXES or child.name.lower().endswith(JSONL_SUFFIXES)
                ):
                    yield child
        else:
            yield path


def load_path(path: Path, *, max_bytes: int | None = None) -> Iterator[Article | InputError]:
    """The articles in one file; a bad document is yielded as its ``InputError`` so the rest still load.

    Never raises for bad content: every problem is yielded, naming the file (and the line of JSON Lines).
    """
    name = str(path)
    suffix = path.suffix.lower()
    max_bytes = max_bytes or current().max_doc_bytes
    try:
        if path.name.lower().endswith(JSONL_SUFFIXES):
            yield from _load_jsonl(path, max_bytes)
            return
        size = path.stat().st_size
        if size > max_bytes:
            hint = " (a large collection of articles is best given as JSON Lines)" if suffix == ".json" else ""
            yield InputError(name, f"{_over(size, max_bytes)}{hint}")
            return
        data = path.read_bytes()
    except OSError as exc:
        yield InputError(name, f"cannot read: {exc.strerror or exc}")
        return
    try:
        kind = _kind(suffix, "", data)
        if kind == "json":
            text = decode(name, data)
            yield from _json_documents(_parse_json(name, text), name)
            return
        yield from parse_document(data, name, suffix=suffix, max_bytes=max_bytes)
    except InputError as exc:
        yield exc


def _load_jsonl(path: Path, max_bytes: int) -> Iterator[Article | InputError]:
    """JSON Lines, streamed (gzip-compressed too): one document per line, the size limit per line."""
    name = str(path)
    compressed = path.name.lower().endswith(".gz")
    with path.open("rb") as raw_handle:
        if compressed and not raw_handle.read(2) == b"\x1f\x8b":
            yield InputError(name, "named .gz but not gzip-compressed")
            return
        raw_handle.seek(0)
        handle: gzip.GzipFile | io.BufferedReader = gzip.GzipFile(fileobj=raw_handle) if compressed else raw_handle
        try:
            head = handle.peek(8192)[:8192] if isinstance(handle, gzip.GzipFile) else handle.read(8192)
            _refuse_binary(name, head)
        except InputError as exc:
            yield exc
            return
        except (OSError, EOFError) as exc:
            yield InputError(name, f"unreadable gzip data: {exc}")
            return
        if not compressed:
            handle.seek(0)
        lineno = 0
        while True:
            try:
                # one line at most max_bytes (+1 to tell "over"): a line without end cannot fill memory
                raw = handle.readline(max_bytes + 1)
            except (OSError, EOFError, zlib.error) as exc:
                yield InputError(f"{name}:{lineno + 1}", f"unreadable gzip data: {exc}")
                return
            if not raw:
                return
            lineno += 1
            where = f"{name}:{lineno}"
            if len(raw) > max_bytes:
                size = len(raw)
                while not raw.endswith(b"\n"):  # skip the rest of the oversize line
                    raw = handle.readline(max_bytes + 1)
                    if not raw:
                        break
                    size += len(raw)
                yield InputError(where, _over(size, max_bytes))
                continue
            if not raw.strip():
                continue
            try:
                obj = _parse_json(where, decode(where, raw).strip(), one_line=True)
                yield from_json_obj(obj, where)
            except InputError as exc:
                yield exc


def _over(size: int, max_bytes: int) -> str:
    return f"{size:,} bytes is over the size limit of {max_bytes:,} bytes (--max-bytes or KG_MAX_DOC_BYTES)"


def parse_document(
    data: bytes, name: str, *, suffix: str = "", media_type: str = "", max_bytes: int | None = None
) -> list[Article]:
    """Parse one document's bytes, choosing the reader by file suffix or media type.

    :param data: the raw bytes, in UTF-8 or a Western legacy encoding.
    :param name: how error messages name the document (a file path, a request).
    :raises InputError: the document, or one article in a JSON list, cannot be read as an article.

    >>> parse_document(b"<html><body></body></html>", "page.html")
    Traceback (most recent call last):
    ...
    kg.errors.InputError: page.html: HTML with no article body
    """
    max_bytes = max_bytes or current().max_doc_bytes
    if len(data) > max_bytes:
        raise InputError(name, _over(len(data), max_bytes))
    kind = _kind(suffix, media_type, data)
    text = decode(name, data)
    if kind == "json":
        articles = []
        for item in _json_documents(_parse_json(name, text), name):
            if isinstance(item, InputError):
                raise item
            articles.append(item)
        return articles
    if kind == "html":
        return [from_html(text, name)]
    return [from_text(text, name)]


def _json_documents(obj: Any, name: str) -> Iterator[Article | InputError]:
    """One object is one article; a list is one article per item, each item failing on its own."""
    if isinstance(obj, list):
        if not obj:
            yield InputError(name, "an empty JSON list: no articles")
        for i, item in enumerate(obj):
            where = f"{name}[{i}]"
            try:
                yield from_json_obj(item, where)
            except InputError as exc:
                yield exc
        return
    try:
        yield from_json_obj(obj, name)
    except InputError as exc:
        yield exc


def _kind(suffix: str, media_type: str, data: bytes) -> str:
    if suffix in (".json", ".jsonl", ".ndjson") or "json" in media_type:
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


def _refuse_binary(name: str, data: bytes) -> None:
    for signature, what in _SIGNATURES.items():
        if data.startswith(signature):
            raise InputError(name, f"binary file ({what}), not an article")
    if b"\x00" in data[:8192]:
        raise InputError(name, "binary file (NUL bytes), not an article")


def decode(name: str, data: bytes) -> str:
    """Text from bytes: UTF-8 (with or without a BOM), else cp1252 or latin-1 for Western text, else the
    legacy encoding charset-normalizer finds (cp1251 for Russian and Ukrainian, cp1253 for Greek ...), with a
    warning naming it; binary data is refused.

    How a wrong guess is caught, rather than stored as mojibake:

    * UTF-8 is tried first and is almost never valid by accident for legacy bytes;
    * UTF-8 that was double-encoded on the way ("Ã©" for "é", "â€™" for "’") is repaired when the whole text
      round-trips through cp1252 back to UTF-8;
    * Western legacy text is accepted as cp1252 (or latin-1) only if it reads like Western European text:
      most of its letters ASCII.  Cyrillic or Greek bytes decode as cp1252 into words made wholly of accented
      letters; for those charset-normalizer (a well-kept detector, by how little "mess" each candidate
      decoding makes) names the encoding, and the text is read in it with a warning;
    * almost no control characters in any case.

    :raises InputError: binary data, or bytes no encoding reads as text (the message asks for UTF-8).

    >>> decode("x", "Kyiv’s".encode("utf-8").decode("cp1252").encode("utf-8"))
    'Kyiv’s'
    >>> decode("x", "Zelensky sagte, die Truppen seien in Kursk gewesen, Straße für Straße.".encode("cp1252"))
    'Zelensky sagte, die Truppen seien in Kursk gewesen, Straße für Straße.'
    >>> decode("x", "Российские войска находятся в Курской области, заявил Зеленский.".encode("cp1251"))
    'Российские войска находятся в Курской области, заявил Зеленский.'
    """
    _refuse_binary(name, data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        text = _decode_legacy(name, data, exc)
    else:
        text = _repair_double_encoding(name, text)
    controls = len(_CONTROL.findall(text))
    if controls > max(2, len(text) // 200):
        raise InputError(name, f"binary file ({controls} control characters in {len(text)}), not an article")
    return text


def _decode_legacy(name: str, data: bytes, utf8_error: UnicodeDecodeError) -> str:
    for encoding in LEGACY_ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        letters = [ch for ch in text if ch.isalpha()]
        foreign = sum(not ch.isascii() for ch in letters)
        if letters and foreign > len(letters) * 0.3:
            guessed = _guess_encoding(data)
            if guessed is not None:
                log.warning("%s: not UTF-8 (byte 0x%02x at offset %d), read as %s (detected by charset-normalizer);"
                            " convert it to UTF-8 to be sure", name, data[utf8_error.start], utf8_error.start,
                            guessed[0])
                return guessed[1]
            raise InputError(
                name,
                f"not UTF-8 (invalid byte 0x{data[utf8_error.start]:02x} at offset {utf8_error.start}) and not "
                f"Western text in {encoding} either ({foreign} of {len(letters)} letters would be accented), "
                "nor any legacy encoding charset-normalizer recognises; convert it to UTF-8",
            )
        log.warning("%s: not UTF-8 (byte 0x%02x at offset %d), read as %s", name, data[utf8_error.start],
                    utf8_error.start, encoding)
        return text
    raise InputError(name, "not decodable as UTF-8 or a legacy encoding")  # pragma: no cover - latin-1 decodes all


def _guess_encoding(data: bytes) -> tuple[str, str] | None:
    """The legacy encoding charset-normalizer finds for ``data`` and the text read in it, or None.

    Only a guess it can stand behind: an 8-bit code page (one byte, one character: cp1251, cp1253 ...) in
    which the text reads as a language (coherence: its letter frequencies match one; a random run of
    accented letters matches none) with little "mess" (chaos); and not a Western one, which
    the caller has already found does not read as Western text.
    """
    best = charset_normalizer.from_bytes(data).best()
    if best is None or best.encoding in ("utf_8", "ascii", "cp1252", "latin_1"):
        return None
    text = str(best)
    if len(text) != len(data) or best.coherence < 0.2 or best.chaos > 0.1:
        return None
    return best.encoding, text


def _repair_double_encoding(name: str, text: str) -> str:
    found = len(_MOJIBAKE.findall(text))
    if not found:
        return text
    try:
        repaired = text.encode("cp1252").decode("utf-8")
    except UnicodeError:
        return text  # mixed or genuine: leave it as written
    if len(_MOJIBAKE.findall(repaired)) < found:
        log.warning("%s: UTF-8 that was encoded twice (mojibake such as 'Ã©'), repaired", name)
        return repaired
    return text  # pragma: no cover - a repair always removes the pairs it decoded


def _parse_json(name: str, text: str, *, one_line: bool = False) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"column {exc.colno}" if one_line else f"line {exc.lineno} column {exc.colno}"
        raise InputError(name, f"invalid JSON: {exc.msg.removesuffix(' at')} at {where}") from None
    except RecursionError:
        raise InputError(name, "invalid JSON: nested too deeply") from None


def from_json_obj(obj: Any, name: str) -> Article:
    """An article from a JSON object in the corpus format or a common news-dataset variant.

    :raises InputError: not an object, no text field, a text that is not a string or is empty, a field of
        the wrong type, or an invalid publication date.
    """
    if not isinstance(obj, dict):
        raise InputError(name, f"expected a JSON object, got {_json_type(obj)}")
    text_field = next((f for f in TEXT_FIELDS if f in obj), None)
    if text_field is None:
        raise InputError(name, f"no text field (one of {', '.join(TEXT_FIELDS)})")
    text = obj[text_field]
    if not isinstance(text, str):
        raise InputError(name, f"field {text_field!r} is {_json_type(text)}, not a string")
    text = _clean(text, text_field, name)
    if not text.strip():
        raise InputError(name, f"field {text_field!r} is empty")
    _check_length(text, name)
    date_field = next((f for f in DATE_FIELDS if obj.get(f) not in (None, "")), None)
    published = parse_date(obj[date_field], name, field_name=date_field) if date_field else None
    doc_id = _id(obj.get("id"), name) or check_id(_string(obj.get("url"), "url", name), name, "url") or content_id(text)
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


def _id(value: Any, name: str) -> str | None:
    """The ``id`` field as given (a number becomes its digits), never trimmed; None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        if value != value.strip():
            if not value.strip():
                raise InputError(name, f"id {_shown(value)} is blank")
            raise InputError(name, f"id {_shown(value)} has leading or trailing whitespace; ids are not trimmed, "
                             "give it without")
        return check_id(_clean(value, "id", name), name)
    return check_id(_string(value, "id", name), name)


def check_id(doc_id: str | None, name: str, field_name: str = "id") -> str | None:
    """``doc_id`` if kg can keep it as an article id, for the messages of both write paths.

    :raises InputError: a control or line-break character, or more than ``KG_MAX_ID_CHARS`` characters.
    """
    if doc_id is None:
        return None
    what = "the id" if field_name == "id" else f"the {field_name} used as the article id"
    limit = current().max_id_chars
    if len(doc_id) > limit:
        raise InputError(
            name, f"{what} is {len(doc_id):,} characters, over the limit of {limit:,} (KG_MAX_ID_CHARS)"
            + ("; give a shorter 'id'" if field_name != "id" else "")
        )
    bad = next((ch for ch in doc_id if unicodedata.category(ch) in ("Cc", "Zl", "Zp")), None)
    if bad is not None:
        raise InputError(
            name, f"{what} {_shown(doc_id)} holds the control character U+{ord(bad):04X} at offset "
            f"{doc_id.index(bad)}: an id is one line of visible text"
        )
    return doc_id


def _shown(value: str, limit: int = 60) -> str:
    return repr(value if len(value) <= limit else value[:limit] + "...")


def _check_length(text: str, name: str) -> None:
    limit = current().max_article_chars
    if len(text) > limit:
        raise InputError(
            name, f"the article is {len(text):,} characters, over the limit of {limit:,} characters "
            "(KG_MAX_ARTICLE_CHARS): split it, or raise the limit"
        )


def _json_type(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "a number",
            float: "a number", type(None): "null"}.get(type(value), type(value).__name__)


def _clean(value: str, field_name: str, name: str) -> str:
    """A string field as kg can store it: NUL characters dropped; lone surrogates refused (JSON allows
    ``"\\ud800"``, but no store or serialisation can hold it)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(name, f"field {field_name!r} holds invalid Unicode (a lone surrogate)") from None
    return value.replace("\x00", "")


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
        raise InputError(name, f"field {field_name!r} is {_json_type(value)}, not a string")
    return _clean(value, field_name, name).strip() or None


_DAY_MONTH_YEAR = ("%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y", "%B %d %Y", "%b %d %Y")


def parse_date(value: Any, name: str, *, field_name: str = "published") -> dt.date:
    """A publication date: ISO 8601 (``2024-11-07``, ``2024-11-07T10:00:00Z``), RFC 2822 (RSS feeds:
    ``Thu, 07 Nov 2024 10:00:00 GMT``) or an English day-month-year (``7 November 2024``, ``Nov 7, 2024``).

    :raises InputError: not a date in one of these forms, or a placeholder year (before 1900, or more than
        a year ahead).

    >>> parse_date("2024-11-07T10:00:00Z", "x")
    datetime.date(2024, 11, 7)
    >>> parse_date("2024-13-45", "x")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    kg.errors.InputError: x: invalid publication date '2024-13-45' in field 'published' (expected ISO 8601, ...)
    """
    date = _date(value) if isinstance(value, str) else None
    if date is None:
        raise InputError(
            name, f"invalid publication date {value!r} in field {field_name!r} (expected ISO 8601, e.g. 2024-11-07)"
        )
    latest = dt.date.today() + dt.timedelta(days=366)
    if not EARLIEST_YEAR <= date.year or date > latest:
        raise InputError(name, f"implausible publication date {value!r} in field {field_name!r} (a placeholder?)")
    return date


def _date(value: str) -> dt.date | None:
    text = " ".join(value.split())
    if not text or len(text) > 64:
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ].*", text):  # a valid date with an odd time part
        try:
            return dt.date.fromisoformat(text[:10])
        except ValueError:
            return None
    try:
        return email.utils.parsedate_to_datetime(text).date()
    except (TypeError, ValueError, IndexError, OverflowError):
        pass
    for fmt in _DAY_MONTH_YEAR:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def from_text(text: str, name: str) -> Article:
    """Plain text: the first non-empty line is the title, the whole text is the article."""
    text = text.replace("\x00", "")
    if not text.strip():
        raise InputError(name, "empty text")
    _check_length(text, name)
    title = next((line.strip() for line in text.splitlines() if line.strip()), None)
    return Article(id=content_id(text), text=text, title=title, source=name)


def from_html(html: str, name: str) -> Article:
    """HTML through trafilatura: the main text and its metadata (title, site, date, URL).

    :raises InputError: trafilatura finds no article body (an empty page, a menu, a cookie wall).
    """
    import trafilatura

    try:
        text = trafilatura.extract(html, include_comments=False, include_tables=False, favor_precision=True)
        meta = trafilatura.extract_metadata(html) if text else None
    except Exception as exc:  # lxml and trafilatura raise a variety of errors on hostile markup
        raise InputError(name, f"unreadable HTML: {type(exc).__name__}: {exc}") from None
    if not text or len(text.split()) < MIN_HTML_WORDS:
        raise InputError(name, "HTML with no article body")
    text = text.replace("\x00", "")
    _check_length(text, name)
    published = None
    if meta is not None and meta.date:
        try:
            published = parse_date(meta.date, name)
        except InputError:
            published = None  # trafilatura's guess from the page; a wrong guess is not the author's error
    url = meta.url if meta is not None else None
    return Article(
        id=check_id(url, name, "url") or content_id(text),
        text=text,
        title=(meta.title if meta is not None else None) or None,
        outlet=(meta.sitename if meta is not None else None) or None,
        published=published,
        url=url,
        source=name,
    )


def content_id(text: str) -> str:
    """The id of a document that has neither id nor URL: a hash of its text, stable across re-ingests."""
    return "sha256-" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]
