"""Where kg's data folders (``ontology/``, ``queries/``) are: beside the package in a checkout, else the
copies installed with the package."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def data_dir(name: str) -> Path:
    """The folder ``name`` (``"ontology"`` or ``"queries"``)."""
    here = Path(__file__).resolve().parent.parent / name
    if here.is_dir():
        return here
    return Path(str(resources.files("kg") / name))
