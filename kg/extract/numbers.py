"""Troop numbers as war reporting writes them.

:func:`parse_troops` reads a number phrase into ``(minimum, maximum, approximate)``:

* "11,000", "11 000", "11.000" (German grouping), "11k" -> exact;
* "about/around/some/nearly/roughly/up to/more than/at least/over 11,000" -> approximate;
* "10,000 to 12,000", "10,000-12,000", "between 10,000 and 12,000" -> a range, approximate;
* "Eleven thousand", "twelve hundred", "1.5 million", "two dozen" -> number words;
* "several thousand", "thousands of" -> no number (``(None, None, True)``): the guidelines ask for the number
  stated, and none is; the approximate flag still records that a size was given.
"""

from __future__ import annotations

import re

from kg.errors import InputError

_UNITS = {
    "zero": 0, "one": 1, "a": 1, "an": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    # German
    "ein": 1, "eine": 1, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "sechs": 6, "sieben": 7, "acht": 8,
    "neun": 9, "zehn": 10, "elf": 11, "zwölf": 12,
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
         "ninety": 90}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000, "dozen": 12, "k": 1000,
           "tausend": 1000, "hundert": 100, "millionen": 1_000_000, "million.": 1_000_000}
_VAGUE = {"several", "some", "few", "many", "thousands", "hundreds", "dozens", "tens", "mehrere", "einige",
          "tausende", "hunderte"}
_HEDGES = ("about", "around", "approximately", "roughly", "nearly", "almost", "some", "up to", "more than",
           "over", "at least", "as many as", "estimated", "an estimated", "close to", "upwards of", "under",
           "fewer than", "less than", "circa", "ca.", "rund", "etwa", "ungefähr", "mehr als", "bis zu",
           "fast")
_RANGE = re.compile(r"^(?:between\s+|zwischen\s+)?(.+?)\s*(?:-|–|—|\bto\b|\band\b|\bbis\b|\bund\b)\s*(.+)$")
_DIGITS = re.compile(r"^(\d{1,3}(?:[,. ]\d{3})+|\d+(?:\.\d+)?)\s*(k|thousand|million|hundred|tausend)?$")


def _scaled(value: float | int, scale: int) -> int | None:
    """``value * scale`` as an int; None when it is not a finite number (a 400-digit string)."""
    try:
        result = round(value * scale)
    except (OverflowError, ValueError):
        return None
    return result if result >= 0 else None


def _number(text: str) -> int | None:
    """One number, digits or words; None when there is none."""
    t = text.strip().lower().replace("\u00a0", " ").strip(".,;:")
    if not t:
        return None
    m = _DIGITS.match(t)
    if m:
        raw, scale = m.group(1), m.group(2)
        scale_value = _SCALES[scale] if scale else 1
        if re.fullmatch(r"\d{1,3}(?:[,. ]\d{3})+", raw):
            return _scaled(int(re.sub(r"[,. ]", "", raw)), scale_value)
        if "." not in raw:
            return _scaled(int(raw), scale_value)  # exact for any length: no float overflow
        return _scaled(float(raw), scale_value)
    words = [w for w in re.split(r"[\s-]+", t) if w and w != "and"]
    if not words:
        return None
    total, current, seen = 0.0, 0.0, False
    for word in words:
        if word in _UNITS:
            current += _UNITS[word]
            seen = True
        elif word in _TENS:
            current += _TENS[word]
            seen = True
        elif re.fullmatch(r"\d+(?:\.\d+)?", word):
            current += float(word)
            seen = True
        elif word in _SCALES:
            scale = _SCALES[word]
            if scale >= 1000:
                total += (current or 1) * scale
                current = 0
            else:
                current = (current or 1) * scale
            seen = True
        else:
            return None
    return _scaled(total + current, 1) if seen else None


def parse_troops(text: str) -> tuple[int | None, int | None, bool]:
    """Read a troop-number phrase.

    :param text: the phrase, e.g. "about 11,000" or "10,000 to 12,000".
    :returns: ``(minimum, maximum, approximate)``; ``(None, None, True)`` for a vague size ("several
        thousand"), ``(None, None, False)`` when the text holds no number at all.
    :raises InputError: only when ``text`` is not a string.

    >>> parse_troops("about 11,000")
    (11000, 11000, True)
    >>> parse_troops("10,000 to 12,000")
    (10000, 12000, True)
    >>> parse_troops("Eleven thousand")
    (11000, 11000, False)
    >>> parse_troops("several thousand")
    (None, None, True)
    """
    if not isinstance(text, str):
        raise InputError("parse_troops", f"expected a string, got {type(text).__name__}")
    t = " ".join(text.lower().replace("\u00a0", " ").split()).strip(" .,;:")
    if not t:
        return (None, None, False)
    approximate = False
    changed = True
    while changed:
        changed = False
        for hedge in _HEDGES:
            if t.startswith(hedge + " "):
                t = t[len(hedge) + 1:].strip()
                approximate = True
                changed = True
    first = t.split(" ")[0]
    if first in _VAGUE:
        return (None, None, True)
    # "10-12 thousand" is a range, "twenty-five" one number: try a range first when digits meet a dash
    numeric_range = bool(re.search(r"\d\s*[-–—]\s*\d", t)) or t.startswith(("between ", "zwischen "))
    value = None if numeric_range else _number(t)
    if value is not None:
        return (value, value, approximate)
    m = _RANGE.match(t)
    if m:
        low_text, high_text = m.group(1), m.group(2)
        high = _number(high_text)
        low = _number(low_text)
        if low is not None and high is not None:
            # "10 to 12 thousand": the scale of the upper bound applies to the lower
            if low < high and high >= 1000 and low < 1000 and not re.search(r"\d{4}|,\d{3}", low_text):
                scale_word = high_text.split()[-1]
                if scale_word in _SCALES:
                    low *= _SCALES[scale_word]
            if low > high:
                low, high = high, low
            return (low, high, True)
    if numeric_range:
        value = _number(t)
        if value is not None:
            return (value, value, approximate)
    return (None, None, approximate)
