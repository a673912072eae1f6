"""The collection an evaluation searches: an index folder, the default one, or a SQuAD file's own
paragraphs indexed as articles (open-book retrieval over every paragraph of the benchmark).
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Sequence
from pathlib import Path

from embeddings.base import Embedder
from rag.assistant import Assistant
from rag.embedder import embedder_from
from rag.errors import IndexError_, RagError
from rag.index.collection import Index, ProgressFactory
from rag.index.default import build_index, sources_fingerprint
from rag.index.folder import MANIFEST
from rag.settings import Settings, slug

from .datasets import Dataset, DatasetError, Paragraph

log = logging.getLogger(__name__)


def open_assistant(
    settings: Settings,
    dataset: Dataset,
    *,
    corpus_from_dataset: bool = False,
    index_dir: Path | None = None,
    progress: ProgressFactory | None = None,
) -> tuple[Assistant, Path]:
    """The Assistant to evaluate, and the index folder it searches.

    With ``corpus_from_dataset`` the dataset's paragraphs are the collection, indexed under the
    cache (or into ``index_dir``; an index already there is used as it is, which is how English
    questions are evaluated against an index of the parallel Vietnamese paragraphs).
    """
    embedder = embedder_from(settings)
    if corpus_from_dataset:
        if not dataset.paragraphs:
            raise DatasetError(str(dataset.path), "--corpus-from-dataset needs a SQuAD JSON file")
        folder = dataset_index(dataset.paragraphs, dataset.name, settings, embedder,
                               index_dir, progress)  # fmt: skip
        return Assistant.load(folder, settings, embedder=embedder), folder
    assistant = Assistant.load(index_dir, settings, embedder=embedder, progress=progress)
    return assistant, Path(index_dir) if index_dir else settings.resolved_index_dir


def dataset_index(
    paragraphs: Sequence[Paragraph],
    name: str,
    settings: Settings,
    embedder: Embedder,
    folder: Path | None = None,
    progress: ProgressFactory | None = None,
) -> Path:
    """Index the paragraphs as articles; reuse the index when it is already there.

    Without ``folder`` the index lives in ``<cache>/indexes/dataset-<name>-<fingerprint>``, so a
    changed file, embedder or chunking gets a fresh one. A given ``folder`` that already holds
    an index is used whatever it was built from (it may hold the parallel Vietnamese paragraphs
    for an English file); one that does not is built there.
    """
    chunking = settings.chunking()
    with tempfile.TemporaryDirectory(prefix="newsrag-eval-") as staging:
        source = Path(staging) / f"{slug(name)}.jsonl"
        write_paragraphs(paragraphs, source)
        fingerprint = sources_fingerprint(
            Path(staging), embedder.model_id, chunking, settings.sentence_vectors
        )
        if folder is not None:
            if (folder / MANIFEST).exists():
                return folder  # Assistant.load checks it and says what is wrong, if anything
            if folder.exists() and any(folder.iterdir()):  # saving would replace the folder
                raise RagError(f"{folder} is neither an index nor empty; choose another folder")
        else:
            folder = settings.cache_dir / "indexes" / f"dataset-{slug(name)}-{fingerprint[:12]}"
            if _usable(folder, embedder.model_id):
                return folder
        index, loaded = build_index(
            [source], embedder, chunking, progress, sentences=settings.sentence_vectors
        )
    for error in loaded.errors:
        log.warning("paragraph skipped: %s", error)
    index.extra = {"fingerprint": fingerprint, "dataset": name, "sources": [f"{name} paragraphs"]}
    index.save(folder)
    return folder


def write_paragraphs(paragraphs: Sequence[Paragraph], path: Path) -> None:
    """Paragraphs as JSONL articles ``{id, title, body}`` (rag.ingest.articles reads these)."""
    with path.open("w", encoding="utf-8") as handle:
        for paragraph in paragraphs:
            # SQuAD titles are page names ("Super_Bowl_50"); spaces read better to the embedder.
            title = paragraph.title.replace("_", " ")
            record = {"id": paragraph.id, "title": title, "body": paragraph.text}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def _usable(folder: Path, embedder_id: str) -> bool:
    """Whether the cached dataset index loads (checksums included); if damaged, it is rebuilt."""
    if not folder.exists():
        return False
    try:
        Index.load(folder, embedder_id)
    except IndexError_ as problem:
        log.warning("rebuilding the dataset index at %s: %s", folder, problem)
        return False
    return True
