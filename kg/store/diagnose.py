"""Plain messages for an embedded store that cannot be opened: held by another process (and which, where
the system says), damaged, or not a store at all, instead of RocksDB's own words or a traceback."""

from __future__ import annotations

import os
from pathlib import Path

#: RocksDB's file naming the current manifest: present in every store it ever created
MARKER = "CURRENT"


def is_store(path: Path) -> bool:
    """Whether ``path`` is a folder holding an embedded (RocksDB) store."""
    return (path / MARKER).is_file()


def not_a_store(path: Path) -> str:
    """Why a read command refuses ``path``, and how to make a store there."""
    if not path.exists():
        what = "does not exist"
    elif not path.is_dir():
        what = "is a file, not a store folder"
    elif any(path.iterdir()):
        what = f"is a folder but not a kg store (no RocksDB {MARKER} file)"
    else:
        what = "is an empty folder, not a store"
    return f"the store {path} {what}: check --store or KG_STORE, or create it with `kg ingest --store {path} ...`"


def open_error(path: Path, exc: BaseException) -> str:
    """One line saying why the store at ``path`` did not open, from the error pyoxigraph raised."""
    text = str(exc)
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    if "/LOCK" in text or "lock hold by" in text:
        if "current process" in text:
            return f"the store at {path} is already open in this process"
        holder = lock_holder(path / "LOCK")
        who = f" ({holder})" if holder else ""
        return (
            f"the store at {path} is in use by another process{who}: an embedded store has one process at a "
            "time; stop it, or write through its API (POST /articles) while it serves"
        )
    if isinstance(exc, RuntimeError) or first.startswith("Corruption"):
        return (
            f"the store at {path} is damaged and cannot be opened ({first}); restore it from a backup, or "
            "ingest the articles again into a new folder"
        )
    return f"cannot open the store at {path}: {first}"


def lock_holder(lock_file: Path) -> str | None:
    """``pid N (command line)`` of the process holding the POSIX lock on ``lock_file``, from
    ``/proc/locks``; None where the system does not say (not Linux, an open-file-description lock)."""
    try:
        inode = lock_file.stat().st_ino
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.split()
        if len(fields) < 6 or fields[1] == "->":
            continue  # a waiter, not the holder
        pid, ident = fields[4], fields[5]
        if ident.rsplit(":", 1)[-1] != str(inode) or not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            return f"pid {pid}"
        command = " ".join(a.decode(errors="replace") for a in argv if a)
        return f"pid {pid}: {command[:200]}" if command else f"pid {pid}"
    return None
