"""``make train``: fit the learned decision layer (``kg.extract.learned``) on the gold and ship it as JSON.

    python -m kg.train --gold ../shared/gold --corpus ../shared/corpus --corpus seeds

Labels come from the shared scorer's own matching (``GOLD/../eval/score.py``, imported, not copied): a
candidate is positive when a gold deployment (required or optional) has its deployer and place keys and
overlapping evidence.  The model is a scikit-learn ``LogisticRegression`` (L2, liblinear, fixed seed: the same
gold gives the same weights); its threshold is the one that maximises deployment F1 on the training articles,
counting the gold the rules never found as misses.  The model is written ``enabled`` only when, fitted
out-of-fold (``kg.evaluate``'s five folds), it beats the rules alone on the headline: a layer that does not
pay is shipped switched off, with its figures, rather than not at all.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from kg.extract.learned import Candidates
from kg.model import Extraction

C = 0.3  # inverse L2 strength: strong, for a few hundred candidates


_SCORER_PATHS: dict[Path, Path] = {}


def use_scorer(gold: Path, script: Path) -> None:
    """Label the candidates of ``gold`` with this ``score.py`` (default: ``GOLD/../eval/score.py``)."""
    _SCORER_PATHS[gold.resolve()] = script


@cache
def _scorer(gold: Path) -> ModuleType:
    path = _SCORER_PATHS.get(gold.resolve(), gold.parent / "eval" / "score.py")
    spec = importlib.util.spec_from_file_location("kg_gold_score", path)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(f"{path}: the shared scorer is needed to label candidates")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@cache
def _lexicon(gold: Path) -> Any:
    return _scorer(gold).Lexicon(gold / "entities.json")


def labels(candidates: Candidates, gold: Path) -> tuple[list[int], list[bool], int]:
    """For each deployment candidate (``Candidates.deployments()``): 1 when it matches a gold deployment
    (required or optional), else 0; which of them match required gold; and the number of required gold
    deployments of the article."""
    from kg.predict import to_prediction

    extraction = Extraction(article=candidates.extraction.article, claims=candidates.deployments())
    score = _scorer(gold)
    path = gold / f"{extraction.article.id}.json"
    if not path.is_file():
        n = len(extraction.claims)
        return [0] * n, [False] * n, 0
    r, data = score.read_article_file(path)
    gold_doc = score.parse_gold(r, data, _lexicon(gold))
    pred_doc = score.parse_pred(score.Reader("prediction"), to_prediction(extraction), _lexicon(gold))
    article = score.Article(data.get("text") if isinstance(data.get("text"), str) else extraction.article.text)
    out: list[int] = []
    required: list[bool] = []
    for p in pred_doc.deployments:
        hits = [g for g in gold_doc.deployments if g.keys == p.keys and article.overlap(g.evidence, p.evidence) > 0]
        out.append(1 if hits else 0)
        required.append(any(not g.optional for g in hits))
    return out, required, sum(1 for g in gold_doc.deployments if not g.optional)


def fit_deployment_filter(candidates: Sequence[Candidates], gold: Path) -> dict[str, Any]:
    """The filter's parameters fitted on these articles' candidates; ``enabled`` is left to the caller."""
    from sklearn.linear_model import LogisticRegression

    from kg.extract.learned import features

    rows: list[dict[str, float]] = []
    y: list[int] = []
    required: list[bool] = []
    total_required = 0
    for article in candidates:
        f = features(article)
        lab, req, n = labels(article, gold)
        rows += f
        y += lab
        required += req
        total_required += n
    names = sorted({name for row in rows for name in row})
    params: dict[str, Any] = {"features": names, "weights": [0.0] * len(names), "bias": 0.0, "threshold": 0.0,
                              "trained_on": len(candidates), "candidates": len(rows)}
    if len(set(y)) < 2:
        return params  # nothing to learn: keep every candidate
    x = [[row.get(name, 0.0) for name in names] for row in rows]
    model = LogisticRegression(C=C, solver="liblinear", random_state=0, max_iter=1000)
    model.fit(x, y)
    probabilities = model.predict_proba(x)[:, 1]
    params["weights"] = [round(float(w), 6) for w in model.coef_[0]]
    params["bias"] = round(float(model.intercept_[0]), 6)
    params["threshold"] = _best_threshold(list(probabilities), y, required, total_required)
    return params


def _best_threshold(p: list[float], y: list[int], required: list[bool], total_required: int) -> float:
    """The threshold that maximises deployment F1 over the training articles: a kept candidate matching
    required gold is a true positive, one matching nothing a false positive, and required gold not kept
    (or never found) a miss; candidates matching optional gold count for nothing."""
    best, best_f1 = 0.0, -1.0
    for t in sorted({0.0, *p}):
        tp = sum(1 for pi, r in zip(p, required, strict=True) if pi >= t and r)
        fp = sum(1 for pi, yi in zip(p, y, strict=True) if pi >= t and not yi)
        fn = total_required - tp
        f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0
        if f1 > best_f1 + 1e-9:
            best, best_f1 = t, f1
    return round(best, 6)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--gold", type=Path, required=True)
    parser.add_argument("--corpus", type=Path, action="append", default=[])
    parser.add_argument("--out", type=Path, default=None, help="model file (default: the package's)")
    args = parser.parse_args(argv)

    from kg.evaluate import _articles, fold_of, out_of_fold
    from kg.extract import extract_candidates
    from kg.extract.learned import MODEL_FILE, DeploymentFilter

    wanted = {p.stem for p in args.gold.glob("*.json") if p.name != "entities.json"}
    corpora = args.corpus or [args.gold.parent / "corpus", args.gold.parent / "seeds"]
    articles = sorted(_articles(corpora, wanted), key=lambda a: a.id)
    raw = list(extract_candidates(articles))
    part = DeploymentFilter()
    oof = out_of_fold(raw, args.gold, [part], fold_of([a.id for a in articles]))
    rules_headline = _headline(args.gold, [c.extraction for c in raw])
    oof_headline = _headline(args.gold, oof)
    params = part.fit(raw, args.gold)
    params["enabled"] = oof_headline > rules_headline
    params["evaluation"] = {"rules_alone_headline": round(rules_headline, 4),
                            "out_of_fold_headline": round(oof_headline, 4)}
    out = args.out or MODEL_FILE
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(params, indent=1) + "\n", encoding="utf-8")
    print(f"deployment filter fitted on {len(raw)} articles ({params['candidates']} candidates) -> {out}\n"
          f"headline rules alone {rules_headline:.3f}, out-of-fold with the filter {oof_headline:.3f}: "
          + ("enabled" if params["enabled"] else "NOT enabled (it does not pay out-of-fold)"))
    return 0


def _headline(gold: Path, extractions: Sequence[Extraction]) -> float:
    """The scorer's micro headline of these extractions over their gold articles (scored in memory, with
    the scorer's own functions)."""
    from kg.predict import to_prediction

    score = _scorer(gold)
    total = {name: score.Count() for name in score.METRICS}
    for extraction in extractions:
        path = gold / f"{extraction.article.id}.json"
        if not path.is_file():
            continue
        r, data = score.read_article_file(path)
        gold_doc = score.parse_gold(r, data, _lexicon(gold))
        pred_doc = score.parse_pred(score.Reader("prediction"), to_prediction(extraction), _lexicon(gold))
        text = data["text"] if isinstance(data.get("text"), str) else extraction.article.text
        s, _errors = score.score_article(gold_doc, pred_doc, score.Article(text))
        for name in total:
            total[name] += s[name]
    return float(score.headline(total))


if __name__ == "__main__":
    raise SystemExit(main())
