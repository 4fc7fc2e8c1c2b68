"""Troop numbers as war reporting writes them (kg.extract.numbers.parse_troops)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kg.errors import InputError
from kg.extract.numbers import parse_troops


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the seed: "Selenskyj said that about 11,000 North Korean ..."
        ("about 11,000", (11000, 11000, True)),
        # the seed: "Eleven thousand North Korean soldiers are currently present ..."
        ("Eleven thousand", (11000, 11000, False)),
        # the seed: "US officials had previously warned that around 10,000 North Korean soldiers could ..."
        ("around 10,000", (10000, 10000, True)),
        ("10,000 to 12,000", (10000, 12000, True)),
        ("10,000-12,000", (10000, 12000, True)),
        ("between 10 and 12 thousand", (10000, 12000, True)),
        ("10-12 thousand", (10000, 12000, True)),  # a range, not 10 + 12 thousand
        ("5-7", (5, 7, True)),
        # AP: "Some 1,400 Lebanese, including Hezbollah fighters and civilians, have been killed"
        ("Some 1,400", (1400, 1400, True)),
        ("several thousand", (None, None, True)),
        ("thousands", (None, None, True)),
        ("11.000", (11000, 11000, False)),  # German digit grouping
        ("12 000", (12000, 12000, False)),
        ("1.5 million", (1500000, 1500000, False)),
        ("10k", (10000, 10000, False)),
        ("two dozen", (24, 24, False)),
        ("twenty-five", (25, 25, False)),
        ("up to 300", (300, 300, True)),
        ("more than 41,000", (41000, 41000, True)),
        ("rund 11.000", (11000, 11000, True)),
        ("", (None, None, False)),
        ("the troops", (None, None, False)),
    ],
)
def test_parse_troops(text: str, expected: tuple[int | None, int | None, bool]) -> None:
    assert parse_troops(text) == expected, text


def test_parse_troops_huge_numbers_do_not_overflow() -> None:
    low, high, _ = parse_troops("9" * 400)
    assert low == high == int("9" * 400)
    assert parse_troops("1e400") == (None, None, False)


def test_parse_troops_rejects_non_strings() -> None:
    with pytest.raises(InputError):
        parse_troops(11000)  # type: ignore[arg-type]


@given(st.text(max_size=60))
def test_parse_troops_never_raises_and_is_ordered(text: str) -> None:
    try:
        low, high, approximate = parse_troops(text)
    except ValueError:
        return
    assert isinstance(approximate, bool)
    assert (low is None) == (high is None), (text, low, high)
    if low is not None and high is not None:
        assert 0 <= low <= high, (text, low, high)


@given(st.integers(min_value=0, max_value=10_000_000))
def test_parse_troops_round_trips_grouped_digits(n: int) -> None:
    assert parse_troops(f"{n:,}") == (n, n, False)
    assert parse_troops(f"about {n:,}") == (n, n, True)
