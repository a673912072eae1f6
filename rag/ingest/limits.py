"""Bounds on what one upload may add: bytes per file, articles per upload, characters per
article. Each refusal is a ``DocumentError`` that names the file (or article), the size found and
the limit.

Files are checked before they are read, so a 1 GB file costs a ``stat``; a gzip file is
decompressed in fixed-size chunks and counted first, so a gzip bomb is refused after reading
``max_bytes`` of it, never held in memory.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rag.errors import DocumentError
from rag.ingest.articles import SUPPORTED_SUFFIXES, LoadResult
from rag.settings import Settings

_CHUNK = 1 << 20


@dataclass(frozen=True)
class UploadLimits:
    max_bytes: int  # per file, decompressed
    max_articles: int  # per upload
    max_article_chars: int  # title and text of one article

    @classmethod
    def from_settings(cls, settings: Settings) -> UploadLimits:
        return cls(
            settings.upload_max_bytes, settings.upload_max_articles, settings.article_max_chars
        )


def files_within(
    paths: Iterable[Path | str], limits: UploadLimits
) -> tuple[list[Path], list[DocumentError]]:
    """The files (folders expanded) small enough to read, and an error for each other one.

    Paths that are neither a file nor a folder are passed on, for the loader to report.
    """
    kept: list[Path] = []
    refused: list[DocumentError] = []
    for path in _expanded(paths):
        problem = _too_big(path, limits.max_bytes) if path.is_file() else None
        if problem:
            refused.append(DocumentError(str(path), problem))
        else:
            kept.append(path)
    return kept, refused


def articles_within(loaded: LoadResult, limits: UploadLimits) -> LoadResult:
    """The loaded articles without those over the length limit; none at all when the upload
    holds more articles than allowed (adding an arbitrary part of it would only confuse)."""
    result = LoadResult(errors=list(loaded.errors))
    for article in loaded.articles:
        size = len(article.title) + len(article.text)
        if size > limits.max_article_chars:
            reason = (
                f"the article is {size:,} characters long; the limit is "
                f"{limits.max_article_chars:,}"
            )
            result.errors.append(DocumentError(article.doc_id, reason))
        else:
            result.articles.append(article)
    if len(result.articles) > limits.max_articles:
        reason = (
            f"the upload holds {len(result.articles):,} articles; at most "
            f"{limits.max_articles:,} can be added at once, so none were added"
        )
        result.errors.append(DocumentError("upload", reason))
        result.articles = []
    return result


def _expanded(paths: Iterable[Path | str]) -> list[Path]:
    out: list[Path] = []
    for raw in paths:
        path = Path(raw).expanduser()
        files = sorted(p for p in path.rglob("*") if _supported(p)) if path.is_dir() else []
        out.extend(files or [path])  # an empty folder goes on, for the loader to report
    return out


def _supported(path: Path) -> bool:
    name = path.name.lower()
    return path.is_file() and name.endswith(SUPPORTED_SUFFIXES) and not name.startswith(".")


def _too_big(path: Path, limit: int) -> str | None:
    try:
        size = path.stat().st_size
    except OSError:
        return None  # the loader reports unreadable files
    if size > limit:
        return f"the file is {size:,} bytes; the limit is {limit:,}"
    if path.name.lower().endswith(".gz") and _unpacks_beyond(path, limit):
        return f"the file decompresses to more than {limit:,} bytes, the limit"
    return None


def _unpacks_beyond(path: Path, limit: int) -> bool:
    """Whether the gzip file holds more than ``limit`` bytes, reading at most that much."""
    total = 0
    try:
        with gzip.open(path, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                total += len(chunk)
                if total > limit:
                    return True
    except (OSError, EOFError):
        return False  # not valid gzip: the loader says so
    return False
