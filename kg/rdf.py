"""Extraction -> RDF: the article's named graph and the entity triples it adds to the shared entity graph.

Pure (no I/O), and deterministic: the same extraction always gives the same triples with the same IRIs,
so re-ingesting an article replaces its graph with an identical one.  Claims are n-ary nodes (not
RDF-star) and evidence is a W3C Web Annotation ``oa:SpecificResource`` with a quote and a position
selector, so that any SPARQL 1.1 server can answer "according to whom, and where does it say so?".
"""

from __future__ import annotations

from decimal import Decimal

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, PROV, RDF, SKOS, XSD

from kg import ns
from kg.model import Claim, Deployment, Entity, EntityType, Extraction, Statement
from kg.ns import KG, OA, SCHEMA
from kg.provenance import extractor_version, input_hash

CONTEXT_CHARS = 160  # oa:prefix / oa:suffix length: enough to show a claim's sentence in its context

ENTITY_CLASSES: dict[EntityType, URIRef] = {
    EntityType.STATE: KG.State,
    EntityType.ARMED_FORCE: KG.ArmedForce,
    EntityType.ARMED_GROUP: KG.ArmedGroup,
    EntityType.PERSON: KG.Person,
    EntityType.ORGANISATION: KG.Organisation,
    EntityType.OUTLET: KG.NewsOutlet,
    EntityType.LOCATION: KG.Location,
}
CERTAINTIES = {"asserted": KG.asserted, "possible": KG.possible, "denied": KG.denied}


def bind_prefixes(graph: Graph) -> Graph:
    """Give a graph kg's prefixes, for readable Turtle and TriG."""
    for prefix, namespace in {
        "kg": str(KG),
        "kgid": str(ns.ID),
        "oa": str(OA),
        "schema": str(SCHEMA),
        "skos": str(SKOS),
        "prov": str(PROV),
        "wd": str(ns.WD),
        "geo": str(ns.GEO),
    }.items():
        graph.bind(prefix, namespace, override=True)
    return graph


def entity_triples(entities: list[Entity], graph: Graph | None = None) -> Graph:
    """The canonical description of each entity: type, preferred and alternative labels, Wikidata link
    (``owl:sameAs wd:Q...``, from the gazetteer's QIDs).

    These triples depend only on the entity, never on the article, so any number of concurrent writers
    add the same facts and the entity graph stays consistent without locking; the one exception is the
    preferred label of an entity the gazetteer does not know, which is each article's own spelling: one
    per key here, and ``kg.judgements.settle_labels`` leaves one per entity across articles after an ingest.
    """
    graph = graph if graph is not None else Graph()
    preferred: dict[str, str] = {}  # one skos:prefLabel a key, even if two mentions of one article differ
    for entity in entities:
        iri = ns.entity_iri(entity.key)
        label = preferred.setdefault(entity.key, entity.label)
        graph.add((iri, RDF.type, ENTITY_CLASSES[entity.type]))
        graph.add((iri, SKOS.prefLabel, Literal(label)))
        for alt in (entity.label, *entity.labels):
            if alt != label:
                graph.add((iri, SKOS.altLabel, Literal(alt)))
        if entity.wikidata:
            graph.add((iri, OWL.sameAs, ns.WD[entity.wikidata]))
        if entity.iso_code:
            graph.add((iri, KG.isoCode, Literal(entity.iso_code)))
        if entity.latitude is not None and entity.longitude is not None:
            graph.add((iri, ns.GEO.lat, _degrees(entity.latitude)))
            graph.add((iri, ns.GEO.long, _degrees(entity.longitude)))
    return graph


def _degrees(value: float) -> Literal:
    """A coordinate as ``xsd:decimal`` to five places (about a metre): the same text on every backend and in
    every re-ingest, where a double's last digits could differ.  The text is the canonical form (XSD 1.1: no
    trailing zeros, no point for a whole number), which Oxigraph stores in place of the text it is given, so
    that a graph read back equals the graph written."""
    rounded = Decimal(f"{value:.5f}").normalize()
    return Literal(format(rounded if rounded else Decimal(0), "f"), datatype=XSD.decimal)


