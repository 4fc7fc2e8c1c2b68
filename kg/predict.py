"""An ``Extraction`` in the prediction format of ``../shared/eval/score.py``.

Entity ids are the canonical keys; labels are the entity's preferred label and the surface forms seen in the
article, so the scorer can map them to its own keys; ``wikidata`` is given where the gazetteer knows it.

>>> from kg.model import Article, Extraction
>>> to_prediction(Extraction(article=Article(id="a1", text="x")))
{'id': 'a1', 'entities': [], 'deployments': [], 'statements': []}
"""

from __future__ import annotations

from typing import Any

from kg.model import Deployment, Entity, Extraction, Statement


def _entity_json(entity: Entity, text: str) -> dict[str, Any]:
    """The entity with its preferred label and those of its aliases the article actually uses: a gazetteer
    alias the article never writes could only make the scorer's alias match ambiguous."""
    folded = text.casefold()
    seen = [a for a in entity.labels if a.casefold() in folded]
    labels = list(dict.fromkeys([entity.label, *seen]))
    out: dict[str, Any] = {"id": entity.key, "labels": labels, "type": entity.type.value}
    if entity.wikidata:
        out["wikidata"] = entity.wikidata
    return out


def to_prediction(extraction: Extraction) -> dict[str, Any]:
    """The scorer's prediction object for one article: ``{"id", "entities": [{"id", "labels", "type",
    "wikidata"?}], "deployments": [...], "statements": [...]}``.
    """
    entities: dict[str, Entity] = {}

    def ref(entity: Entity) -> str:
        old = entities.get(entity.key)
        if old is None:
            entities[entity.key] = entity
        else:
            labels = tuple(dict.fromkeys((*old.labels, *entity.labels)))
            entities[entity.key] = Entity(key=old.key, label=old.label, type=old.type, labels=labels,
                                          wikidata=old.wikidata or entity.wikidata, iso_code=old.iso_code)
        return entity.key

    deployments: list[dict[str, Any]] = []
    statements: list[dict[str, Any]] = []
    for claim in extraction.claims:
        subject = claim.subject
        if isinstance(subject, Deployment):
            troops_max = subject.troops_max if subject.troops_max != subject.troops_min else None
            deployments.append({
                "deployer": ref(subject.deployer),
                "location": ref(subject.location),
                "troops": subject.troops_min,
                "troops_max": troops_max,
                "certainty": claim.certainty.value,
                "claimants": list(dict.fromkeys(ref(c) for c in claim.claimants)),
                "evidence": claim.span.text,
            })
        elif isinstance(subject, Statement):
            statements.append({"speaker": ref(subject.speaker), "evidence": claim.span.text})
    return {
        "id": extraction.article.id,
        "entities": [_entity_json(e, extraction.article.text) for e in entities.values()],
        "deployments": deployments,
        "statements": statements,
    }
