"""Replacing a folder by another one so that a crash at any moment leaves one whole folder.

A folder is written to a *staging* sibling (``.NAME.tmp-…``) and swapped in with two renames:
the current folder to a *retired* sibling (``.NAME.old-…``), then the staging folder to NAME.
A crash between the two renames leaves no folder at NAME, but a whole retired one beside it:
``recover`` (run before every load and every swap) renames it back, so the previous state is
what the next reader sees.

Every staging folder is locked (``flock`` on a file inside it) by the process writing it, for
as long as it writes. The lock dies with its process, so a staging folder whose lock can be
taken belongs to a killed build and is removed; a live build's never is. Swaps and recoveries
beside one another take a second lock (on their parent folder), so they never interleave.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

log = logging.getLogger(__name__)

STAGING_LOCK = ".staging.lock"
# Called between the two renames; tests replace it to inject a crash there.
between_renames: Callable[[], None] = lambda: None  # noqa: E731


@contextlib.contextmanager
def staging_folder(target: Path) -> Iterator[Path]:
    """A fresh, locked staging folder beside ``target``; removed unless it was swapped in."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with _folder_lock(target):  # so no cleanup sees this folder before its lock is taken
        _remove_dead_staging_locked(target)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
        staging.chmod(0o755)  # mkdtemp makes it private; an index is ordinary data
        lock = _lock(staging / STAGING_LOCK, blocking=True)
    if lock is None:  # cannot happen: the folder was just made, under the lock
        raise OSError(f"cannot lock the staging folder {staging}")
    try:
        yield staging
    finally:
        lock.close()  # releases the flock
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def swap_in(staging: Path, target: Path) -> None:
    """Put the whole folder ``staging`` at ``target``; the folder that was there is removed."""
    with _folder_lock(target):
        _recover_locked(target)
        retired = None
        if target.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
            os.rmdir(retired)
            target.rename(retired)
            between_renames()
        staging.rename(target)
        (target / STAGING_LOCK).unlink(missing_ok=True)
        if retired is not None:
            shutil.rmtree(retired, ignore_errors=True)


def recover(target: Path) -> None:
    """Undo a swap that died between its renames: put the retired folder back at ``target``."""
    if target.parent.is_dir() and any(_siblings(target, "old")):
        with _folder_lock(target):
            _recover_locked(target)


def remove_dead_staging(target: Path) -> list[Path]:
    """Remove the staging folders beside ``target`` whose writer is gone; returns them."""
    if not target.parent.is_dir():
        return []
    with _folder_lock(target):
        return _remove_dead_staging_locked(target)


def _remove_dead_staging_locked(target: Path) -> list[Path]:
    removed = []
    for staging in _siblings(target, "tmp"):
        lock = _lock(staging / STAGING_LOCK, blocking=False)
        if lock is None:
            continue  # a live build holds it
        lock.close()
        shutil.rmtree(staging, ignore_errors=True)
        log.info("removed %s, left by a build that did not finish", staging)
        removed.append(staging)
    return removed


def _recover_locked(target: Path) -> None:
    retired = sorted(_siblings(target, "old"), key=lambda p: p.stat().st_mtime, reverse=True)
    if retired and not target.exists():
        retired[0].rename(target)
        log.warning("restored %s: a swap into it did not finish", target)
        retired = retired[1:]
    for folder in retired:
        shutil.rmtree(folder, ignore_errors=True)


def _siblings(target: Path, kind: str) -> list[Path]:
    if not target.parent.is_dir():
        return []
    return [p for p in target.parent.glob(f".{target.name}.{kind}-*") if p.is_dir()]


@contextlib.contextmanager
def _folder_lock(target: Path) -> Iterator[None]:
    """Held on the parent folder itself, so that no lock file is left beside the index."""
    descriptor = os.open(target.parent, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # releases the flock


def _lock(path: Path, blocking: bool) -> IO[bytes] | None:
    """An open file holding an exclusive flock on ``path``, or None if another holds it."""
    try:
        handle = path.open("ab")
    except FileNotFoundError:  # the folder went away meanwhile
        return None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
    except BlockingIOError:
        handle.close()
        return None
    return handle
