"""Embedded passages kept on disk while an index is built, so an interrupted build resumes.

A checkpoint is a folder beside the index it is for, ``.<index name>.embedding/``::

    checkpoint.json     format, version, embedder id and dimension; any mismatch discards it all
    batch-*.npy         one per embedded batch: rows of (key, vector), a structured npy array

A batch file is written under a temporary name, flushed to disk (fsync) and only then renamed
into place, so a crash leaves the whole batch or none of it. A row's key hashes the embedder id,
the chunk's title and its text: exactly what its vector is computed from. So an article that
changed is embedded again, and other chunking settings reuse only passages that came out
identical. A file that cannot be read, or whose rows are not finite unit vectors of the right
dimension, is ignored with a warning: the checkpoint saves work and is never trusted over the
model. ``Index.save`` success is the caller's cue to ``remove()`` it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np

log = logging.getLogger(__name__)

FORMAT = "newsrag-embedding-checkpoint"
FORMAT_VERSION = 1
META = "checkpoint.json"
UNIT_TOLERANCE = 1e-3  # embedders return L2-normalised rows; anything else is damage


class EmbeddingCheckpoint:
    """Vectors already computed for one index build, by chunk key. Cheap to construct."""

    def __init__(self, folder: Path, embedder_id: str) -> None:
        self.folder = Path(folder)
        self.embedder_id = embedder_id
        self._writable = True

    @classmethod
    def beside(cls, index_folder: Path, embedder_id: str) -> EmbeddingCheckpoint:
        index_folder = Path(index_folder)
        return cls(index_folder.parent / f".{index_folder.name}.embedding", embedder_id)

    def key(self, title: str | None, text: str) -> bytes:
        payload = json.dumps([self.embedder_id, title, text], ensure_ascii=False)
        return hashlib.sha256(payload.encode()).hexdigest().encode("ascii")

    # --- reading ----------------------------------------------------------------------------

    def load(self, dimension: int) -> dict[bytes, np.ndarray]:
        """Every vector saved so far, by key; empty when there is no usable checkpoint."""
        if not self.folder.is_dir():
            return {}
        problem = self._meta_problem(dimension)
        if problem:
            log.warning("embedding checkpoint %s discarded: %s", self.folder, problem)
            self.remove()
            return {}
        found: dict[bytes, np.ndarray] = {}
        for path in sorted(self.folder.glob("batch-*.npy")):
            rows = self._read_batch(path, dimension)
            if rows is not None:
                found.update(zip(rows["key"].tolist(), rows["vector"], strict=True))
        return found

    def _meta_problem(self, dimension: int) -> str | None:
        try:
            meta = json.loads((self.folder / META).read_text(encoding="utf-8"))
            recorded = (meta["format"], meta["format_version"], meta["embedder_id"],
                        meta["dimension"])  # fmt: skip
        except (OSError, ValueError, KeyError, TypeError) as error:
            return f"unreadable {META} ({error!r})"
        expected = (FORMAT, FORMAT_VERSION, self.embedder_id, dimension)
        if recorded != expected:
            return f"made for {recorded[2]!r} (dimension {recorded[3]}), not {self.embedder_id!r}"
        return None

    def _read_batch(self, path: Path, dimension: int) -> np.ndarray | None:
        try:
            rows = np.load(path, allow_pickle=False)
        except (OSError, ValueError, EOFError) as error:
            log.warning("embedding checkpoint: ignoring unreadable %s (%s)", path.name, error)
            return None
        if rows.dtype != _row_type(dimension) or rows.ndim != 1:
            log.warning("embedding checkpoint: ignoring %s (rows of %s)", path.name, rows.dtype)
            return None
        vectors = rows["vector"]
        norms = np.linalg.norm(vectors, axis=1)
        if not np.all(np.isfinite(vectors)) or np.any(np.abs(norms - 1) > UNIT_TOLERANCE):
            log.warning("embedding checkpoint: ignoring %s (not unit vectors)", path.name)
            return None
        return rows

    # --- writing ----------------------------------------------------------------------------

    def save_batch(self, keys: Sequence[bytes], vectors: np.ndarray) -> None:
        """Add one embedded batch, durably. A failure to write only costs the resumability."""
        if not self._writable or not len(keys):
            return
        dimension = int(vectors.shape[1])
        rows = np.empty(len(keys), dtype=_row_type(dimension))
        rows["key"], rows["vector"] = keys, vectors
        try:
            self._write_meta(dimension)
            name = f"batch-{uuid.uuid4().hex}.npy"
            _write_durably(self.folder / name, lambda handle: np.save(handle, rows))
        except OSError as error:
            self._writable = False
            log.warning("embedding checkpoint %s not written (%s); the build goes on without "
                        "it, and would start over if interrupted", self.folder, error)  # fmt: skip

    def _write_meta(self, dimension: int) -> None:
        if (self.folder / META).is_file():
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        meta = {"format": FORMAT, "format_version": FORMAT_VERSION,
                "embedder_id": self.embedder_id, "dimension": dimension}  # fmt: skip
        text = json.dumps(meta, indent=2, ensure_ascii=False).encode()
        _write_durably(self.folder / META, lambda handle: handle.write(text))

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _row_type(dimension: int) -> np.dtype:
    return np.dtype([("key", "S64"), ("vector", "<f4", (dimension,))])


def _write_durably(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write through a temporary sibling, fsync it, rename it into place, fsync the folder."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with temporary.open("wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.rename(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
