"""Deployment rules: each pattern on a sentence written for the test, and a sentence where it must not fire."""

from __future__ import annotations

import datetime as dt

import pytest

from kg.extract import extract_one
from kg.model import Article, Deployment, Extraction


def run(text: str, *, outlet: str = "CNN", title: str | None = None) -> Extraction:
    return extract_one(Article(id="t", text=text, title=title, outlet=outlet, published=dt.date(2024, 5, 2),
                               language="en"))


def found(text: str, **kw: str) -> list[tuple[str, str]]:
    return sorted((c.subject.deployer.key, c.subject.location.key) for c in run(text, **kw).claims
                  if isinstance(c.subject, Deployment))


@pytest.mark.parametrize(("text", "expected"), [
    # coordinated owners of one force word
    ("American and French troops are stationed in Niger.", [("france", "niger"), ("united-states", "niger")]),
    # coordinated subjects of a presence verb
    ("Rwanda and Uganda sent troops into Congo last spring.",
     [("rwanda", "congo"), ("uganda", "congo")]),
    # military assets based somewhere put their owner there
    ("Chinese warplanes used to be based in Cambodia during the exercise.", [("china", "cambodia")]),
    # a reduced relative clause: the head noun is the subject
    ("Turkish troops stationed in Qatar took part in the parade.", [("turkey", "qatar")]),
    # a presence noun with its agent after "by"
    ("Diplomats protested the troop deployments by Belarus to Kazakhstan.", [("belarus", "kazakhstan")]),
    # the owner of the noun an infinitive completes
    ("Hungary's decision to deploy soldiers to Chad was criticised.", [("hungary", "chad")]),
    # a compass word makes a region of the state
    ("Israeli troops remain in southern Lebanon.", [("israel", "southern-lebanon")]),
])
def test_pattern_fires(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected, found(text)


@pytest.mark.parametrize("text", [
    "American troops and French diplomats arrived in Niger.",  # diplomats are no forces: France is not there
    "Rwanda and Uganda sent aid to Congo last spring.",  # aid is not a deployment
    "Chinese warplanes were sold to Cambodia last year.",  # a sale is not a basing
    "Hungary's decision to send money to Chad was criticised.",  # money is not troops
])
def test_pattern_does_not_fire(text: str) -> None:
    keys = found(text)
    assert ("france", "niger") not in keys and all(d not in ("rwanda", "uganda", "china", "hungary")
                                                   for d, _ in keys), keys


def test_compass_word_inside_a_state_name_is_the_state() -> None:
    assert found("South African troops are in Mozambique.") == [("south-africa", "mozambique")]


def test_markup_residue_keeps_the_troop_count() -> None:
    # an HTML export left '">' between the number and the force word
    ex = run('The minister said that about 4,000 Belarusian "> Soldiers stay in the border region of Poland.')
    deps = [c.subject for c in ex.claims if isinstance(c.subject, Deployment)]
    assert [(d.deployer.key, d.troops_min) for d in deps] == [("belarus", 4000)], deps


def test_we_in_a_government_transcript_is_its_state() -> None:
    text = "MR. KIRBY:  We have added more forces in Jordan this week.\n"
    assert found(text, outlet="The White House (briefing transcript)") == [("united-states", "jordan")]


def test_we_in_a_news_article_is_nobody() -> None:
    assert found("We have added more forces in Jordan this week, the colonel said.") == []


def test_joint_statement_is_claimed_by_each_signatory() -> None:
    ex = run("We condemn the deployment of Belarusian troops to Kazakhstan.", outlet="The White House",
             title="Joint Statement of Japan, the Republic of Korea, and the United States")
    deps = [c for c in ex.claims if isinstance(c.subject, Deployment)]
    assert deps and sorted(e.key for e in deps[0].claimants) == ["japan", "south-korea", "united-states"], deps


@pytest.mark.parametrize(("text", "expected"), [
    # an X-led presence noun: the leader's forces
    ("The French-led mission in Mali ended in 2022.", [("france", "mali")]),
    # "NATO troops", "UN peacekeepers": an organisation's forces
    ("NATO troops are deployed in Kosovo.", [("nato", "kosovo")]),
    # a base is presence
    ("The drones took off from a Turkish base in Somalia.", [("turkey", "somalia")]),
    # an attack on a warship puts the warship's owner there
    ("A Dutch frigate in the Red Sea came under attack from drones.", [("netherlands", "red-sea")]),
])
def test_presence_pattern_fires(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected, found(text)


@pytest.mark.parametrize(("text", "absent"), [
    # the attackers are not placed by an attack on others
    ("Iranian drones attacked a tanker in the Gulf of Oman.", "iran"),
    # nationals among irregular fighters are not their state's forces
    ("Pakistani fighters were recruited to fight in Syria.", "pakistan"),
    ("Shia fighters from Pakistan were sent to Syria.", "pakistan"),
    # "the invasion of X": X is the place, never the invader
    ("After the invasion of Afghanistan, Kabul turned to India.", "afghanistan"),
    # "there was" places nothing
    ("British forces were accused. There was gunfire near the gate.", "united-kingdom"),
])
def test_presence_pattern_does_not_fire(text: str, absent: str) -> None:
    assert all(d != absent for d, _ in found(text)), found(text)


def test_refusal_to_deploy_is_denied() -> None:
    ex = run("Berlin repeated its refusal to deploy German troops in Ukraine.")
    deps = [c for c in ex.claims if isinstance(c.subject, Deployment)]
    assert [(c.subject.deployer.key, c.subject.location.key, c.certainty.value) for c in deps] == [
        ("germany", "ukraine", "denied")], deps


def test_forces_acting_where_the_article_is() -> None:
    # salience: the place named most often so far, when the sentence names none
    text = ("Crowds gathered at Harbour Gate on Friday. Guards closed Harbour Gate at noon. "
            "Later, Dutch soldiers fired warning shots above the crowd.")
    assert found(text) == [("netherlands", "harbour-gate")], found(text)


def test_forces_not_acting_take_no_salient_place() -> None:
    text = ("Crowds gathered at Harbour Gate on Friday. Guards closed Harbour Gate at noon. "
            "Officials praised Dutch soldiers for their restraint. Dutch soldiers did not fire.")
    assert found(text) == [], found(text)


@pytest.mark.parametrize(("text", "expected"), [
    # a presence owned by the subject of a having verb
    ("Russia maintains a military presence in Transnistria.", [("russia", "transnistria")]),
    # "men in the country": the state last named
    ("Mali's junta hired Wagner. Wagner has about 1,500 men in the country.", [("wagner-group", "mali")]),
    # police sent abroad
    ("Kenyan police arrived in Port-au-Prince on Tuesday.", [("kenya", "port-au-prince")]),
    # "led a coalition in X": each leader
    ("The United States and France have led a coalition in the Sahel.",
     [("france", "sahel"), ("united-states", "sahel")]),
    # an unknown name with rebels is an armed group, and the town it seized is a place
    ("The M23 rebels seized Goma.", [("m23", "goma")]),
    # passive stationing needs no object
    ("Chinese coast guard vessels were positioned near Second Thomas Shoal.", [("china", "second-thomas-shoal")]),
])
def test_new_conflict_pattern_fires(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected, found(text)


@pytest.mark.parametrize("text", [
    "Russia maintains a trade presence in Transnistria.",  # trade, not forces: no force word or ground object
    "Pakistani Shia fighters were recruited for the war.",  # a faith and a nationality are no armed group
    "Kenyan officials arrived in Port-au-Prince on Tuesday.",  # officials are not forces
    "The M23 rebels denied the report.",  # no place
])
def test_new_conflict_pattern_does_not_fire(text: str) -> None:
    assert found(text) == [], found(text)


def test_an_armed_group_claiming_attacks_operates_there() -> None:
    keys = found("JNIM claimed attacks in the Mopti region.")
    assert keys == [("jnim", "mopti-region")], keys
    assert found("The ministry claimed progress in the Mopti region.") == []


def test_calling_for_forces_places_none() -> None:
    assert found("Warsaw called for more NATO troops in Poland.") == []
    # the forces themselves calling for something are still there
    assert found("NATO troops in Poland called for calm.") == [("nato", "poland")]


def test_an_attack_on_forces_places_the_victims_not_the_attackers() -> None:
    assert found("Houthi fighters attacked American troops in Syria.") == [("united-states", "syria")]
    # attackers who are not attacking forces keep their place
    assert found("Houthi fighters attacked the port in Hodeidah.") == [("houthis", "hodeidah")]


def test_deployment_of_troops_belongs_to_the_possessor_before_it() -> None:
    text = "Ministers condemned Belarus's support for Russia's war, including the deployment of troops to Russia."
    assert found(text) == [("belarus", "russia")], found(text)
    # a possessor that is the place itself is not the deployer
    assert found("Ministers discussed Russia's war, including the deployment of troops to Russia.") == []


def test_the_region_is_a_place_named_nearby() -> None:
    near = "Talks opened in the Sahel on Monday. Chadian troops are now in the region."
    assert found(near) == [("chad", "sahel")], found(near)
    filler = " ".join(["The delegates then discussed trade, fisheries, schools and roads at length."] * 16)
    far = "Talks opened in the Sahel on Monday. " + filler + " Chadian troops are now in the region."
    assert found(far) == [], found(far)


def test_an_armed_group_kept_or_sent_somewhere_is_there() -> None:
    assert found("Bamako insisted on keeping Wagner in Mali.") == [("wagner-group", "mali")]
    assert found("Bamako insisted on keeping Wagner out of politics.") == []


def test_the_country_is_the_state_named_not_a_demonym() -> None:
    text = "Mali's junta met Russian envoys. Bamako insisted on keeping Wagner in the country."
    assert found(text) == [("wagner-group", "mali")], found(text)


def test_a_list_of_places_is_one_deployment_each() -> None:
    # the parser often breaks a list of places; the surface list ending in "and" still holds them all
    text = "Observers noted the presence of the Wagner Group in Burkina Faso, Chad, and Niger this year."
    assert found(text) == [("wagner-group", "burkina-faso"), ("wagner-group", "chad"), ("wagner-group", "niger")]
    # a list that is not closed by "and" or "or" is no list: "Niger" is the speaker here
    assert found("Russian troops fought in Chad, Niger said on Monday.") == [("russia", "chad")]


@pytest.mark.parametrize(("text", "expected"), [
    # a place taken: "took Goma", "took control of Avdiivka"
    ("Hezbollah fighters took the town of Qusayr.", [("hezbollah", "qusayr")]),
    ("Russian troops took control of Avdiivka.", [("russia", "avdiivka")]),
    # a participle clause shares its subject: losing men while taking a town
    ("Hezbollah lost dozens of men while taking the town of Qusayr.", [("hezbollah", "qusayr")]),
    # "What we are doing is operating in ...": the doer, in a government's transcript
    ("MR. KIRBY:  What we are doing is operating in the Red Sea with partners.\n", [("united-states", "red-sea")]),
    # the forces ordered to move: "directed the U.S. military to flow assets into ..."
    ("I directed the U.S. military to flow assets into Jordan last year.", [("united-states", "jordan")]),
])
def test_taking_and_ordering_fire(text: str, expected: list[tuple[str, str]]) -> None:
    outlet = "The White House (briefing transcript)" if text.startswith("MR.") else "CNN"
    assert found(text, outlet=outlet) == expected, found(text, outlet=outlet)


@pytest.mark.parametrize("text", [
    "Ukraine took Russia to court in The Hague.",  # a state taken to court is no place taken
    "Hezbollah took part in the talks in Doha.",  # taking part places nobody
    "Iran and Pakistan are engaged in geopolitical competition in Asia.",  # engaged in no fighting
    "I directed the U.S. ambassador to fly to Jordan last year.",  # an ambassador is no force
])
def test_taking_and_ordering_do_not_fire(text: str) -> None:
    assert found(text) == [], found(text)


def test_fire_from_forces_and_forces_ordered_take_the_place_named_just_before() -> None:
    text = ("Crowds gathered at North Gate on Friday. "
            "Witnesses said there was gunfire from Dutch and Belgian troops after the blast.")
    assert found(text) == [("belgium", "north-gate"), ("netherlands", "north-gate")], found(text)
    text = "Crowds gathered at North Gate on Friday. A sergeant ordered Dutch troops into position after the blast."
    assert found(text) == [("netherlands", "north-gate")], found(text)
    # forces merely acting (not fired from, not ordered) need a place the article keeps naming
    assert found("Crowds gathered at North Gate on Friday. Dutch troops fire rifles by the hundred.") == []
    # praise is no fire: "fire" must come from the forces
    assert found("Crowds gathered at North Gate on Friday. Officials praised Dutch troops for their calm.") == []


def test_a_units_name_and_the_occupied_territories() -> None:
    text = ("Russia invaded Ukraine. By 2024 the Russian Operational Group in the occupied territories "
            "comprised 470,000 troops.")
    ex = run(text)
    deps = [(c.subject.deployer.key, c.subject.location.key, c.subject.troops_min) for c in ex.claims
            if isinstance(c.subject, Deployment)]
    assert ("russia", "ukraine", 470000) in deps, deps
    # a group that is no unit of forces owns no troops: a charity comprised of volunteers
    assert found("Russia invaded Ukraine. The Russian Charity Group in the occupied territories comprised 400 "
                 "volunteers.") == [("russia", "ukraine")]


@pytest.mark.parametrize(("text", "expected"), [
    # police officers sent abroad are forces
    ("Rwandan police officers arrived in Goma on Tuesday.", [("rwanda", "goma")]),
    # naval assets are where they act
    ("Vietnamese coast guard vessels shadowed the convoy near Scarborough Shoal.",
     [("vietnam", "scarborough-shoal")]),
    # joint patrols held somewhere, one deployment per state
    ("Australia and Japan held joint patrols in the South China Sea.",
     [("australia", "south-china-sea"), ("japan", "south-china-sea")]),
    # an alliance deploying under its own name, to each place of a list
    ("NATO has deployed battlegroups in Slovakia, Hungary and Romania.",
     [("nato", "hungary"), ("nato", "romania"), ("nato", "slovakia")]),
    # leading a battlegroup somewhere
    ("Canada leads the battlegroup in Latvia.", [("canada", "latvia")]),
    # a group losing men somewhere was there
    ("Hezbollah lost dozens of men near Qusayr.", [("hezbollah", "qusayr")]),
    # each base owned in a coordinated object
    ("Turkey maintains an air base in Somalia and a naval base in Qatar.",
     [("turkey", "qatar"), ("turkey", "somalia")]),
    # a branch named after its group
    ("The Islamic State Sahel Province operates in the Menaka region.", [("islamic-state", "menaka-region")]),
])
def test_new_conflict_presence_fires(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected, found(text)


@pytest.mark.parametrize("text", [
    "Rwandan tax officers arrived in Goma on Tuesday.",  # officers of no police force
    "Vietnamese fishing vessels were sold to Malaysia.",  # a sale, no naval action
    "NATO has deployed observers to the talks in Geneva.",  # observers are no ground object
    "Hezbollah lost the vote in Beirut.",  # a vote lost, no men
    "The Islamic State Sahel Province was named in a report from Menaka.",  # named, not operating
])
def test_new_conflict_presence_does_not_fire(text: str) -> None:
    assert found(text) == [], found(text)


def test_a_raid_by_an_armed_group_places_the_raiders() -> None:
    # an armed group killing or attacking in a town is there; a name called a militia is an armed group
    assert found("The ADF, an Islamist militia, killed 40 villagers in Beni.") == [("adf", "beni")]
    assert found("The Tiger Hand gang coalition attacked the town of Mirebalais.") == [
        ("tiger-hand", "mirebalais")]
    # a state attacking a city strikes from afar; an attack on forces places the attacked; shipping is at sea
    assert found("Russia attacked Kharkiv on Monday.") == []
    assert found("The ADF, an Islamist militia, attacked Congolese soldiers in Beni.") == [("congo", "beni")]
    assert found("The Houthis attacked commercial shipping in the Red Sea.") == []


def test_a_size_update_points_back_to_the_deployment_before() -> None:
    ex = run("Kenya sent 400 police officers to Haiti in June. The contingent has since grown to 1,000 officers.")
    deps = [(c.subject.deployer.key, c.subject.location.key, c.subject.troops_min) for c in ex.claims
            if isinstance(c.subject, Deployment)]
    assert deps == [("kenya", "haiti", 400), ("kenya", "haiti", 1000)], deps
    # a number that is no force's size points back to nothing
    ex = run("Kenya sent 400 police officers to Haiti in June. Since then 1,000 officers were trained in Nairobi.")
    deps = [(c.subject.deployer.key, c.subject.troops_min) for c in ex.claims if isinstance(c.subject, Deployment)]
    assert deps == [("kenya", 400)], deps


def test_a_count_after_a_preposition_is_read() -> None:
    ex = run("The army began the year with a force of 360,000 Belarusian troops in Kazakhstan.")
    deps = [(c.subject.deployer.key, c.subject.troops_min) for c in ex.claims if isinstance(c.subject, Deployment)]
    assert deps == [("belarus", 360000)], deps


def test_forces_sent_to_fight_a_state_are_sent_into_it() -> None:
    assert found("Belarus is sending troops to fight Lithuania.") == [("belarus", "lithuania")]
    assert found("Belarus is sending money to fight poverty.") == []


@pytest.mark.parametrize(("text", "expected"), [
    # an armed group showing up somewhere
    ("The Wagner Group appeared in Libya in 2019.", [("wagner-group", "libya")]),
    # the leader of a mission named as its subject, and a police force named after its state
    ("The Haitian National Police and the Kenyan-led support mission launched an operation in Port-au-Prince.",
     [("haiti", "port-au-prince"), ("kenya", "port-au-prince")]),
    ("The mission, led by Kenya, has 400 officers in Haiti.", [("kenya", "haiti")]),
    # a part of a place taken
    ("Israeli forces have seized the Syrian side of Mount Hermon.", [("israel", "mount-hermon")]),
])
def test_appearing_leading_and_parts_fire(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected, found(text)


@pytest.mark.parametrize("text", [
    "Russia appeared in court in The Hague.",  # a state appearing in court is no presence
    "The talks, led by Kenya, were held in Haiti.",  # talks led are no forces
    "Israeli forces have seized the side door of the building.",  # a part of no named place
])
def test_appearing_leading_and_parts_do_not_fire(text: str) -> None:
    assert found(text) == [], found(text)


def test_hosting_pushing_into_and_they_after_a_deployment() -> None:
    # the host is the place of the forces it hosts
    assert found("Romania hosts about 5,000 French troops.") == [("france", "romania")]
    assert found("Estonia will host a British brigade of 3,000 soldiers.") == [("united-kingdom", "estonia")]
    # forces pushing into a place are there; pushing for talks is not
    assert found("Israeli forces pushed deeper into southern Syria.") == [("israel", "southern-syria")]
    assert found("Israel pushed for talks in Geneva.") == []
    # "they" after a deployment whose subject is a state: those forces
    text = "Turkey has about 3,000 troops in Syria. They are based mainly in Idlib."
    assert found(text) == [("turkey", "idlib"), ("turkey", "syria")], found(text)
    # hosting talks hosts no forces
    assert found("Romania hosts talks with France in Bucharest.") == []


def test_warships_sent_are_deployed_weapons_delivered_are_not() -> None:
    assert found("The United States sent two aircraft carriers to Greece.") == [("united-states", "greece")]
    assert found("Germany sent two fighter squadrons to Lithuania.") == [("germany", "lithuania")]
    # tanks and air defence systems handed over are a weapons delivery, not a deployment
    assert found("Germany sent two tanks to Lithuania.") == []
    assert found("Norway delivered air defence systems to Lithuania.") == []


def test_goods_destined_for_forces_place_no_forces() -> None:
    assert found("Drones destined for the Polish army were on display in Lublin.") == []
    # forces a shortage is for are still where they are
    assert found("Ammunition for Polish troops in Lublin ran short.") == [("poland", "lublin")]
