"""The ``Assistant``: the one object the CLI, the chat and the evaluation talk to.

It wires the stages together: follow-up rewriting and retrieval (``rag.retrieve``), then the
answer room's one pipeline (``rag.answer.pipeline``) with the generator (``rag.generation``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Generator as PieceGenerator
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from embeddings.base import Embedder
from rag.answer.pipeline import AnswerParams, AnswerPipeline
from rag.embedder import embedder_from
from rag.errors import RagError
from rag.generation.base import Generator
from rag.generation.factory import make_generator
from rag.index.collection import Index, ProgressFactory
from rag.index.default import default_index
from rag.ingest.articles import LoadResult, load_articles
from rag.ingest.limits import UploadLimits, articles_within, files_within
from rag.questions import check_k, check_question
from rag.retrieve.followup import standalone_question
from rag.retrieve.rerank import SentenceReranker
from rag.retrieve.retriever import Retriever
from rag.settings import Settings
from rag.text import guess_language
from rag.types import Answer, AnswerStream, Passage

log = logging.getLogger(__name__)
_MODEL_SETTINGS = {
    "embedder", "embedder_dtype", "generator", "generator_backend", "generator_precision",
    "models_dir", "cache_dir",
    "index_dir", "articles_dir", "chunk_max_chars", "chunk_overlap_sentences",
    "prompt_lookup_tokens", "openvino_quantization_group",  # fixed when the generator is built
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
        self.reranker = reranker or SentenceReranker(embedder, index=index)
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
        embedder = embedder or embedder_from(settings)
        if index_dir is not None:
            index = Index.load(Path(index_dir), embedder.model_id)
        else:
            index = default_index(settings, embedder, progress)
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

    def without_articles(self, doc_ids: Iterable[str]) -> Assistant:
        """This assistant answering as if those articles were not in the collection, sharing
        its index and models (the index is not changed): how an evaluation asks about a fact
        whose paragraph is gone while the rest of its article stays."""
        other = Assistant(self.index, self.embedder, self.settings, self.generator, self.reranker)
        other.retriever = self.retriever.excluding(frozenset(doc_ids))
        return other

    def warm_up(self, generator: bool = True) -> None:
        """Load the models now rather than on the first question."""
        self.embedder.warm_up()
        if generator:
            self.generator.warm_up()

    # --- searching --------------------------------------------------------------------------

    def search(self, question: str, k: int | None = None) -> list[Passage]:
        """The ``k`` passages (default: the ``top_k`` setting) most likely to answer the
        question, best first."""
        question = self._checked(question)
        return self.retriever.retrieve(question, check_k(self.settings.top_k if k is None else k))

    # --- answering --------------------------------------------------------------------------

    def ask(self, question: str, history: Sequence[Any] | None = None) -> Answer:
        """Answer from the articles alone, citing the passages used, or say they do not tell."""
        return self.stream(question, history).answer

    def stream(self, question: str, history: Sequence[Any] | None = None) -> AnswerStream:
        """The answer's text in pieces as it is written; ``.answer`` on the returned stream is
        the finished ``Answer`` once the pieces are read (see ``rag.types.AnswerStream``).

        The pieces are the model's raw words; the ``Answer`` holds the checked text (invalid
        citations removed), so a display should replace the streamed text with it. A bad
        question raises ``QuestionError`` here, before any model runs.
        """
        return AnswerStream(self._answer(self._checked(question), history))

    def _answer(
        self, question: str, history: Sequence[Any] | None
    ) -> PieceGenerator[str, None, Answer]:
        clock = _Clock()
        language = guess_language(question)
        searched = standalone_question(question, history)
        pool, query = self.retriever.search(searched, self.settings.candidate_pool)
        clock.lap("retrieve")
        outcome = yield from self.pipeline().run(searched, language, pool, query)
        clock.lap("generate")
        if outcome.reason:
            log.info("abstaining: %s", outcome.reason)
        return Answer(
            question=question, text=outcome.text, abstained=outcome.abstained, language=language,
            citations=outcome.citations, timings=clock.finish(), closest=outcome.closest,
            searched_question=searched if searched != question else None,
            confidence=outcome.confidence, signals=outcome.signals, reason=outcome.reason,
            model_calls=outcome.model_calls,
        )  # fmt: skip

    def pipeline(self) -> AnswerPipeline:
        """The answer room (``rag.answer.pipeline``) with this assistant's models and settings."""
        params = AnswerParams.from_settings(self.settings)
        return AnswerPipeline(self.generator, self.index, self.reranker, params)

    # --- adding articles --------------------------------------------------------------------

    def add_documents(
        self, paths: Iterable[Path | str], progress: ProgressFactory | None = None
    ) -> LoadResult:
        """Index more articles, saved to the index folder before this returns (and, for the
        default collection, kept across its rebuilds). An article whose doc_id is indexed
        replaces it (listed in ``replaced``); files or records that cannot be used, or that are
        over the upload limits of the settings, are reported in ``errors`` and skipped."""
        limits = UploadLimits.from_settings(self.settings)
        files, refused = files_within(paths, limits)
        loaded = articles_within(load_articles(files), limits)
        loaded.errors[:0] = refused
        if loaded.articles:
            loaded.replaced = [a.doc_id for a in loaded.articles if a.doc_id in self.index.articles]
            self.index.add_articles(loaded.articles, self.embedder, progress)
        for doc_id in loaded.replaced:
            log.info("replaced the indexed article %s by the new version", doc_id)
        return loaded

    def remove_documents(self, doc_ids: Iterable[str]) -> list[str]:
        """Remove articles by doc_id, saved before this returns; an unknown doc_id raises
        ``ArticleNotFoundError`` and nothing is removed."""
        return self.index.remove_articles(doc_ids)

    def _checked(self, question: str) -> str:
        return check_question(question, self.settings.max_question_chars)


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
