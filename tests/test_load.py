"""The input readers on bad documents: each problem is an ``InputError`` naming the document and the problem,
and the documents around it still load.  The files are in ``tests/fixtures/bad/``; the CLI over the same
folder is tested in ``tests/test_cli.py``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from kg.errors import InputError
from kg.load import decode, from_json_obj, iter_paths, load_path, parse_date, parse_document
from kg.model import Article

BAD = Path(__file__).parent / "fixtures" / "bad"


def load(name: str, **kwargs: int) -> list[Article | InputError]:
    return list(load_path(BAD / name, **kwargs))


def only_error(name: str) -> InputError:
    items = load(name)
    assert len(items) == 1 and isinstance(items[0], InputError), items
    return items[0]


# one refused file each: the message names the file and says what is wrong
@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("invalid-json.json", "invalid JSON: Invalid control character at line 2 column 25"),
        ("no-text.json", "no text field (one of text, body, content, article, articleBody)"),
        ("empty-text.json", "field 'text' is empty"),
        ("text-not-string.json", "field 'text' is a list, not a string"),
        ("bad-date.json", "invalid publication date '2024-13-45' in field 'published'"),
        ("placeholder-date.json", "implausible publication date '0001-01-01'"),
        ("binary.txt", "binary file (NUL bytes), not an article"),
        ("report.json", "binary file (a PDF document), not an article"),
        ("image.html", "binary file (a PNG image), not an article"),
        ("no-body.html", "HTML with no article body"),
        ("empty.txt", "empty text"),
    ],
)
def test_bad_file_is_one_error_naming_file_and_problem(name: str, problem: str) -> None:
    error = only_error(name)
    assert error.doc == str(BAD / name), error
    assert problem in error.message, error.message
    assert str(error).startswith(f"{BAD / name}: "), str(error)


def test_json_lines_errors_name_the_line_and_the_good_lines_load() -> None:
    items = load("mixed.jsonl")
    errors = {e.doc.rsplit(":", 1)[1]: e.message for e in items if isinstance(e, InputError)}
    assert errors == {
        "2": "invalid JSON: Expecting value at column 31",
        "3": "field 'body' is null, not a string",
        "5": "invalid publication date 'yesterday' in field 'date' (expected ISO 8601, e.g. 2024-11-07)",
        "6": "expected a JSON object, got a list",
    }, errors
    assert [a.id for a in items if isinstance(a, Article)] == ["jsonl-good-1", "jsonl-good-2"]
    assert all(e.doc.startswith(f"{BAD / 'mixed.jsonl'}:") for e in items if isinstance(e, InputError))


def test_json_list_items_fail_on_their_own() -> None:
    items = load("list.json")
    assert [a.id if isinstance(a, Article) else a.doc.rsplit("/", 1)[1] for a in items] == [
        "list-good",
        "list.json[1]",
        "list.json[2]",
    ]


def test_size_limit_is_per_document_and_configurable(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    big.write_text(json.dumps({"id": "big", "text": "Troops. " * 800_000}), encoding="utf-8")
    (error,) = load_path(big)
    assert isinstance(error, InputError) and "over the size limit of 5,242,880 bytes" in error.message, error
    assert "JSON Lines" in error.message  # the way out for a large collection
    (error,) = load("good.json", max_bytes=100)
    assert isinstance(error, InputError) and "over the size limit of 100 bytes" in error.message, error
    # JSON Lines: the limit is per line, so one oversize line fails alone
    lines = tmp_path / "lines.jsonl"
    lines.write_text(
        "\n".join(json.dumps({"id": f"l{n}", "text": "Troops. " * size}) for n, size in enumerate([2, 50, 3])),
        encoding="utf-8",
    )
    items = list(load_path(lines, max_bytes=200))
    assert [a.id if isinstance(a, Article) else a.doc for a in items] == ["l0", f"{lines}:2", "l2"], items
    assert "over the size limit of 200 bytes" in str(items[1]), items[1]
    with pytest.raises(InputError, match="over the size limit of 10 bytes"):
        parse_document(b'{"text": "Troops arrived."}', "request", max_bytes=10)


def test_western_legacy_encodings_are_read() -> None:
    (cp1252,) = load("cp1252.txt")
    assert isinstance(cp1252, Article), cp1252
    assert "„etwa 11.000 Soldaten“" in cp1252.text and "–" in cp1252.text
    (latin1,) = load("latin1.json")
    assert isinstance(latin1, Article), latin1
    assert "à Koursk, a déclaré le ministère français" in latin1.text


def test_other_legacy_encodings_are_read_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    """Russian and Ukrainian legacy files (cp1251) were refused; charset-normalizer names the encoding."""
    path = BAD.parent / "cp1251.txt"
    with caplog.at_level("WARNING", logger="kg.load"):
        (article,) = list(load_path(path))
    assert isinstance(article, Article), article
    assert article.text.startswith("Российские войска находятся в Курской области"), article.text
    assert f"{path}: not UTF-8 (byte 0xd0 at offset 0), read as cp1251" in caplog.text, caplog.text
    ukrainian = "Російські війська перебувають у Курській області, заявив Зеленський у понеділок."
    assert decode("x", ukrainian.encode("cp1251")) == ukrainian


def test_double_encoded_utf8_is_repaired() -> None:
    (article,) = load("double-encoded.json")
    assert isinstance(article, Article), article
    assert article.text.startswith("Kyiv’s army said Russia’s troops – about 11,000 –"), article.text


@pytest.mark.parametrize(
    "text",
    [
        "Ça va, señor Müller? Straße, garçon, Zürich, “quoted” – dash… ©",  # genuine accents and punctuation
        "Ãrpád",  # an A with tilde before a letter that is not a UTF-8 continuation: left alone
        "Ã© and ’",  # mixed: part looks double-encoded, part does not; no repair is possible, left alone
    ],
)
def test_utf8_that_is_not_double_encoded_is_left_alone(text: str) -> None:
    assert decode("x", text.encode("utf-8")) == text


def test_mostly_control_characters_is_binary() -> None:
    with pytest.raises(InputError, match="binary file"):
        decode("x", bytes(range(1, 32)) * 20)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-11-07", dt.date(2024, 11, 7)),
        ("2024-11-07T10:00:00Z", dt.date(2024, 11, 7)),
        ("2024-11-07T10:00:00.123+02:00", dt.date(2024, 11, 7)),
        ("Thu, 07 Nov 2024 10:00:00 GMT", dt.date(2024, 11, 7)),
        ("7 November 2024", dt.date(2024, 11, 7)),
        ("Nov 7, 2024", dt.date(2024, 11, 7)),
    ],
)
def test_dates_in_common_forms(value: str, expected: dt.date) -> None:
    assert parse_date(value, "x") == expected


@pytest.mark.parametrize("value", ["2024-02-30", "yesterday", "", "11/07/2024", 20241107, None, ["2024-11-07"],
                                   "9999-12-31", "1066-10-14"])
def test_invalid_dates_are_refused(value: object) -> None:
    with pytest.raises(InputError, match="publication date"):
        parse_date(value, "x")


@pytest.mark.parametrize(
    ("obj", "problem"),
    [
        ({"text": "\ud800 troops"}, "invalid Unicode"),
        ({"text": "Troops.", "id": {"x": 1}}, "field 'id' is an object, not a string"),
        ({"text": "Troops.", "title": True}, "field 'title' is a boolean, not a string"),
        ({"text": 5}, "field 'text' is a number, not a string"),
        ("just a string", "expected a JSON object, got a string"),
    ],
)
def test_from_json_obj_refuses(obj: object, problem: str) -> None:
    with pytest.raises(InputError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        from_json_obj(obj, "x.json")


def test_nul_characters_are_dropped_and_ids_fall_back() -> None:
    article = from_json_obj({"text": "Troops\x00 arrived.", "url": "https://example.org/a"}, "x")
    assert article.text == "Troops arrived." and article.id == "https://example.org/a"
    assert from_json_obj({"text": "Troops arrived."}, "x").id.startswith("sha256-")


def test_folder_order_is_sorted_and_stable() -> None:
    names = [p.name for p in iter_paths([BAD])]
    assert names == sorted(names) and "mixed.jsonl" in names and "image.html" in names


def test_gzip_json_lines_are_streamed_with_line_numbers(tmp_path: Path) -> None:
    import gzip

    lines = [json.dumps({"id": "gz-1", "text": "Troops arrived in Kursk."}), "{broken", "",
             json.dumps({"id": "gz-2", "text": "Troops. " * 40})]
    path = tmp_path / "collection.jsonl.gz"
    path.write_bytes(gzip.compress("\n".join(lines).encode("utf-8")))
    items = list(load_path(path, max_bytes=200))
    assert [a.id if isinstance(a, Article) else a.doc for a in items] == ["gz-1", f"{path}:2", f"{path}:4"], items
    assert "invalid JSON" in str(items[1]) and "over the size limit of 200 bytes" in str(items[2]), items
    assert path in list(iter_paths([tmp_path]))


def test_broken_gzip_is_an_error_naming_the_file(tmp_path: Path) -> None:
    import gzip

    fake = tmp_path / "fake.jsonl.gz"
    fake.write_text('{"text": "not compressed"}', encoding="utf-8")
    (error,) = load_path(fake)
    assert isinstance(error, InputError) and "not gzip-compressed" in error.message, error
    data = gzip.compress(b"\n".join(json.dumps({"id": f"t{n}", "text": "Troops. " * 50}).encode() for n in range(50)))
    truncated = tmp_path / "truncated.jsonl.gz"
    truncated.write_bytes(data[: len(data) // 2])
    items = list(load_path(truncated))
    assert items and isinstance(items[-1], InputError) and "unreadable gzip data" in items[-1].message, items[-1:]
    assert all(isinstance(a, Article) for a in items[:-1])


def test_folder_walk_skips_notes_but_reads_named_markdown(tmp_path: Path) -> None:
    """A corpus folder's SOURCES.md or README.md is not an article; a Markdown file named explicitly is."""
    from kg.load import iter_paths

    (tmp_path / "a.json").write_text('{"id": "a", "text": "North Korean troops are in Kursk."}')
    (tmp_path / "SOURCES.md").write_text("# Corpus sources\n")
    assert [p.name for p in iter_paths([tmp_path])] == ["a.json"]
    assert [p.name for p in iter_paths([tmp_path / "SOURCES.md"])] == ["SOURCES.md"]


