"""Speakers named by apposition, by a body's own name, by the body noun of a name said before, and coordinated
subjects; sentences written for these tests, each with one where the rule must not fire."""

from __future__ import annotations

import datetime as dt

from kg.extract import extract_one
from kg.model import Article, Extraction, Statement


def run(text: str) -> Extraction:
    return extract_one(Article(id="t", text=text, outlet="CNN", published=dt.date(2024, 5, 2), language="en"))


def speakers(text: str) -> list[str]:
    return [c.subject.speaker.key for c in run(text).claims if isinstance(c.subject, Statement)]


def test_appositive_person_is_the_speaker() -> None:
    assert speakers("The head of the Sahel council, Amadou Diallo, said the roads were closed.") == [
        "amadou-diallo"]


def test_appositive_description_leaves_the_named_speaker() -> None:
    assert speakers("Hamas, the group that runs Gaza, said the talks had stalled.") == ["hamas"]


def test_a_body_named_before_its_noun_speaks_not_its_country() -> None:
    assert speakers("Russia's Zvezda news outlet reported that the bridge had been hit.") == ["zvezda"]


def test_a_state_before_the_body_noun_is_the_state() -> None:
    assert speakers("A Russia news agency reported that the bridge had been hit.") == ["russia"]


def test_the_court_is_the_court_named_before() -> None:
    text = ("The International Court of Justice heard the case in May. "
            "The court ruled that the blockade must end.")
    assert speakers(text) == ["international-court-of-justice"]


def test_the_court_without_a_court_named_is_nobody_named() -> None:
    found = speakers("Judges heard the case in May. The court ruled that the blockade must end.")
    assert "international-court-of-justice" not in found, found


def test_an_anonymous_first_subject_leaves_the_named_one() -> None:
    assert speakers("State media and Hamas indicated that the talks had stalled.") == ["hamas"]


def test_an_unmarked_name_subject_of_speech_is_a_speaker() -> None:
    found = speakers("On Monday the drone maker Kovalchuk declared that the new model was ready.")
    assert found and found[0].endswith("kovalchuk"), found


def test_a_lowercase_subject_is_no_minted_speaker() -> None:
    assert speakers("On Monday the engineers declared that the new model was ready.") == []


def test_which_of_a_relative_clause_is_the_noun_it_hangs_off() -> None:
    assert speakers("The report came from Europol, which noted that the gangs had split.") == ["europol"]


def test_criticised_is_speech() -> None:
    assert speakers("Amadou Diallo criticised the donors for failing to act.") == ["amadou-diallo"]


def test_a_surname_nobody_marked_is_the_person_named_before() -> None:
    text = "The new envoy is Tomas Varga. Varga argued in his book that the talks should resume."
    assert speakers(text) == ["tomas-varga"]


def test_a_capitalised_word_that_names_nobody_before_is_no_such_person() -> None:
    text = "The new envoy is Tomas Varga. Brussels argued that the talks should resume."
    assert "tomas-varga" not in speakers(text)
