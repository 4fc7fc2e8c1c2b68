"""German deployments (the reduced-coverage route, patterns in kg/extract/patterns/de.json).  Every sentence
here is written for the test, none copied from the corpus; each pattern has one that must fire and one that
must not."""

from __future__ import annotations

from kg.extract import detect_language, extract_one
from kg.ingest import build_graphs
from kg.model import Article, Deployment, EntityType


def deployments(text: str, outlet: str = "Deutschlandfunk") -> list[tuple[str, str, str]]:
    ex = extract_one(Article(id="t", language="de", outlet=outlet, text=text))
    return [(c.subject.deployer.key, c.subject.location.key, c.certainty.value)
            for c in ex.claims if isinstance(c.subject, Deployment)]


def test_separable_verb_with_its_subject_far_from_the_force_word() -> None:
    assert deployments("Nordkorea setzte im Gebiet Kursk mehrere Tausend Soldaten ein.") == [
        ("north-korea", "kursk-oblast", "asserted")]
    assert deployments("Nordkorea setzte im Gebiet Kursk neue Wahlen an.") == []


def test_subject_after_the_verb() -> None:
    assert deployments("Seit Oktober schickt Nordkorea Soldaten in das Gebiet Kursk.") == [
        ("north-korea", "kursk-oblast", "asserted")]
    assert deployments("Seit Oktober schickt Nordkorea Briefe in das Gebiet Kursk.") == []


def test_clause_final_verb_and_a_city_the_gazetteer_does_not_know() -> None:
    found = deployments("Der Sprecher sagte, dass russische Truppen nahe der Kleinstadt Nowohradiwka stehen.")
    assert [(d, p) for d, p, _ in found] == [("russia", "nowohradiwka")]
    assert deployments("Der Sprecher sagte, dass russische Raketen die Kleinstadt Nowohradiwka trafen.") == []


def test_passive_of_control_with_partly() -> None:
    assert deployments("Das Gebiet Kursk ist inzwischen teilweise von der Ukraine kontrolliert.") == [
        ("ukraine", "kursk-oblast", "asserted")]
    assert deployments("Das Gebiet Kursk wird weiterhin von der Ukraine beobachtet.") == []


def test_a_list_of_places_is_one_deployment_each() -> None:
    found = deployments("Die Dörfer Welykoje, Stare und Nowe seien von russischen Truppen erobert worden.")
    assert sorted(found) == [("russia", p, "asserted") for p in ("nowe", "stare", "welykoje")]
    assert deployments("Die Dörfer Stare und Nowe seien von einem Sturm verwüstet worden.") == []


def test_ground_attack_is_a_deployment_an_air_strike_is_not() -> None:
    assert deployments("Ein ukrainischer Vorstoß bei der Kleinstadt Sudscha dauert an.") == [
        ("ukraine", "sudscha", "asserted")]
    assert deployments("Ein russischer Luftangriff auf die Stadt Sumy tötete zwei Menschen.") == []


def test_shelling_from_a_distance_is_not_a_deployment() -> None:
    assert deployments("Die russische Armee beschießt die Kleinstadt Nowohradiwka mit Artillerie.") == []


def test_an_army_that_speaks_or_employs_sources_is_not_deployed() -> None:
    assert deployments("Das ukrainische Militär erwartet heftige Kämpfe im Gebiet Kursk.") == []
    assert deployments("Quellen im ukrainischen Militär sagten, das Gebiet Kursk sei ruhig.") == []


def test_there_refers_to_the_last_place() -> None:
    text = ("Russische Truppen stehen nahe der Kleinstadt Nowohradiwka. "
            "Die russische Armee hat dort weitere Einheiten zusammengezogen.")
    assert [p for _, p, _ in deployments(text)] == ["nowohradiwka", "nowohradiwka"]
    assert deployments("Die russische Armee hat dort weitere Einheiten zusammengezogen.") == []


def test_certainty_possible_and_denied() -> None:
    assert deployments("Russische Truppen könnten bald im Gebiet Kursk stehen.") == [
        ("russia", "kursk-oblast", "possible")]
    assert deployments("Es gebe keine russischen Truppen im Gebiet Kursk.") == [
        ("russia", "kursk-oblast", "denied")]


def test_a_government_publisher_is_the_claimant_not_an_outlet() -> None:
    """A German article published by a government (not a news outlet) claims its deployments itself; as
    ``kg:outlet`` SHACL would reject it and the whole article would be lost."""
    ex = extract_one(Article(id="kreml-de", language="de", outlet="Kremlin",
                             text="Russische Truppen stehen im Gebiet Kursk, sagte Putin."))
    claims = [c for c in ex.claims if isinstance(c.subject, Deployment)]
    assert claims and all(c.outlet is None for c in ex.claims)
    _graph, _entities, report = build_graphs(ex)
    assert report.conforms, report
    news = extract_one(Article(id="dlf-de", language="de", outlet="Deutschlandfunk",
                               text="Russische Truppen stehen im Gebiet Kursk."))
    assert all(c.outlet is not None and c.outlet.type is EntityType.OUTLET for c in news.claims)


def test_language_is_detected_before_parsing() -> None:
    text = "Die russischen Truppen stehen seit Wochen im Gebiet Kursk, sagte der Sprecher am Montag."
    assert detect_language(Article(id="x", text=text)) == "de"
    ex = extract_one(Article(id="x", text=text))
    assert ex.reduced_coverage
    assert [(c.subject.deployer.key, c.subject.location.key) for c in ex.claims
            if isinstance(c.subject, Deployment)] == [("russia", "kursk-oblast")]