def test_ids_a_url_or_header_cannot_hold_are_refused_per_document(tmp_path: Path) -> None:
    """Issue 10 item 8, on the ingest path: each bad id is its own error naming the line, the rest loads;
    an id is never trimmed, a URL used as the id is (a URL holds no whitespace)."""
    lines = [
        {"id": "ok-1", "text": "Troops arrived."},
        {"id": "bad\nline", "text": "Troops arrived."},
        {"id": "bad\u2028separator", "text": "Troops arrived."},
        {"id": " padded", "text": "Troops arrived."},
        {"id": "y" * 1_001, "text": "Troops arrived."},
        {"url": "  https://example.org/a  ", "text": "Troops arrived."},
        {"id": 17, "text": "Troops arrived."},
    ]
    path = tmp_path / "ids.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")
    docs = list(load_path(path))
    assert [d.id for d in docs if isinstance(d, Article)] == ["ok-1", "https://example.org/a", "17"]
    errors = {d.doc: d.message for d in docs if isinstance(d, InputError)}
    assert "U+000A" in errors[f"{path}:2"] and "U+2028" in errors[f"{path}:3"], errors
    assert "leading or trailing whitespace" in errors[f"{path}:4"], errors
    assert "1,001 characters, over the limit of 1,000 (KG_MAX_ID_CHARS)" in errors[f"{path}:5"], errors


def test_an_article_over_the_character_limit_is_refused_by_every_reader(tmp_path: Path) -> None:
    """Issue 10 item 4: KG_MAX_ARTICLE_CHARS (1,000,000, spaCy's own limit) is per article, under the byte
    limit, whatever the format."""
    text = "Troops. " * 125_001  # 1,000,008 characters
    (tmp_path / "long.txt").write_text(text, encoding="utf-8")
    (tmp_path / "long.json").write_text(json.dumps({"id": "long", "text": text}), encoding="utf-8")
    for path in sorted(tmp_path.iterdir()):
        (doc,) = list(load_path(path))
        assert isinstance(doc, InputError), path
        assert "1,000,008 characters, over the limit of 1,000,000 characters (KG_MAX_ARTICLE_CHARS)" in doc.message
    (ok,) = parse_document(json.dumps({"id": "fits", "text": text[:1_000_000]}).encode(), "x.json")
    assert isinstance(ok, Article) and len(ok.text) == 1_000_000
