"""German speakers from patterns in kg/extract/patterns/de.json: a government body speaking for its state, a
title standing for the person it introduced, an apposition after the speech verb, an object pronoun that is
no speaker, impersonal "hieß es".  Sentences written for the test; each pattern has a case that must not fire."""

from __future__ import annotations

from kg.extract import extract_one
from kg.model import Article, Statement


def speakers(text: str) -> list[str]:
    ex = extract_one(Article(id="t", language="de", outlet="Deutschlandfunk", text=text))
    return [c.subject.speaker.key for c in ex.claims if isinstance(c.subject, Statement)]


def test_a_body_speaks_for_the_state_named_with_it_and_later_alone() -> None:
    assert speakers("Die Lage sei stabil, teilte das Außenministerium in Moskau mit. "
                    "Weitere Angriffe seien abgewehrt worden, teilte das Ministerium später mit.") == [
        "russia", "russia"]
    assert speakers("Die Lage sei stabil, teilte das Ministerium mit.") == []  # no state ever named


def test_a_title_stands_for_the_person_it_introduced() -> None:
    text = ("Russlands Präsident Putin empfing am Montag Gäste. "
            "Der russische Präsident sagte, die Gespräche seien gut verlaufen.")
    assert speakers(text) == ["putin"]
    # no one was introduced as the Ukrainian president: the state adjective stays the speaker
    assert speakers("Der ukrainische Präsident sagte, die Gespräche seien gut verlaufen.") == ["ukraine"]


def test_a_title_alone_after_the_verb() -> None:
    text = ("Präsident Wladimir Putin empfing am Montag Gäste. "
            "\"Wir sind zufrieden\", sagte der Präsident.")
    assert speakers(text) == ["putin"]
    assert speakers("\"Wir sind zufrieden\", sagte der Präsident.") == []


def test_an_apposition_names_the_speaker_after_the_verb() -> None:
    found = speakers("Die Front halte, sagte der Kommandeur des Heeres, Andrij Kowalenko, am Abend.")
    assert found == ["andrij-kowalenko"]
    assert speakers("Die Front halte, sagte der Kommandeur des Heeres am Abend.") == []


def test_an_object_pronoun_after_the_verb_is_no_speaker() -> None:
    text = "Putin sagte, er wolle verhandeln. Wolodymyr Selenskyj wies sie am Dienstag entschieden zurück."
    assert speakers(text) == ["putin", "zelensky"]
    assert speakers("Putin sagte, er wolle verhandeln. Das sei falsch, sagte er.") == ["putin", "putin"]


def test_impersonal_hiess_es_is_the_last_speaker() -> None:
    assert speakers("Die Lage sei ruhig, sagte Putin. \"Es gibt keine Opfer\", hieß es.") == ["putin", "putin"]
    assert speakers("\"Es gibt keine Opfer\", hieß es.") == []


def test_a_capitalised_adverb_is_no_name() -> None:
    assert speakers("Ähnlich äußerte sich der Sprecher.") == []


def test_according_to_a_state_or_its_body() -> None:
    assert speakers("Russischen Angaben nach ist die Brücke zerstört.") == ["russia"]
    assert speakers("Angaben des russischen Gesundheitsministeriums zufolge ist die Brücke zerstört.") == ["russia"]
    assert speakers("Neuen Angaben nach ist die Brücke zerstört.") == []


def test_the_subject_right_before_the_verb_speaks_whatever_follows_it() -> None:
    """Verb-second order with the subject first: the article after the verb starts the object, not a body."""
    assert speakers("Selenskyj kritisierte die Entscheidung als Fehler.") == ["zelensky"]
    # a name governed by a preposition before the verb is no subject: the name after the verb is
    assert speakers("Für die Ukraine kritisierte Putin den Beschluss.") == ["putin"]


def test_a_perfect_of_speech_takes_the_subject_of_its_auxiliary() -> None:
    assert speakers("Selenskyj hat am Montag einen Austausch der Gefangenen angeboten.") == ["zelensky"]
    assert speakers("Am Montag hat Russlands Präsident Putin neue Forderungen präsentiert.") == ["putin"]
    assert speakers("Der Rückzug aus dem Dorf wurde bisher nicht offiziell bestätigt.") == []


def test_a_name_after_a_comma_is_the_reported_clause_not_the_speaker() -> None:
    assert speakers("Selenskyj erklärte, Putin sei isoliert.") == ["zelensky"]


def test_inverted_subject_after_a_reflexive_or_before_an_adverb() -> None:
    assert speakers("Ähnlich äußerte sich NATO-Generalsekretär Jens Stoltenberg.") == ["stoltenberg"]
    assert speakers("Die Lage sei ernst, sagte Maryna Kowal außerdem.") == ["maryna-kowal"]
    assert speakers("Die Lage sei ernst, sagte Maryna Kowal außerhalb.") == []


def test_an_army_group_speaks_for_its_state() -> None:
    assert speakers("\"Der Feind greift an\", teilte die ukrainische Armeegruppierung bei Telegram mit.") == [
        "ukraine"]
    assert speakers("\"Der Feind greift an\", teilte die Armeegruppierung bei Telegram mit.") == []


def test_a_body_before_the_verb_and_coordinated_subjects() -> None:
    assert speakers("Das russische Verteidigungsministerium meldete die Einnahme des Dorfes.") == ["russia"]
    assert speakers("Das Verteidigungsministerium meldete die Einnahme des Dorfes.") == []  # no state named
    assert speakers("Russland und China lehnten den Vorschlag ab.") == ["russia", "china"]


def test_a_leaders_title_alone_is_the_person_just_named() -> None:
    assert speakers("Selenskyj besuchte die Front. \"Wir halten durch\", sagte der Staatschef.") == ["zelensky"]
    # four sentences later the title no longer points back; a description that is no leader's title never does
    assert speakers("Selenskyj besuchte die Front. Es regnete. Es schneite. Es stürmte. "
                    "\"Wir halten durch\", sagte der Staatschef.") == []
    assert speakers("Selenskyj besuchte die Front. \"Wir halten durch\", sagte der Soldat.") == []


def test_according_to_a_body_names_its_state() -> None:
    assert speakers("Nach Angaben des ukrainischen Generalstabs wurden 20 Angriffe abgewehrt.") == ["ukraine"]
    assert speakers("Nach Angaben des Generalstabs wurden 20 Angriffe abgewehrt.") == []
