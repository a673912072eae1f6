"""Dense-only vs BM25-only vs hybrid retrieval (vs a sentence re-ranking), in one run.

    python benchmarks/bench_retrieval.py [--limit N] [--rerank] [--fusion-k 60]
        [--lexical-weight 1.0] [--lexical-weight-en 0.2] [--out FILE.md]

Question sets: XQuAD Vietnamese and its English originals (both searched in one index of the
240 Vietnamese paragraphs, ../shared/data/xquad), the development set (eval/devset.jsonl, over
the default index of the bundled articles), and all of them pooled ("mixed"). A hit is a
passage of the gold paragraph or article; hit@1, hit@5 and MRR@10 count answerable questions.

Everything is embedded once: the indexes are cached under the user cache folder as the
evaluation caches them (eval/corpus.py), and so are the question vectors with the time each
took to embed (``<cache>/bench/``). Every mode reuses both; a mode's latency is its own search
time plus that question's embedding time (none for BM25 alone). Models come from the RAG_*
settings, and so do the fusion parameters unless given here.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from embeddings.base import Embedder
from eval.corpus import dataset_index
from eval.datasets import QAItem, load_dataset
from eval.metrics import MRR_CUTOFF, gold_rank
from eval.xquad import XQUAD_EN, XQUAD_VI, cross_lingual_items
from rag.console import tqdm_progress
from rag.embedder import embedder_from
from rag.index.collection import Index
from rag.index.default import default_index
from rag.retrieve.rerank import SentenceReranker
from rag.retrieve.retriever import Retriever
from rag.settings import PROJECT_ROOT, FusionParams, Settings, slug
from rag.text import normalize
from rag.types import Passage

DEVSET = PROJECT_ROOT / "eval" / "devset.jsonl"
DEPTH = MRR_CUTOFF


@dataclass
class QuestionSet:
    name: str
    items: list[QAItem]
    index: Index
    vectors: np.ndarray  # one query embedding per item
    embed_ms: list[float]


Search = Callable[[QuestionSet, int], list[Passage | str]]


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = Settings()
    embedder = embedder_from(settings)
    sets = question_sets(settings, embedder, args.limit)
    fusion = FusionParams(
        _given(args.fusion_k, settings.fusion_k),
        settings.fusion_dense_weight,
        _given(args.lexical_weight, settings.fusion_lexical_weight),
        _given(args.lexical_weight_en, settings.fusion_lexical_weight_en),
    )
    sentences = StoredSentences(settings, embedder) if args.rerank else None
    modes = retrieval_modes(settings, embedder, fusion, sentences)
    rows = [measure(name, qs, search) for qs in sets for name, search in modes.items()]
    rows += [pooled("mixed", [r for r in rows if r["mode"] == name]) for name in modes]
    table = markdown(rows, fusion, embedder.model_id)
    if sentences is not None:
        sentences.save()
        table += "\n\n" + sentences.cost()
    print(table)
    if args.out:
        args.out.write_text(table + "\n", encoding="utf-8")
    return 0


# --- question sets ----------------------------------------------------------------------------


def question_sets(settings: Settings, embedder: Embedder, limit: int | None) -> list[QuestionSet]:
    """XQuAD vi and en over one paragraph index, the dev set over the default index."""
    vietnamese = load_dataset(XQUAD_VI, language="vi")
    folder = dataset_index(vietnamese.paragraphs, vietnamese.name, settings, embedder,
                           progress=_progress("indexing XQuAD"))  # fmt: skip
    xquad = Index.load(folder, embedder.model_id)
    default = default_index(settings, embedder, _progress("indexing the articles"))
    english = list(cross_lingual_items(XQUAD_VI, XQUAD_EN))
    devset = load_dataset(DEVSET).items
    sets = []
    plan = [("XQuAD vi", vietnamese.items, xquad), ("XQuAD en", english, xquad),
            ("dev set", devset, default)]  # fmt: skip
    for name, items, index in plan:
        items = [i for i in items[:limit] if i.source and not i.unanswerable]
        vectors, millis = embedded_questions(settings, embedder, [i.question for i in items])
        sets.append(QuestionSet(name, items, index, vectors, millis))
    return sets


def embedded_questions(
    settings: Settings, embedder: Embedder, questions: Sequence[str]
) -> tuple[np.ndarray, list[float]]:
    """Each question's vector and embedding time, computed once and cached per embedder."""
    key = hashlib.sha256("\n".join([embedder.model_id, *questions]).encode()).hexdigest()[:16]
    path = settings.cache_dir / "bench" / f"queries-{slug(embedder.model_id)}-{key}.npz"
    if path.is_file():
        cached = np.load(path, allow_pickle=False)
        return cached["vectors"], cached["millis"].tolist()
    vectors, millis = [], []
    embedder.embed_query("warm up")
    for n, question in enumerate(questions, start=1):
        started = time.perf_counter()
        vectors.append(embedder.embed_query(normalize(question)))
        millis.append((time.perf_counter() - started) * 1000)
        if n % 200 == 0:
            print(f"embedded {n}/{len(questions)} questions", file=sys.stderr, flush=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, vectors=np.stack(vectors), millis=np.array(millis))
    return np.stack(vectors), millis


