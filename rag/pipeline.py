"""The ``Assistant``: the one object the CLI, the chat and the evaluation talk to."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from embeddings.base import Embedder
from embeddings.factory import make_embedder

from .context import evidence_gap, select_context
from .documents import SUPPORTED_SUFFIXES, LoadResult, load_articles
from .embed_checkpoint import EmbeddingCheckpoint
from .errors import (
    DocumentError,
    IndexCorruptError,
    IndexMismatchError,
    IndexNotFoundError,
    QuestionError,
    RagError,
)
from .followup import standalone_question
from .generation.base import ChatMessage, Generator
from .generation.factory import make_generator
from .grounding import (
    other_year_source,
    says_nothing,
    supporting_passages,
    unsupported_figures,
    unsupported_names,
)
from .index import ChunkingParams, Index, ProgressFactory, read_manifest
from .prompting import ABSTENTION, NOT_FOUND, build_messages, parse_reply
from .rerank import SentenceReranker
from .retrieval import Retriever
from .settings import Settings
from .text import guess_language
from .types import Answer, Passage

log = logging.getLogger(__name__)
_MODEL_SETTINGS = {
    "embedder", "embedder_dtype", "generator", "generator_backend", "models_dir", "cache_dir",
    "index_dir", "articles_dir", "chunk_max_chars", "chunk_overlap_sentences",
}  # fmt: skip


class Assistant:
    """Answers questions from an index of articles. Build it with ``Assistant.load``."""

    def __init__(
        self,
        index: Index,
        embedder: Embedder,
        settings: Settings,
        generator: Generator | None = None,
        reranker: SentenceReranker | None = None,
    ) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self._generator = generator
        # Shared with the per-request views, so its sentence cache outlives one request.
        self.reranker = reranker or SentenceReranker(embedder)
        self.retriever = Retriever.from_settings(index, embedder, settings, self.reranker)

    @classmethod
    def load(
        cls,
        index_dir: Path | str | None = None,
        settings: Settings | None = None,
        *,
        embedder: Embedder | None = None,
        generator: Generator | None = None,
        progress: ProgressFactory | None = None,
    ) -> Assistant:
        """Open an index; without ``index_dir``, the default index over the bundled articles,
        built on first use and rebuilt whenever those articles or the settings change.

        Models are not loaded here but on first use (or ``warm_up``); the generator is only
        resolved when a question is first asked, so searching works without one.
        """
        settings = settings or Settings()
        embedder = embedder or make_embedder(
            settings.embedder, settings.resolved_models_dir, settings.embedder_dtype,
            settings.embed_batch_size,
        )  # fmt: skip
        if index_dir is not None:
            index = Index.load(Path(index_dir), embedder.model_id)
        else:
            index = _default_index(settings, embedder, progress)
        return cls(index, embedder, settings, generator)

    @property
    def generator(self) -> Generator:
        if self._generator is None:
            self._generator = make_generator(self.settings)
        return self._generator

    def with_settings(self, **overrides: Any) -> Assistant:
        """This assistant with some settings changed for one caller (answer length, passages),
        sharing its index and models, so other callers are not affected.

        Settings that choose the models or where things live cannot change this way: they
        need their own ``Assistant.load``.
        """
        fixed = sorted(set(overrides) & _MODEL_SETTINGS)
        if fixed:
            raise RagError(
                f"{', '.join(fixed)} cannot be changed per request; load another Assistant"
            )
        # Validated, so a request gets the same bounds as the environment does.
        settings = Settings.model_validate({**self.settings.model_dump(), **overrides})
        return Assistant(self.index, self.embedder, settings, self.generator, self.reranker)

    def warm_up(self, generator: bool = True) -> None:
        """Load the models now rather than on the first question."""
        self.embedder.warm_up()
        if generator:
            self.generator.warm_up()

    # --- searching --------------------------------------------------------------------------

    def search(self, question: str, k: int = 5) -> list[Passage]:
        """The ``k`` passages most likely to answer the question, best first."""
        question = self._checked(question)
        if k < 1:
            raise QuestionError(f"k must be at least 1, got {k}")
        return self.retriever.retrieve(question, k)

    # --- answering --------------------------------------------------------------------------

    def ask(self, question: str, history: Sequence[Any] | None = None) -> Answer:
        """Answer from the articles alone, citing the passages used, or say they do not tell."""
        for item in self.stream(question, history):
            if isinstance(item, Answer):
                return item
        raise RagError("the answer stream ended without an answer")  # pragma: no cover

    def stream(self, question: str, history: Sequence[Any] | None = None) -> Iterator[str | Answer]:
        """Yield the answer's text in pieces as it is written, then the finished ``Answer``.

        The pieces are the model's raw words; the ``Answer`` holds the checked text (invalid
        citations removed), so a display should replace the streamed text with it.
        """
        clock = _Clock()
        question = self._checked(question)
        language = guess_language(question)
        searched = standalone_question(question, history)
        pool = self.retriever.retrieve(searched, self.settings.candidate_pool)
        clock.lap("retrieve")
        context = select_context(pool, self.index, self.settings)
        if gap := evidence_gap(searched, pool, self.settings.min_relevance):
            log.info("abstaining before generation: %s", gap)
            yield self._abstention(question, searched, language, clock)
            return
        messages = build_messages(searched, context, language)
        pieces: list[str] = []
        yield from _hold_back_marker(self._generate(messages, pieces))
        clock.lap("generate")
        yield self._finish(question, searched, language, "".join(pieces), context, clock)

    def _generate(self, messages: list[ChatMessage], sink: list[str]) -> Iterator[str]:
        for piece in self.generator.stream(
            messages, self.settings.max_new_tokens, self.settings.generation_timeout_s
        ):
            sink.append(piece)
            yield piece

    def _finish(
        self,
        question: str,
        searched: str,
        language: str,
        raw: str,
        context: list[Passage],
        clock: _Clock,
    ) -> Answer:
        reply = parse_reply(raw, len(context))
        if reply.not_found or not reply.text:
            return self._abstention(question, searched, language, clock)
        cited = list(reply.cited)
        text = reply.text
        if says_nothing(text, searched):
            log.info("abstaining: the reply adds nothing to the question: %r", text[:200])
            return self._abstention(question, searched, language, clock)
        if not cited:  # the model forgot to cite: cite what visibly supports the answer
            cited = supporting_passages(text, context, question=searched, language=language)
            text += "".join(f" [{n}]" for n in range(1, len(cited) + 1))
        # A figure or a Vietnamese name found in no passage was made up, not quoted.
        invented = unsupported_figures(text, searched, context)
        invented += unsupported_names(text, searched, context)
        if not cited or invented:
            log.info("abstaining: answer not grounded (cited=%s, invented=%s)", cited, invented)
            return self._abstention(question, searched, language, clock)
        other_year = other_year_source(text, searched, [context[i] for i in cited])
        if other_year is not None:
            log.info("abstaining: the answer comes from a sentence about %d", other_year)
            return self._abstention(question, searched, language, clock)
        return Answer(
            question=question, text=text, abstained=False, language=language,
            citations=[context[i] for i in cited], timings=clock.finish(),
            searched_question=searched if searched != question else None,
        )  # fmt: skip

    def _abstention(self, question: str, searched: str, language: str, clock: _Clock) -> Answer:
        return Answer(
            question=question, text=ABSTENTION[language], abstained=True, language=language,
            citations=[], timings=clock.finish(),
            searched_question=searched if searched != question else None,
        )  # fmt: skip

    # --- adding articles --------------------------------------------------------------------

    def add_documents(
        self, paths: Iterable[Path | str], progress: ProgressFactory | None = None
    ) -> LoadResult:
        """Index more articles now; files or records that cannot be used are reported, skipped."""
        loaded = load_articles(paths)
        fresh = []
        for article in loaded.articles:
            if article.doc_id in self.index.articles:
                loaded.errors.append(
                    DocumentError(article.doc_id, "an article with this doc_id is already indexed")
                )
            else:
                fresh.append(article)
        loaded.articles = fresh
        if fresh:
            self.index.add_articles(fresh, self.embedder, progress)
        return loaded

    def _checked(self, question: str) -> str:
        return check_question(question, self.settings.max_question_chars)


def check_question(question: object, limit: int) -> str:
    """The question, stripped, or a QuestionError before any model runs."""
    if not isinstance(question, str) or not question.strip():
        raise QuestionError("the question is empty")
    if len(question) > limit:
        raise QuestionError(
            f"the question is {len(question):,} characters long; the limit is {limit:,}"
        )
    return question.strip()


class _Clock:
    """Seconds spent in each stage of answering."""

    def __init__(self) -> None:
        self._start = self._last = time.perf_counter()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self._last, 4)
        self._last = now

    def finish(self) -> dict[str, float]:
        return {
            "retrieve": self.laps.get("retrieve", 0.0),
            "generate": self.laps.get("generate", 0.0),
            "total": round(time.perf_counter() - self._start, 4),
        }


def _hold_back_marker(pieces: Iterable[str]) -> Iterator[str]:
    """Pass pieces through, except while they could still spell the NOT_FOUND marker."""
    held: str | None = ""
    for piece in pieces:
        if held is None:
            yield piece
            continue
        held += piece
        # Spelled as is_not_found reads it: any case, a space for the underscore.
        spelled = held.strip().strip("*`'\"").upper().replace(" ", "_")
        if not NOT_FOUND.startswith(spelled[: len(NOT_FOUND)]):
            yield held
            held = None


def build_index(
    paths: Iterable[Path | str],
    embedder: Embedder,
    chunking: ChunkingParams,
    progress: ProgressFactory | None = None,
    checkpoint: EmbeddingCheckpoint | None = None,
) -> tuple[Index, LoadResult]:
    """Load the articles under ``paths`` and index them (nothing is saved)."""
    loaded = load_articles(paths)
    if not loaded.articles:
        problems = "; ".join(str(e) for e in loaded.errors[:3]) or "no articles found"
        raise RagError(f"nothing to index: {problems}")
    return Index.build(loaded.articles, embedder, chunking, progress, checkpoint), loaded


def _default_index(
    settings: Settings, embedder: Embedder, progress: ProgressFactory | None
) -> Index:
    folder = settings.resolved_index_dir
    chunking = ChunkingParams(settings.chunk_max_chars, settings.chunk_overlap_sentences)
    fingerprint = sources_fingerprint(settings.articles_dir, embedder.model_id, chunking)
    try:
        if read_manifest(folder).get("extra", {}).get("fingerprint") == fingerprint:
            return Index.load(folder, embedder.model_id)
        log.info("articles or settings changed since %s was built; rebuilding", folder)
    except IndexNotFoundError:
        log.info("building the default index at %s", folder)
    except (IndexCorruptError, IndexMismatchError) as problem:  # ours and derived: rebuild
        log.warning("default index cannot be used (%s); rebuilding", problem)
    checkpoint = EmbeddingCheckpoint.beside(folder, embedder.model_id)  # resumes a crashed build
    index, loaded = build_index([settings.articles_dir], embedder, chunking, progress, checkpoint)
    for error in loaded.errors:
        log.warning("skipped: %s", error)
    index.extra = {"fingerprint": fingerprint, "sources": [str(settings.articles_dir)]}
    index.save(folder)
    checkpoint.remove()
    return index


def sources_fingerprint(folder: Path, embedder_id: str, chunking: ChunkingParams) -> str:
    """Changes whenever an article file, the embedder or the chunking changes."""
    digest = hashlib.sha256(f"{embedder_id}|{chunking}".encode())
    if folder.is_dir():
        for path in sorted(
            p for p in folder.rglob("*") if p.name.lower().endswith(SUPPORTED_SUFFIXES)
        ):
            digest.update(str(path.relative_to(folder)).encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()
