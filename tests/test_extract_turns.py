"""Transcripts and readouts: each paragraph of a named speaker's turn is a statement by that speaker;
reporters' questions and the moderator claim nothing.  Sentences are written for these tests."""

from __future__ import annotations

import datetime as dt

from kg.extract import extract_one
from kg.model import Article, Deployment, Extraction, Statement


def run(text: str, *, title: str | None = None, outlet: str = "The White House") -> Extraction:
    return extract_one(Article(id="t", text=text, title=title, outlet=outlet, published=dt.date(2024, 5, 2),
                               language="en"))


def statements(ex: Extraction) -> list[tuple[str, str]]:
    return [(c.subject.speaker.key, c.span.text) for c in ex.claims if isinstance(c.subject, Statement)]


TRANSCRIPT = (
    "2:15 P.M. EDT\n"
    "MODERATOR:  Good afternoon.  We will start with the admiral.\n"
    "MR. KIRBY:  Thanks.  Talks in Doha went well overnight.\n"
    "We expect the next round to begin on Monday.\n"
    "Q    Will the talks move to Geneva?\n"
    "MR. KIRBY:  I would not speculate about that.\n"
    "3:01 P.M. EDT\n"
)


def test_each_paragraph_of_a_named_turn_is_a_statement() -> None:
    found = statements(run(TRANSCRIPT))
    assert ("kirby", "Thanks.  Talks in Doha went well overnight.") in found, found
    assert ("kirby", "We expect the next round to begin on Monday.") in found, found
    assert ("kirby", "I would not speculate about that.") in found, found


def test_questions_moderator_and_clock_lines_are_no_statements() -> None:
    found = statements(run(TRANSCRIPT))
    texts = " ".join(t for _, t in found)
    assert "Geneva" not in texts and "Good afternoon" not in texts and "P.M." not in texts, found
    assert len(found) == 3, found


def test_office_label_is_the_person_the_title_names() -> None:
    text = "THE PRESIDENT:  Good evening.  Our envoy returns from Cairo tomorrow.\nQ    Sir, a question?\n"
    found = statements(run(text, title="Remarks by President Biden on the Middle East"))
    assert found == [("biden", "Good evening.  Our envoy returns from Cairo tomorrow.")], found


def test_a_label_that_names_nobody_is_no_turn() -> None:
    # a section label in an ordinary article is not a transcript turn
    found = statements(run("NOTE:  The meeting in Doha was postponed to June.\n", outlet="CNN"))
    assert found == [], found


def test_briefer_claims_the_deployments_of_his_turn() -> None:
    text = "MR. KIRBY:  More American troops arrived in Jordan this week.\n"
    ex = run(text)
    deps = [c for c in ex.claims if isinstance(c.subject, Deployment)]
    assert deps, ex.claims
    assert [e.key for e in deps[0].claimants] == ["kirby"], deps


READOUT = (
    "Foreign Minister Maria Lindqvist met with her counterpart Tomas Varga in Oslo on Tuesday.\n"
    "The two ministers condemned the shelling of the port and reaffirmed their support for the talks.\n"
    "They welcomed the release of the detained fishermen.\n"
)


def test_plural_subject_of_a_readout_is_each_participant() -> None:
    found = statements(run(READOUT, outlet="CNN"))
    speakers = sorted(s for s, t in found if t.startswith("The two ministers"))
    assert speakers == ["maria-lindqvist", "tomas-varga"], found


def test_they_after_a_group_statement_is_the_same_group() -> None:
    found = statements(run(READOUT, outlet="CNN"))
    speakers = sorted(s for s, t in found if t.startswith("They welcomed"))
    assert speakers == ["maria-lindqvist", "tomas-varga"], found


def test_plural_noun_without_participants_named_is_no_group() -> None:
    # nobody was named together before: "the ministers" is not made up from a single person
    found = statements(run("Maria Lindqvist arrived in Oslo.\nThe ministers condemned the shelling of the port.\n",
                           outlet="CNN"))
    assert all(not t.startswith("The ministers") for _, t in found), found


def test_coordinated_subjects_each_make_the_statement() -> None:
    found = statements(run("Maria Lindqvist and Tomas Varga said the port would reopen in May.", outlet="CNN"))
    assert sorted(s for s, _ in found) == ["maria-lindqvist", "tomas-varga"], found


def test_a_surname_repeats_the_person_named_before() -> None:
    found = statements(run("Tomas Varga arrived in Oslo on Monday. Later, Varga said the port would reopen.",
                           outlet="CNN"))
    assert [s for s, _ in found] == ["tomas-varga"], found


def test_a_title_before_the_name_in_a_label() -> None:
    """'GEN. RYDER:', 'SPOKESPERSON DUJARRIC:' name their speakers as 'MR. KIRBY:' does; a title alone
    ('MODERATOR:') or an office named by two words ('DEFENSE SECRETARY:' with no one so called) does not."""
    text = ("GEN. RYDER:  Two destroyers sailed for the eastern Mediterranean.\n"
            "SPOKESPERSON DUJARRIC:  The Secretary-General condemns the attack on the convoy.\n"
            "DEFENSE SECRETARY:  No comment on the convoy.\n")
    assert [s for s, _ in statements(run(text, outlet="U.S. Department of Defense"))] == ["ryder", "dujarric"]


def test_speech_a_question_reports_is_its_speakers() -> None:
    """A reporter's question claims nothing, but speech it reports ('Q  Putin said today that ...') is that
    speaker's statement; the question itself and the reporter's 'you said' are none."""
    text = ("MR. KIRBY:  Thanks.  Talks in Doha went well overnight.\n"
            "Q    President Putin said today that the talks had failed.  Did you say that too?\n"
            "Q    You said yesterday that the talks had failed.\n")
    found = statements(run(text))
    assert [s for s, _ in found] == ["kirby", "putin"]


def test_the_publisher_named_among_signatories_speaks_like_them() -> None:
    """A White House joint statement: 'Japan, the ROK, and the United States condemn' is one statement per
    signatory, the publisher's state included; the publisher alone ('The United States condemns') is the
    article's own voice, no statement."""
    text = ("Japan, the ROK, and the United States strongly condemn the launches. "
            "The United States condemns the launches.")
    assert [s for s, _ in statements(run(text))] == ["japan", "south-korea", "united-states"]
