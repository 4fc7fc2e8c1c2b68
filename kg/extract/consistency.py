"""One type for each entity of an article: the rules type an entity from its mention (the gazetteer, spaCy's
label, the role it plays), so a name the gazetteer does not know can be a place in one sentence and a person in
the next ("Local Call", an Israeli news site, as a speaker and as a deployment's location).  One key is one IRI,
and the entity graph gives it one type per article; the first mention's type used to win, and a speaker typed
a place then made SHACL reject the whole article, every sound claim with it.

Here each such key takes the type most of its mentions give (the first mention's on a tie), and a claim whose
role then holds an entity of a type that role cannot take (an actor role a place, a place role a person) is
dropped, with a note saying which and why: a mis-typed mention costs its own claim, not the article."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from kg.extract.pipeline import ACTOR_TYPES, PLACE_TYPES
from kg.model import Claim, Deployment, Entity, EntityType

#: the types each kind of role of a claim (``Claim.roles``) takes: the shapes' ``sh:class`` of the role
#: (ontology/shapes.ttl)
FITS = {"actor": ACTOR_TYPES, "place": PLACE_TYPES, "outlet": {EntityType.OUTLET}}


def one_type_per_entity(claims: list[Claim], notes: list[str]) -> list[Claim]:
    """``claims`` with every entity of a key typed alike (the type most of the key's mentions give), less the
    claims whose roles cannot take that type; each dropped claim is told in ``notes``."""
    votes: dict[str, Counter[EntityType]] = {}
    first: dict[str, EntityType] = {}
    for claim in claims:
        for _, entity in claim.roles():
            votes.setdefault(entity.key, Counter())[entity.type] += 1
            first.setdefault(entity.key, entity.type)
    chosen: dict[str, EntityType] = {}
    for key, count in votes.items():
        if len(count) > 1:
            chosen[key] = max(count, key=lambda kind: (count[kind], kind == first[key]))
    if not chosen:
        return claims
    kept = []
    for claim in claims:
        misfits = [(role, entity) for role, entity in claim.roles()
                   if entity.key in chosen and chosen[entity.key] not in FITS[role]]
        if misfits:
            role, entity = misfits[0]
            notes.append(f"dropped the claim at {claim.span.start}-{claim.span.end} ({claim.span.text[:60]!r}): "
                         f"{entity.label!r} is a {chosen[entity.key].value} in most of this article's mentions, "
                         f"which a claim's {role} cannot be")
            continue
        kept.append(_retyped(claim, chosen))
    return kept


def _retyped(claim: Claim, chosen: dict[str, EntityType]) -> Claim:
    def one(entity: Entity) -> Entity:
        kind = chosen.get(entity.key, entity.type)
        return entity if entity.type == kind else replace(entity, type=kind)

    def maybe(entity: Entity | None) -> Entity | None:
        return None if entity is None else one(entity)

    subject = claim.subject
    if isinstance(subject, Deployment):
        subject = replace(subject, deployer=one(subject.deployer), location=one(subject.location),
                          on_behalf_of=maybe(subject.on_behalf_of))
    else:
        subject = replace(subject, speaker=one(subject.speaker), place=maybe(subject.place))
    return replace(claim, subject=subject, claimants=tuple(one(c) for c in claim.claimants), outlet=maybe(claim.outlet))
