"""The one loader of kg's word lists and patterns, kept as data in ``kg/extract/patterns/*.json``.

Each file is a JSON object: ``"_comment"`` keys explain intent, every other key names a list of words or
phrases (or, for a pattern, an object).  Rules ask for a list by file and name (``words("en", "honorifics")``)
and get a frozenset, so adding a word is a line of JSON and a test sentence; nothing in Python changes.

>>> "mr" in words("en", "turn_honorifics")
True
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

PATTERNS_DIR = Path(__file__).resolve().parent / "patterns"


@cache
def load(name: str) -> dict[str, Any]:
    """The patterns file ``patterns/<name>.json`` as a dict, comments dropped.

    :raises FileNotFoundError: when there is no such file.
    """
    path = PATTERNS_DIR / f"{name}.json"
    with path.open(encoding="utf-8") as fh:
        data = json.load(fh)
    return {k: v for k, v in data.items() if not k.startswith("_")}


@cache
def words(name: str, key: str) -> frozenset[str]:
    """The list ``key`` of ``patterns/<name>.json`` as a frozenset of strings.

    :raises KeyError: when the file has no such list.
    """
    value = load(name)[key]
    if not isinstance(value, list):
        raise KeyError(f"{name}.json: {key!r} is not a list")
    return frozenset(str(v) for v in value)
