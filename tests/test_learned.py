"""The learned deployment filter: candidates proposed from a written sentence, the weights applied from
plain JSON, the shipped model switched off when it does not pay, and a fit that is deterministic."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.extract import extract, extract_candidates
from kg.extract.learned import MODEL_FILE, Candidates, DeploymentFilter, features
from kg.model import Article, Deployment, Extraction

from .conftest import shared_dir

TEXT = ("Russian troops were seen near the Kursk region on Monday, the ministry said. "
        "The weather in Ukraine was mild.")


def _candidates() -> Candidates:
    [c] = extract_candidates([Article(id="learned-t", text=TEXT, outlet="CNN", language="en")])
    return c


def test_proposals_pair_an_actor_and_a_place_within_one_sentence_only() -> None:
    c = _candidates()
    pairs = {(d.subject.deployer.key, d.subject.location.key) for d in c.deployments()
             if isinstance(d.subject, Deployment)}
    assert ("russia", "kursk-oblast") in pairs
    assert ("russia", "ukraine") not in pairs  # Ukraine is named in the other sentence
    assert len(c.parse_features) == len(c.deployments()) == len(features(c))


def test_weights_decide_what_is_kept() -> None:
    c = _candidates()
    names = ["proposed"]
    keep_all = {"features": names, "weights": [0.0], "bias": 1.0, "threshold": 0.5}
    rules_only = {"features": names, "weights": [-5.0], "bias": 1.0, "threshold": 0.5}
    none = {"features": names, "weights": [0.0], "bias": -5.0, "threshold": 0.5}
    f = DeploymentFilter()
    n_rules = len(c.deployments()) - len(c.proposals)
    assert len([x for x in f.apply(keep_all, c).claims if isinstance(x.subject, Deployment)]) == len(c.deployments())
    assert len([x for x in f.apply(rules_only, c).claims if isinstance(x.subject, Deployment)]) == n_rules
    assert not [x for x in f.apply(none, c).claims if isinstance(x.subject, Deployment)]
    statements = [x for x in c.extraction.claims if not isinstance(x.subject, Deployment)]
    assert [x for x in f.apply(none, c).claims] == statements  # statements are never the filter's


def test_a_model_not_enabled_is_not_applied() -> None:
    import json

    shipped = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    assert {"features", "weights", "bias", "threshold", "enabled"} <= shipped.keys()
    assert len(shipped["features"]) == len(shipped["weights"])
    article = Article(id="learned-t", text=TEXT, outlet="CNN", language="en")
    rules = next(iter(extract([article], fitted=False)))
    if shipped["enabled"]:
        assert DeploymentFilter().shipped() == shipped
    else:
        assert DeploymentFilter().shipped() is None
        assert next(iter(extract([article]))).claims == rules.claims


def test_fit_is_deterministic_on_the_gold() -> None:
    gold = shared_dir("gold")
    corpus = shared_dir("corpus")
    from kg.evaluate import _articles

    ids = {"ap-2024-israeli-airstrikes-beirut-suburbs-syria-crossing",
           "cnn-2024-03-04-red-sea-cables-have-been-damaged", "pen0-2024-08-29-after-wagner"}
    articles = sorted(_articles([corpus], ids), key=lambda a: a.id)
    if len(articles) < len(ids):
        pytest.skip("the gold articles are not all in ../shared/corpus")
    raw = list(extract_candidates(articles))
    a = DeploymentFilter().fit(raw, Path(gold))
    b = DeploymentFilter().fit(raw, Path(gold))
    assert a == b and a["candidates"] == sum(len(c.deployments()) for c in raw)


def test_empty_article_has_no_candidates() -> None:
    assert features(Candidates(Extraction(article=Article(id="e", text="x")))) == []
