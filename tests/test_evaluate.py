"""make eval's honesty: genres from metadata, fixed folds, and fitted parts that never see their held-out fold."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from kg.evaluate import fold_of, genre_of, genre_rules, out_of_fold
from kg.extract.learned import Candidates
from kg.model import Article, Extraction


def test_genres_come_from_language_then_outlet() -> None:
    rules = genre_rules()
    assert genre_of(Article(id="a", text="x", language="de", outlet="The White House"), rules) == "German"
    assert genre_of(Article(id="b", text="x", language="en",
                            outlet="The White House (briefing transcript)"), rules) == "transcript/statement"
    assert genre_of(Article(id="c", text="x", language="en",
                            outlet="pen0 / agorahub (republished think-tank commentary)"), rules) == "commentary"
    assert genre_of(Article(id="d", text="x", language="en", outlet="Associated Press"), rules) == "news"
    assert genre_of(Article(id="e", text="x"), rules) == "news"


def test_folds_are_fixed_balanced_and_independent_of_input_order() -> None:
    ids = [f"article-{i}" for i in range(43)]
    folds = fold_of(ids)
    assert folds == fold_of(list(reversed(ids)))
    sizes = sorted(list(folds.values()).count(k) for k in range(5))
    assert sizes == [8, 8, 9, 9, 9]
    assert fold_of(ids, seed=12) != folds  # the seed is what fixes them


class _Remembers:
    """A fitted part whose 'parameters' are the ids it was fitted on; applying it notes them on the extraction."""

    name = "remembers"

    def fit(self, candidates: Sequence[Candidates], gold: Path) -> frozenset[str]:
        return frozenset(c.extraction.article.id for c in candidates)

    def apply(self, params: frozenset[str], candidates: Candidates) -> Extraction:
        extraction = candidates.extraction
        return Extraction(article=extraction.article, claims=extraction.claims,
                          notes=[*extraction.notes, ",".join(sorted(params))])

    def shipped(self) -> None:
        return None


def test_out_of_fold_never_fits_on_the_article_it_scores() -> None:
    raw = [Candidates(Extraction(article=Article(id=f"a{i}", text="x"))) for i in range(12)]
    folds = fold_of([c.extraction.article.id for c in raw])
    held_out = out_of_fold(raw, Path("."), [_Remembers()], folds)
    assert [e.article.id for e in held_out] == [c.extraction.article.id for c in raw]
    for e in held_out:
        trained_on = set(e.notes[-1].split(","))
        assert e.article.id not in trained_on
        assert trained_on == {i for i, k in folds.items() if k != folds[e.article.id]}


def test_make_eval_prints_genres_side_by_side_on_a_small_gold(tmp_path: Path) -> None:
    """kg.evaluate end to end on two articles written for the test, scored by the shared scorer."""
    import json

    from kg.evaluate import main

    from .conftest import shared_dir

    shared_gold = shared_dir("gold")
    gold = tmp_path / "gold"
    corpus = tmp_path / "corpus"
    gold.mkdir()
    corpus.mkdir()
    (gold / "entities.json").write_text((shared_gold / "entities.json").read_text(encoding="utf-8"),
                                        encoding="utf-8")
    articles = {
        "t-news": ("en", "CNN", "Russian troops are in the Kursk region, the ministry said on Monday."),
        "t-de": ("de", "Deutschlandfunk", "Russische Truppen stehen seit Wochen im Gebiet Kursk, sagte Putin."),
    }
    for article_id, (language, outlet, text) in articles.items():
        (corpus / f"{article_id}.json").write_text(json.dumps(
            {"id": article_id, "text": text, "language": language, "outlet": outlet}), encoding="utf-8")
        (gold / f"{article_id}.json").write_text(json.dumps({"id": article_id, "deployments": [
            {"deployer": "russia", "location": "kursk-oblast", "troops": None, "certainty": "asserted",
             "claimants": [["russia"]] if language == "en" else [["putin", "russia"]],
             "evidence": text}], "statements": []}), encoding="utf-8")
    out = tmp_path / "eval"
    assert main(["--gold", str(gold), "--corpus", str(corpus), "--out", str(out),
                 "--scorer", str(shared_gold.parent / "eval" / "score.py")]) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["genre_of"] == {"t-news": "news", "t-de": "German"}
    assert set(summary["figures"]) == {"all", "news", "German"}
    for genre in summary["figures"].values():
        assert {"in-sample", "out-of-fold", "rules alone"} <= set(genre)
        assert genre["in-sample"]["deployments"] == 1.0
    assert "out-of-fold" in (out / "summary.txt").read_text(encoding="utf-8")
