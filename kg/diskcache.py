"""Tables kg builds from installed packages at start-up, kept on disk so the next process loads them.

Every ``kg ingest`` process, and each of its worker processes, used to rebuild the offline place index from
pycountry and GeoNames (1.4 s, more than loading spaCy's model); unpickled it takes 0.15 s.  A table is
stored under ``$XDG_CACHE_HOME/kg`` (else ``~/.cache/kg``) in a file named by a digest of everything that
decides it: the source files of the code that builds it, the versions of the packages it reads, and
Python's.  Change any of them and the name changes, so a stale table is never read (old files are left for
the user's cache cleaner).  The cache only saves time: a folder that cannot be written, or a file that cannot
be read, means building the table as before.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import sys
import tempfile
from collections.abc import Callable, Iterable
from importlib import metadata
from pathlib import Path
from typing import TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/kg``, else ``~/.cache/kg``."""
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(base) if base else Path.home() / ".cache") / "kg"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "absent"


def cache_path(name: str, files: Iterable[Path] = (), packages: Iterable[str] = ()) -> Path:
    """Where the table ``name`` built by ``files`` from ``packages`` is kept."""
    digest = hashlib.sha256(f"{sys.version}\0{pickle.HIGHEST_PROTOCOL}\0".encode())
    for path in files:
        digest.update(path.name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    for package in packages:
        digest.update(f"{package} {_version(package)}\0".encode())
    return cache_dir() / f"{name}-{digest.hexdigest()[:20]}.pickle"


def cached(name: str, build: Callable[[], T], *, files: Iterable[Path] = (), packages: Iterable[str] = ()) -> T:
    """The table ``build()`` makes, read from the cache when it holds one made by the same ``files`` (the
    source of ``build`` and whatever it calls that could change its result) from the same ``packages``;
    else built and written there for the next process (atomically: a reader never sees half a file)."""
    path = cache_path(name, files, packages)
    try:
        with path.open("rb") as stream:
            return pickle.load(stream)  # type: ignore[no-any-return]
    except FileNotFoundError:
        pass
    except Exception as exc:  # truncated or written by an incompatible build: build it again
        log.debug("cannot read %s (%r): building %s again", path, exc, name)
    table = build()
    partial = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{name}-", delete=False) as out:
            partial = out.name
            pickle.dump(table, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, path)
    except OSError as exc:
        log.debug("cannot keep %s in %s (%s): it is built in each process", name, path.parent, exc)
        if partial is not None:
            Path(partial).unlink(missing_ok=True)
    return table