def article_graph(extraction: Extraction, *, derived: bool = True) -> Graph:
    """Everything extracted from one article, as the triples of its named graph; ``derived=False`` leaves out
    the derived short paths (:func:`add_derived` adds them), as kg.ingest validates the claims first."""
    article = extraction.article
    graph = bind_prefixes(Graph())
    art = ns.article_iri(article.id)
    graph.add((art, RDF.type, KG.Article))
    graph.add((art, SCHEMA.identifier, Literal(article.id)))
    if article.title:
        graph.add((art, SCHEMA.headline, Literal(article.title)))
    if article.published:
        graph.add((art, SCHEMA.datePublished, Literal(article.published, datatype=XSD.date)))
    if article.url:
        graph.add((art, SCHEMA.url, Literal(article.url, datatype=XSD.anyURI)))
    if article.language:
        graph.add((art, SCHEMA.inLanguage, Literal(article.language)))
    if article.outlet:
        graph.add((art, SCHEMA.publisher, Literal(article.outlet)))
    graph.add((art, KG.reducedCoverage, Literal(extraction.reduced_coverage)))
    for note in extraction.notes:
        graph.add((art, SCHEMA.comment, Literal(note)))
    graph.add((art, SCHEMA.wordCount, Literal(len(article.text.split()))))
    # what the graph was made from, so a re-run skips the article while neither changed (kg.provenance)
    graph.add((art, KG.inputHash, Literal(input_hash(article))))
    graph.add((art, KG.extractorVersion, Literal(extractor_version())))
    for n, claim in enumerate(extraction.claims):
        _add_claim(graph, extraction, n, claim)
    return add_derived(graph, extraction) if derived else graph


def add_derived(graph: Graph, extraction: Extraction) -> Graph:
    """Add every claim's derived short paths (``_add_derived``) to ``graph``, the article's graph; returns it."""
    labels: dict[str, str] = {}  # as the entity graph gets them: the first label of each key
    for entity in extraction.entities:
        labels.setdefault(entity.key, entity.label)
    for n, claim in enumerate(extraction.claims):
        _add_derived(graph, extraction, n, claim, labels)
    return graph


def _add_claim(graph: Graph, extraction: Extraction, n: int, claim: Claim) -> None:
    doc_id = extraction.article.id
    art = ns.article_iri(doc_id)
    node = ns.claim_iri(doc_id, n)
    subject = claim.subject
    graph.add((node, RDF.type, KG.Claim))
    if isinstance(subject, Deployment):
        subj = ns.subject_iri(doc_id, n, "deployment")
        graph.add((subj, RDF.type, KG.Deployment))
        graph.add((subj, KG.deployer, ns.entity_iri(subject.deployer.key)))
        graph.add((subj, KG.location, ns.entity_iri(subject.location.key)))
        for number, value in _numbers(subject):
            graph.add((subj, number, value))
        if subject.on_behalf_of is not None:
            graph.add((subj, KG.onBehalfOf, ns.entity_iri(subject.on_behalf_of.key)))
    elif isinstance(subject, Statement):
        subj = ns.subject_iri(doc_id, n, "statement")
        graph.add((subj, RDF.type, KG.Statement))
        graph.add((subj, KG.speaker, ns.entity_iri(subject.speaker.key)))
        if subject.date is not None:
            graph.add((subj, KG.date, Literal(subject.date, datatype=XSD.date)))
        if subject.place is not None:
            graph.add((subj, KG.place, ns.entity_iri(subject.place.key)))
    graph.add((node, KG.subject, subj))
    graph.add((node, KG.article, art))
    graph.add((node, KG.certainty, CERTAINTIES[claim.certainty.value]))
    for claimant in claim.claimants:
        graph.add((node, KG.claimant, ns.entity_iri(claimant.key)))
    if claim.outlet is not None:
        graph.add((node, KG.outlet, ns.entity_iri(claim.outlet.key)))

    text = extraction.article.text
    span = claim.span
    evidence = ns.evidence_iri(doc_id, n)
    quote = ns.evidence_iri(doc_id, n, "quote")
    position = ns.evidence_iri(doc_id, n, "position")
    graph.add((node, KG.evidence, evidence))
    graph.add((evidence, RDF.type, OA.SpecificResource))
    graph.add((evidence, OA.hasSource, art))
    graph.add((evidence, OA.hasSelector, quote))
    graph.add((evidence, OA.hasSelector, position))
    graph.add((quote, RDF.type, OA.TextQuoteSelector))
    graph.add((quote, OA.exact, Literal(span.text)))
    graph.add((quote, OA.prefix, Literal(text[max(0, span.start - CONTEXT_CHARS) : span.start])))
    graph.add((quote, OA.suffix, Literal(text[span.end : span.end + CONTEXT_CHARS])))
    graph.add((position, RDF.type, OA.TextPositionSelector))
    graph.add((position, OA.start, Literal(span.start, datatype=XSD.integer)))
    graph.add((position, OA.end, Literal(span.end, datatype=XSD.integer)))


#: the claim's copy of each of its deployment's numbers (``kg:derivedFrom`` in ontology/kg.ttl)
DERIVED_NUMBERS = {
    KG.troopsMin: KG.claimTroopsMin,
    KG.troopsMax: KG.claimTroopsMax,
    KG.approximate: KG.claimApproximate,
    KG.since: KG.claimSince,
}


