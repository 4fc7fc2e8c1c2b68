"""The build step ``pyproject.toml`` cannot declare: ``ontology/`` and ``queries/`` live beside the package
(other tools and people edit them there), so the wheel gets a copy of each inside the package, as
``kg/_data/ontology`` and ``kg/_data/queries``, where ``kg.paths.data_dir`` finds them once installed."""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

DATA_DIRS = {"ontology": ("*.ttl", "*.csv", "*.json"), "queries": ("*.rq",)}


class BuildPyWithData(build_py):
    """``build_py``, then the data folders copied into the built package."""

    def run(self) -> None:
        super().run()
        root = Path(__file__).resolve().parent
        for name, patterns in DATA_DIRS.items():
            target = Path(self.build_lib) / "kg" / "_data" / name
            target.mkdir(parents=True, exist_ok=True)
            for pattern in patterns:
                for source in sorted((root / name).glob(pattern)):
                    shutil.copyfile(source, target / source.name)


setup(cmdclass={"build_py": BuildPyWithData})
