"""German articles: speakers the gazetteer does not know, found by the speech-verb frame around a capitalised
name ("Makeiev sagte", "sagte X", "so X", "nach Angaben von X").  Sentences are quoted from the corpus article
named in the comment, or constructed where said."""

from __future__ import annotations

from kg.extract import extract_one
from kg.model import Article, Statement


def speakers(text: str) -> list[str]:
    ex = extract_one(Article(id="t", language="de", outlet="Deutschlandfunk", text=text))
    return [c.subject.speaker.key for c in ex.claims if isinstance(c.subject, Statement)]


def test_name_before_the_speech_verb() -> None:
    # dlf-2024-11-21-ukraine-krieg
    assert speakers("Makeiev sagte im Deutschlandfunk, es wäre gut, wenn man sich nicht nur vor einer "
                    "Eskalation des Krieges fürchten würde.") == ["makeiev"]


def test_apposition_before_the_speech_verb() -> None:
    # dlf-2024-11-21-ukraine-krieg
    assert speakers("Der Botschafter der Ukraine in Deutschland, Makeiev, bekräftigte seine Haltung, dass "
                    "Deutschland Marschflugkörper liefern sollte.") == ["makeiev"]


def test_name_after_the_speech_verb_without_title() -> None:
    # constructed
    assert speakers("Die Lage an der Front sei schwierig, sagte Botschafter Oleksii Makeiev am Montag.") == [
        "oleksii-makeiev"]


def test_so_frame() -> None:
    # constructed
    assert speakers("Die Lage sei sehr ernst, so Makeiev.") == ["makeiev"]


def test_nach_angaben_von_frame() -> None:
    # constructed
    assert "oleksii-makeiev" in speakers("Nach Angaben von Oleksii Makeiev wurden zwei Dörfer beschossen.")


def test_a_common_noun_is_no_speaker() -> None:
    # constructed: "Die Regierung teilte mit" names no person
    assert speakers("Die Regierung teilte mit, die Lage sei ernst.") == []


def test_a_compound_title_is_not_part_of_the_name() -> None:
    # dlf-2024-08-08-ukraine-krieg-moskau
    assert speakers("Osteuropa-Expertin Gesine Dornblüth sagte im Deutschlandfunk, die Soldaten hätten "
                    "kaum Erfahrung.") == ["gesine-dornbluth"]


def test_an_article_leads_a_common_noun() -> None:
    # schwabo-2024-08-07
    assert speakers("Das Staatsfernsehen meldete, er werde in einem örtlichen Krankenhaus behandelt.") == []
