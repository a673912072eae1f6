"""When is FAISS in the index folder enough, and what does Milvus cost? Scale and agreement.

    python benchmarks/bench_scale.py [--news 300] [--sizes 10000,100000,1000000]
                                     [--milvus-max 100000] [--seed 0]

1. Agreement (real data, real embedder): the five seed articles and ``--news`` real news
   articles from ../shared/data/news (read in place; each indexed by its lead, the first
   passage, to bound the embedding cost on a CPU) are indexed with FAISS and with Milvus Lite
   (temporary file); the development set is searched on both: hit@1, hit@5, and how many
   questions get the same top-1 article on both stores.
2. Scale (vectors): the real passage vectors of part 1, and synthetic ones around them (a real
   vector plus Gaussian noise, renormalised: cosine about 0.8 to its origin) up to each size;
   queries are the dev-set questions' real vectors. For exact FAISS (the product's store), an
   approximate FAISS index (IVF, nlist = 4 sqrt(n), nprobe 16) and Milvus Lite (up to
   ``--milvus-max`` rows: inserting through Python is slow): build time, query p50/p95 (one
   question at a time, k = 10), recall@10 against exact search, RSS growth, disk; and the cost
   of one change (removing one article's rows) and of rebuilding bm25s (the FAISS folder's
   lexical side, rebuilt whole on every change) over passages cycled from the real ones.

The real vectors are cached under the cache folder (``bench/scale-<news>-<seed>.npz``), so a
second run embeds nothing. Figures vary with the machine's load: compare within one run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import psutil
from news import NEWS_DIR, news_records

from eval import DEVSET
from rag.assistant import Assistant
from rag.embedder import embedder_from
from rag.index.collection import Index
from rag.index.lexical import LexicalIndex
from rag.index.stores.faiss_store import FaissStore
from rag.index.stores.milvus_store import MilvusStore
from rag.ingest.articles import Article, load_articles
from rag.settings import Settings

K = 10


class CachedEmbedder:
    """The real embedder, behind a cache of the vectors it already made (text -> vector)."""

    def __init__(self, inner: Any, cache: dict[str, np.ndarray]) -> None:
        self.inner, self.cache = inner, cache
        self.model_id, self.dimension = inner.model_id, inner.dimension

    def warm_up(self) -> None:
        self.inner.warm_up()

    def embed_documents(self, texts: Sequence[str], titles: Any = None) -> np.ndarray:
        titles = list(titles or [None] * len(texts))
        keys = [_key("d", f"{t}\n{x}") for t, x in zip(titles, texts, strict=True)]
        missing = [i for i, key in enumerate(keys) if key not in self.cache]
        if missing:
            made = self.inner.embed_documents([texts[i] for i in missing],
                                              [titles[i] for i in missing])  # fmt: skip
            self.cache.update((keys[i], row) for i, row in zip(missing, made, strict=True))
        return np.stack([self.cache[key] for key in keys])

    def embed_query(self, text: str) -> np.ndarray:
        key = _key("q", text)
        if key not in self.cache:
            self.cache[key] = self.inner.embed_query(text)
        return self.cache[key]


def _key(kind: str, text: str) -> str:
    return kind + hashlib.sha256(text.encode()).hexdigest()[:32]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--news", type=int, default=300, help="real news articles (leads)")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--milvus-max", type=int, default=100_000)
    parser.add_argument("--ivf-max", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--news-dir", type=Path, default=NEWS_DIR)
    parser.add_argument(
        "--vectors-from", type=Path,
        help="scale part only, no model: the real vectors of this FAISS index folder, and "
        "queries made from them (one per dev-set question, noise added)",
    )  # fmt: skip
    parser.add_argument(
        "--faiss-threads", type=int, default=1,
        help="OpenMP threads of FAISS (also inside Milvus Lite); on a loaded 2-core machine two "
        "threads made one exact search at 10k rows 90x slower (118 vs 1.3 ms) by spin-waiting",
    )  # fmt: skip
    args = parser.parse_args()
    faiss.omp_set_num_threads(args.faiss_threads)
    if args.vectors_from:
        real = FaissStore.load(args.vectors_from / "vectors.faiss", 768).rows()
        rng = np.random.default_rng(args.seed + 2)
        picks = real[rng.integers(0, len(real), 95)]
        queries = picks + rng.standard_normal(picks.shape).astype(np.float32) * 0.04
        queries /= np.linalg.norm(queries, axis=1, keepdims=True)
        chunks = [json.loads(line) for line in (args.vectors_from / "chunks.jsonl").open()]
        texts = [f"{c['title']}\n{c['text']}" for c in chunks]
        work = Path(tempfile.mkdtemp(prefix="newsrag-scale-"))
        try:
            for size in (int(s) for s in args.sizes.split(",")):
                scale_rows(size, real, queries, texts, args, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return
    settings = Settings()
    cache_path = settings.cache_dir / "bench" / f"scale-{args.news}-{args.seed}.npz"
    cache = dict(np.load(cache_path)) if cache_path.is_file() else {}
    embedder = CachedEmbedder(embedder_from(settings), cache)
    questions = [json.loads(line) for line in DEVSET.open(encoding="utf-8")]
    articles = _seed_and_news(settings, args.news_dir, args.news, args.seed)
    work = Path(tempfile.mkdtemp(prefix="newsrag-scale-"))
    try:
        chunks, queries = agreement(articles, questions, embedder, settings, work)
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache_path, **cache)
        real = embedder.embed_documents([c.text for c in chunks], [c.title for c in chunks])
        texts = [f"{c.title}\n{c.text}" for c in chunks]
        for size in (int(s) for s in args.sizes.split(",")):
            scale_rows(size, real, queries, texts, args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


# --- part 1: agreement on real data ------------------------------------------------------------


def _seed_and_news(settings: Settings, folder: Path, count: int, seed: int) -> list[Article]:
    seeds = load_articles([settings.articles_dir]).articles
    records = [(f"{source}-{record['id']}", record) for source, record in news_records(folder)]
    random.Random(seed).shuffle(records)
    news = []
    for doc_id, record in records[:count]:
        lead = (record.get("body") or "")[:650].rsplit(" ", 1)[0]  # one passage: the lead
        news.append(Article(doc_id, record.get("title") or "", lead))
    return [*seeds, *news]


def agreement(
    articles: list[Article], questions: list[dict[str, Any]], embedder: CachedEmbedder,
    settings: Settings, work: Path,
) -> tuple[list[Any], np.ndarray]:  # fmt: skip
    started = time.perf_counter()
    faiss_index = Index.build(articles, embedder, settings.chunking())  # type: ignore[arg-type]
    embedded = time.perf_counter() - started
    store = MilvusStore.create(str(work / "agree.db"), "agree", embedder.dimension)
    milvus_index = Index.build(articles, embedder, settings.chunking(), store=store)  # type: ignore[arg-type]
    answerable = [q for q in questions if q.get("source") and not q.get("unanswerable")]
    results = {}
    for name, index in (("FAISS", faiss_index), ("Milvus Lite", milvus_index)):
        assistant = Assistant(index, embedder, settings)  # type: ignore[arg-type]
        results[name] = [[p.doc_id for p in assistant.search(q["question"])]
                         for q in answerable]  # fmt: skip
    print(f"## Agreement: {len(articles) - 5} real news articles (leads) + the 5 seed articles, "
          f"{len(faiss_index)} passages, {len(answerable)} answerable dev-set questions "
          f"(embedding: {embedded:.0f} s, cached for later runs)\n")  # fmt: skip
    print("| store | hit@1 | hit@5 | same top-1 as FAISS |\n|---|---|---|---|")
    for name, found in results.items():
        hit1 = np.mean([q["source"] in f[:1] for q, f in zip(answerable, found, strict=True)])
        hit5 = np.mean([q["source"] in f[:5] for q, f in zip(answerable, found, strict=True)])
        same = sum(a[:1] == b[:1] for a, b in zip(found, results["FAISS"], strict=True))
        print(f"| {name} | {hit1:.3f} | {hit5:.3f} | {same}/{len(found)} |")
    queries = np.stack([embedder.embed_query(q["question"]) for q in questions])
    return faiss_index.chunks, queries


# --- part 2: scale -------------------------------------------------------------------------------


def synthetic(real: np.ndarray, size: int, seed: int, block: int = 10_000) -> Iterator[np.ndarray]:
    """The real vectors first, then noisy copies of them, in blocks (never all in memory)."""
    rng = np.random.default_rng(seed)
    made = 0
    while made < size:
        count = min(block, size - made)
        rows = real[made : made + count] if made < len(real) else np.zeros((0, real.shape[1]))
        extra = count - len(rows)
        origin = real[rng.integers(0, len(real), extra)]
        noisy = origin + rng.standard_normal(origin.shape).astype(np.float32) * (
            0.75 / np.sqrt(real.shape[1])
        )
        noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
        yield np.concatenate([rows, noisy]).astype(np.float32)
        made += count


def scale_rows(
    size: int, real: np.ndarray, queries: np.ndarray, texts: list[str], args: Any, work: Path
) -> None:
    seed, milvus_max = args.seed, args.milvus_max
    threads = faiss.omp_get_max_threads()
    print(f"\n## {size:,} passages ({len(real)} real, the rest synthetic), "
          f"{len(queries)} questions, k = {K}, FAISS threads {threads}\n")  # fmt: skip
    print(
        "| store | build s | query p50 ms | p95 ms | recall@10 | RSS +MB | disk MB | "
        "remove one article s |\n|---|---|---|---|---|---|---|---|"
    )
    exact = _faiss_row("FAISS exact (IndexFlatIP)", size, real, queries, None, seed, work)
    nlist = int(4 * np.sqrt(size))
    if size <= args.ivf_max:
        _faiss_row(f"FAISS IVF{nlist},Flat nprobe 16", size, real, queries, exact, seed, work)
    if size <= milvus_max:
        _milvus_row(size, real, queries, exact, seed, work)
    else:
        print(f"| Milvus Lite | not run: over --milvus-max {milvus_max:,} | | | | | | |")
    if size <= 100_000:
        cycled = [texts[i % len(texts)] for i in range(size)]
        started = time.perf_counter()
        lexical = LexicalIndex.build(cycled)
        built = time.perf_counter() - started
        started = time.perf_counter()
        lexical.changed(range(5, size), [])  # one article of 5 passages removed
        print(f"\nbm25s over {size:,} passages (the FAISS folder's lexical side): built in "
              f"{built:.1f} s; one article removed in {time.perf_counter() - started:.1f} s "
              "(kept rows' tokens reused, bm25s re-indexed)")  # fmt: skip


def _faiss_row(
    name: str, size: int, real: np.ndarray, queries: np.ndarray, exact: np.ndarray | None,
    seed: int, work: Path,
) -> np.ndarray:  # fmt: skip
    before = _rss_mb()
    started = time.perf_counter()
    dimension = real.shape[1]
    if exact is None:
        index: faiss.Index = faiss.IndexFlatIP(dimension)
    else:
        nlist = int(4 * np.sqrt(size))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dimension), dimension, nlist,
                                   faiss.METRIC_INNER_PRODUCT)  # fmt: skip
        count = min(size, 40 * nlist)
        sample = next(synthetic(real, count, seed + 1, block=count))
        index.train(sample)
        index.nprobe = 16
    for block in synthetic(real, size, seed):
        index.add(block)
    build = time.perf_counter() - started
    found, times = _queries(lambda q: index.search(q.reshape(1, -1), K)[1][0], queries)
    path = work / "v.faiss"
    faiss.write_index(index, str(path))
    disk = path.stat().st_size / 2**20
    path.unlink()
    change = "n/a"
    # The product's store: what removing one article's rows costs (a copy of every vector:
    # not measured at 1M, where those copies would take ~9 GB of a shared machine).
    if exact is None and size <= 100_000:
        store = FaissStore(dimension, index)
        keep = list(range(5, size))  # an article of 5 passages
        started = time.perf_counter()
        store.changed(keep, np.zeros((0, dimension), dtype=np.float32))
        change = f"{time.perf_counter() - started:.2f}"
    recall = _recall(found, exact if exact is not None else found)
    print(f"| {name} | {build:.1f} | {np.percentile(times, 50):.2f} | "
          f"{np.percentile(times, 95):.2f} | {recall:.3f} | {_rss_mb() - before:.0f} | "
          f"{disk:.0f} | {change} |")  # fmt: skip
    return found


def _milvus_row(
    size: int, real: np.ndarray, queries: np.ndarray, exact: np.ndarray, seed: int, work: Path
) -> None:
    from rag.ingest.chunking import Chunk

    before = _rss_mb()
    uri = work / f"scale-{size}.db"
    store = MilvusStore.create(str(uri), "scale", real.shape[1])
    started = time.perf_counter()
    made = 0
    for block in synthetic(real, size, seed):
        chunks = [Chunk(f"c{made + i}", f"d{(made + i) // 5}", "t", None, f"đoạn {made + i}",
                        0, 1) for i in range(len(block))]  # fmt: skip
        store = store.changed(list(range(len(store))), block, chunks, [], set())
        made += len(block)
    build = time.perf_counter() - started
    found, times = _queries(lambda q: store.search(q, K)[0], queries)
    started = time.perf_counter()
    store.changed(list(range(5, size)), np.zeros((0, real.shape[1]), np.float32), [], [],
                  {"d0"})  # fmt: skip
    change = time.perf_counter() - started
    disk = sum(p.stat().st_size for p in work.rglob("*") if "scale-" in str(p) and p.is_file())
    print(f"| Milvus Lite (FLAT, through MilvusStore) | {build:.1f} | "
          f"{np.percentile(times, 50):.2f} | {np.percentile(times, 95):.2f} | "
          f"{_recall(found, exact):.3f} | {_rss_mb() - before:.0f} | {disk / 2**20:.0f} | "
          f"{change:.2f} |")  # fmt: skip
    MilvusStore.drop(store.describe())


def _queries(search: Any, queries: np.ndarray) -> tuple[np.ndarray, list[float]]:
    search(queries[0])  # warm
    found, times = [], []
    for query in queries:
        started = time.perf_counter()
        result = np.asarray(search(query))[:K]
        times.append((time.perf_counter() - started) * 1000)
        found.append(np.pad(result, (0, K - len(result)), constant_values=-1))
    return np.stack(found), times


def _recall(found: np.ndarray, exact: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(e)) / K for f, e in zip(found, exact, strict=True)]))


def _rss_mb() -> float:
    # The current RSS, not the peak: it falls again as each store is freed.
    return float(psutil.Process().memory_info().rss / 2**20)


if __name__ == "__main__":
    main()