def test_no_place_named_continues_the_deployers_last_place_for_a_few_sentences() -> None:
    first = "Russische Truppen stehen nahe der Kleinstadt Nowohradiwka. "
    assert [p for _, p, _ in deployments(first + "Der Bürgermeister bestätigte den russischen Angriff.")] == [
        "nowohradiwka", "nowohradiwka"]
    # another deployer, or too many sentences later: no place to continue
    assert [p for _, p, _ in deployments(first + "Der Bürgermeister bestätigte den ukrainischen Angriff.")] == [
        "nowohradiwka"]
    quiet = "Es regnete. Die Schulen blieben zu. Der Markt war leer. Die Busse fuhren nicht. "
    assert [p for _, p, _ in deployments(first + quiet + "Der Bürgermeister bestätigte den russischen Angriff.")] \
        == ["nowohradiwka"]


def test_an_attributive_participle_of_control_and_no_agent_as_place() -> None:
    found = deployments("Russische Soldaten stehen in der teilweise von der Ukraine kontrollierten Region Kursk.")
    assert sorted(found) == [("russia", "kursk-oblast", "asserted"), ("ukraine", "kursk-oblast", "asserted")]
    assert deployments("Das Gebiet Kursk wurde von der Ukraine informiert.") == []


def test_a_doubtful_guess_is_english_and_other_languages_get_names_only() -> None:
    assert detect_language(Article(id="x", text="Kursk, Sumy, Belgorod.")) == "en"
    french = ("Les troupes russes sont entrées dans la ville de Koursk mardi, a déclaré le ministère de la "
              "Défense, qui a ajouté que les combats continuaient dans toute la région.")
    assert detect_language(Article(id="x", text=french)) == "fr"
    ex = extract_one(Article(id="x", text=french))
    assert ex.reduced_coverage and not ex.claims


def test_where_forces_came_from_is_not_where_they_are() -> None:
    """'vom Gebiet X (aus)', 'aus X': an origin; the other place of the sentence is the deployment's."""
    assert deployments("Ukrainische Truppen sind vom Gebiet Sumy in das Gebiet Kursk vorgedrungen.") == [
        ("ukraine", "kursk-oblast", "asserted")]
    assert deployments("Von Belarus aus sind russische Truppen in die Ukraine eingedrungen.") == [
        ("russia", "ukraine", "asserted")]
    # "nördlich von X" places them there
    assert deployments("Russische Truppen stehen nördlich von Charkiw.") == [
        ("russia", "kharkiv-oblast", "asserted")]


def test_new_conflicts_presence_words_warships_bases_and_infinitives() -> None:
    """Presence without the older verbs: 'im Einsatz', 'unterhält Militärstützpunkte', warships, an infinitive
    after a modal, a compass region ('in den Süden des Libanon'), 'zum' before a place."""
    assert deployments("Die Bundeswehr ist mit etwa 1.000 Soldaten in Mali im Einsatz.") == [
        ("germany", "mali", "asserted")]
    assert deployments("Die Türkei unterhält Militärstützpunkte in Syrien.") == [("turkey", "syria", "asserted")]
    assert deployments("Die USA verlegen weitere Kriegsschiffe ins östliche Mittelmeer.") == [
        ("united-states", "mediterranean-sea", "asserted")]
    assert deployments("Russland könnte bald Truppen nach Belarus verlegen.") == [("russia", "belarus", "possible")]
    assert deployments("Israelische Truppen sind in den Süden des Libanon vorgerückt.") == [
        ("israel", "lebanon", "asserted")]
    # a weapons delivery is no deployment
    assert deployments("Russland liefert Waffen an die Armee von Mali.") == []


def test_an_armed_actor_holding_a_place_and_a_negated_control() -> None:
    assert deployments("Die Hisbollah kontrolliert den Süden des Libanon.") == [("hezbollah", "lebanon", "asserted")]
    assert deployments("Soldaten der russischen Armee stehen im Gebiet Kursk.") == [
        ("russia", "kursk-oblast", "asserted")]
    assert deployments("Das Gebiet Charkiw wird von Russland nicht kontrolliert.") == [
        ("russia", "kharkiv-oblast", "denied")]


def test_the_speakers_title_after_a_quote_names_no_place() -> None:
    assert deployments("„Die Streitkräfte der Ukraine halten ihre Stellungen“, schrieb der Gouverneur des "
                       "Gebietes Charkiw auf Telegram.") == []


def test_according_to_stops_at_the_verb() -> None:
    ex = extract_one(Article(id="t", language="de", outlet="Deutschlandfunk",
                             text="Nach Angaben der Nato befinden sich etwa 12.000 nordkoreanische Soldaten in "
                                  "Russland."))
    claims = [c for c in ex.claims if isinstance(c.subject, Deployment)]
    assert [[x.key for x in c.claimants] for c in claims] == [["nato"]]


def test_the_owner_inside_a_hyphenated_force_compound() -> None:
    assert deployments("US-Soldaten sind in Syrien stationiert.") == [("united-states", "syria", "asserted")]
    assert deployments("Wagner-Söldner kämpfen in Mali.") == [("wagner-group", "mali", "asserted")]
    # a compound whose first part is no actor owns nothing
    assert deployments("Elite-Soldaten sind in Syrien stationiert.") == []