def _numbers(deployment: Deployment) -> list[tuple[URIRef, Literal]]:
    """The deployment's troop numbers, whether they are approximate, and its start, as the n-ary
    deployment's properties: one place for both the deployment node and the claim's derived copy."""
    found: list[tuple[URIRef, Literal]] = []
    if deployment.troops_min is not None:
        found.append((KG.troopsMin, Literal(deployment.troops_min, datatype=XSD.integer)))
    if deployment.troops_max is not None:
        found.append((KG.troopsMax, Literal(deployment.troops_max, datatype=XSD.integer)))
    if deployment.troops_min is not None or deployment.troops_max is not None:
        found.append((KG.approximate, Literal(deployment.approximate)))
    if deployment.since is not None:
        found.append((KG.since, Literal(deployment.since, datatype=XSD.date)))
    return found


def _add_derived(graph: Graph, extraction: Extraction, n: int, claim: Claim, labels: dict[str, str]) -> None:
    """The claim's "truthy" short paths, as Wikidata writes a direct triple beside each full statement.

    Each is a copy of what the n-ary claim already says, reachable from the claim (or the article) in one
    step: the subject's type, roles and numbers, the entities' labels, the evidence text and offsets and the
    article's identifier, date and headline; a sorted ``"; "``-joined string of the claimants' labels; and
    ``kg:involves`` / ``kg:mentionsActor`` edges from the claim and the article to every entity they name;
    and ``kg:claimDay`` from each entity the claim involves to the article's date (``""`` when it has none,
    the key an undated claim sorts by), which lets a page of an entity's claims start from its first days.
    They live in the article's named graph, so replacing or deleting the article replaces or deletes them
    with it, and the named queries start from the most selective bound term and join one claim's row in
    index lookups instead of chains of OPTIONALs.  ``ontology/kg.ttl`` says what each is derived from
    (``kg:derivedFrom``); ``tests/test_derived.py`` checks on real extractions that they agree.
    """
    article = extraction.article
    art = ns.article_iri(article.id)
    node = ns.claim_iri(article.id, n)
    subject = claim.subject

    def role(iri_property: URIRef, label_property: URIRef, entity: Entity | None) -> None:
        if entity is None:
            return
        iri = ns.entity_iri(entity.key)
        graph.add((node, iri_property, iri))
        graph.add((node, label_property, Literal(labels.get(entity.key, entity.label))))
        graph.add((node, KG.involves, iri))

    actors: list[Entity] = []
    if isinstance(subject, Deployment):
        graph.add((node, KG.subjectType, KG.Deployment))
        role(KG.claimDeployer, KG.deployerLabel, subject.deployer)
        role(KG.claimLocation, KG.locationLabel, subject.location)
        role(KG.claimOnBehalfOf, KG.onBehalfOfLabel, subject.on_behalf_of)
        for number, value in _numbers(subject):
            graph.add((node, DERIVED_NUMBERS[number], value))
        actors += [subject.deployer] + ([subject.on_behalf_of] if subject.on_behalf_of is not None else [])
    elif isinstance(subject, Statement):
        graph.add((node, KG.subjectType, KG.Statement))
        role(KG.claimSpeaker, KG.speakerLabel, subject.speaker)
        role(KG.claimPlace, KG.placeLabel, subject.place)
        if subject.date is not None:
            graph.add((node, KG.claimDate, Literal(subject.date, datatype=XSD.date)))
        actors.append(subject.speaker)
    for claimant in claim.claimants:
        graph.add((node, KG.involves, ns.entity_iri(claimant.key)))
    if claim.claimants:
        names = sorted({labels.get(c.key, c.label) for c in claim.claimants})
        graph.add((node, KG.claimantNames, Literal("; ".join(names))))
    role(KG.outlet, KG.outletLabel, claim.outlet)
    actors += [*claim.claimants, *([claim.outlet] if claim.outlet is not None else [])]
    for actor in actors:
        graph.add((art, KG.mentionsActor, ns.entity_iri(actor.key)))

    span = claim.span
    text = article.text
    graph.add((node, KG.evidenceText, Literal(span.text)))
    graph.add((node, KG.evidencePrefix, Literal(text[max(0, span.start - CONTEXT_CHARS) : span.start])))
    graph.add((node, KG.evidenceSuffix, Literal(text[span.end : span.end + CONTEXT_CHARS])))
    graph.add((node, KG.evidenceStart, Literal(span.start, datatype=XSD.integer)))
    graph.add((node, KG.evidenceEnd, Literal(span.end, datatype=XSD.integer)))
    graph.add((node, KG.docId, Literal(article.id)))
    if article.published:
        graph.add((node, KG.published, Literal(article.published, datatype=XSD.date)))
    if article.title:
        graph.add((node, KG.headline, Literal(article.title)))
    # the day key an entity's page sorts its claims by, on the entity, so that a first page reads the entity's
    # days (one index range) and then only the claims of its first days, never every claim's date
    day = Literal(article.published, datatype=XSD.date) if article.published else Literal("")
    for entity in graph.objects(node, KG.involves):
        graph.add((entity, KG.claimDay, day))