# --- the modes --------------------------------------------------------------------------------


def retrieval_modes(
    settings: Settings, embedder: Embedder, fusion: FusionParams, sentences: StoredSentences | None
) -> dict[str, Search]:
    """Name -> search function (question set, question number) -> passages or doc ids."""
    dense_only = replace(fusion, lexical_weight=0.0, lexical_weight_en=0.0)

    def retriever(
        qs: QuestionSet, params: FusionParams, reranker: SentenceReranker | None = None
    ) -> Retriever:
        return Retriever(qs.index, embedder, replace(settings.retrieval(), fusion=params), reranker)

    def dense(qs: QuestionSet, n: int) -> list[Passage | str]:
        question = normalize(qs.items[n].question)
        return list(retriever(qs, dense_only).retrieve_with_vector(question, qs.vectors[n], DEPTH))

    def bm25(qs: QuestionSet, n: int) -> list[Passage | str]:
        positions, _ = qs.index.lexical_search(qs.items[n].question, DEPTH)
        return [qs.index.chunks[p].doc_id for p in positions]

    def hybrid(qs: QuestionSet, n: int) -> list[Passage | str]:
        question = normalize(qs.items[n].question)
        return list(retriever(qs, fusion).retrieve_with_vector(question, qs.vectors[n], DEPTH))

    modes: dict[str, Search] = {"dense only": dense, "BM25 only": bm25, "hybrid": hybrid}
    if sentences is not None:
        # No LRU cache: StoredSentences keeps every sentence by its text, and the two indexes'
        # doc ids (the cache's key) could collide.
        reranker = SentenceReranker(sentences, cache_size=0)

        def reranked(qs: QuestionSet, n: int) -> list[Passage | str]:
            question = normalize(qs.items[n].question)
            found = retriever(qs, fusion, reranker)
            return list(found.retrieve_with_vector(question, qs.vectors[n], DEPTH))

        modes["hybrid + sentence re-rank"] = reranked
    return modes


class StoredSentences:
    """The embedder, with the document vectors it makes kept on disk between runs (by title and
    text), so the re-ranking mode embeds each sentence once across runs; it counts what it
    embeds, and how fast, for ``cost``. The re-ranking itself is rag.retrieve.rerank's."""

    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        self.embedder = embedder
        self.path = settings.cache_dir / "bench" / f"sentences-{slug(embedder.model_id)}.npz"
        self.vectors: dict[str, np.ndarray] = {}
        if self.path.is_file():
            cached = np.load(self.path, allow_pickle=False)
            self.vectors = dict(zip(cached["keys"].tolist(), cached["vectors"], strict=True))
        self.embedded = 0
        self.embed_seconds = 0.0

    @property
    def model_id(self) -> str:
        return self.embedder.model_id

    @property
    def dimension(self) -> int:
        return self.embedder.dimension

    def warm_up(self) -> None:
        self.embedder.warm_up()

    def embed_query(self, text: str) -> np.ndarray:
        return self.embedder.embed_query(text)

    def embed_documents(
        self, texts: Sequence[str], titles: Sequence[str | None] | None = None
    ) -> np.ndarray:
        titles = titles or [None] * len(texts)
        keys = [f"{title or ''}\n{text}" for text, title in zip(texts, titles, strict=True)]
        missing = [i for i, k in enumerate(keys) if k not in self.vectors]
        if missing:
            started = time.perf_counter()
            vectors = self.embedder.embed_documents([texts[i] for i in missing],
                                                    [titles[i] for i in missing])  # fmt: skip
            self.embed_seconds += time.perf_counter() - started
            self.embedded += len(missing)
            self.vectors.update((keys[i], v) for i, v in zip(missing, vectors, strict=True))
        return np.stack([self.vectors[k] for k in keys])

    def cost(self) -> str:
        """The re-ranking's latency counts stored sentence vectors as precomputed; what
        computing them costs is said apart."""
        rate = f"{self.embedded / self.embed_seconds:.1f}/s" if self.embed_seconds else "-"
        return (
            f"Re-ranking latency assumes sentence vectors computed beforehand; this run embedded "
            f"{self.embedded} new sentences ({rate}), {len(self.vectors)} are cached."
        )

    def save(self) -> None:
        keys = list(self.vectors)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(self.path, keys=np.array(keys), vectors=np.stack([self.vectors[k] for k in keys]))


# --- measuring --------------------------------------------------------------------------------


def measure(mode: str, qs: QuestionSet, search: Search) -> dict[str, object]:
    """Ranks of the gold document and latencies of one mode over one question set."""
    ranks: list[int | None] = []
    millis: list[float] = []
    for n, item in enumerate(qs.items):
        started = time.perf_counter()
        found = search(qs, n)
        elapsed = (time.perf_counter() - started) * 1000
        millis.append(elapsed + (0.0 if mode == "BM25 only" else qs.embed_ms[n]))
        doc_ids = [f if isinstance(f, str) else f.doc_id for f in found]
        ranks.append(gold_rank(doc_ids, item.source))
    print(f"{qs.name} / {mode}: done", file=sys.stderr, flush=True)
    return {"set": qs.name, "mode": mode, "ranks": ranks, "millis": millis}


def pooled(name: str, rows: Sequence[dict[str, object]]) -> dict[str, object]:
    ranks = [r for row in rows for r in row["ranks"]]  # type: ignore[attr-defined]
    millis = [m for row in rows for m in row["millis"]]  # type: ignore[attr-defined]
    return {"set": name, "mode": rows[0]["mode"], "ranks": ranks, "millis": millis}


def metrics(row: dict[str, object]) -> dict[str, float]:
    ranks: list[int | None] = row["ranks"]  # type: ignore[assignment]
    millis: list[float] = row["millis"]  # type: ignore[assignment]
    n = len(ranks) or 1
    return {
        "n": len(ranks),
        "hit@1": sum(r == 1 for r in ranks) / n,
        "hit@5": sum(r is not None and r <= 5 for r in ranks) / n,
        "mrr@10": sum(1 / r for r in ranks if r is not None and r <= MRR_CUTOFF) / n,
        "p50 ms": statistics.median(millis) if millis else 0.0,
    }


def markdown(rows: Sequence[dict[str, object]], fusion: FusionParams, embedder_id: str) -> str:
    lines = [
        f"Embedder {embedder_id}; RRF k={fusion.k:g}, weights dense {fusion.dense_weight:g}, "
        f"BM25 {fusion.lexical_weight:g} (English questions {fusion.lexical_weight_en:g}).",
        "",
        "| questions | mode | n | hit@1 | hit@5 | MRR@10 | median latency (ms) |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        m = metrics(row)
        lines.append(
            f"| {row['set']} | {row['mode']} | {m['n']} | {m['hit@1']:.3f} | {m['hit@5']:.3f} "
            f"| {m['mrr@10']:.3f} | {m['p50 ms']:.1f} |"
        )
    return "\n".join(lines)


def _given(value: float | None, default: float) -> float:
    return default if value is None else value


def _progress(label: str) -> Callable[[int], Callable[[int], None]]:
    return tqdm_progress(label)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--limit", type=int, help="only the first N questions of each set")
    parser.add_argument("--rerank", action="store_true", help="also measure the re-ranking variant")
    parser.add_argument("--fusion-k", type=float, help="RRF k (default: the setting)")
    parser.add_argument("--lexical-weight", type=float, help="BM25 weight, Vietnamese questions")
    parser.add_argument("--lexical-weight-en", type=float, help="BM25 weight, English questions")
    parser.add_argument("--out", type=Path, help="also write the table to this file")
    return parser


if __name__ == "__main__":
    sys.exit(main())
