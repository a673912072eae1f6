"""Passages per second of the passage embedder on real news passages: today's path and candidates.

    python benchmarks/bench_embedding.py [--passages 300] [--rounds 2] [--articles FILE.jsonl.gz]
        [--only NAME,NAME] [--out FILE.md]

Passages are what ``rag index`` embeds: the bundled seed articles, then the first articles of a
news dump (default ``/work/shared/data/news/unc_dantri_articles.jsonl.gz``, read in place, line
by line), loaded by ``rag.ingest.articles`` and cut by ``rag.ingest.chunking`` with the
configured chunking, with the embedder's own document prompt and title. The first
``--passages`` are used.

Everything runs in one process. Each round times every candidate once, the baseline first
(today's path: 16 chunks a call in article order, ``encode`` with ``batch_size`` 8, bf16); a
candidate's ratio is the median over rounds of (baseline time / its time) in the same round, so
a machine whose load changes between rounds still gives fair ratios. Wall-clock and CPU time
(all threads) are both reported: on a machine shared with other work, CPU seconds per passage
is the steadier figure. Each candidate's vectors are compared with the baseline's (min and
mean cosine; 1.0 = the same vectors). ``GFLOP/s/core`` is the useful arithmetic (unpadded
tokens) per CPU second, next to what a bare bf16 and fp32 matrix product of the same shape
reaches in this process: how far from the hardware's limit the model already runs. Last, the
tokens the model computes (padding included) in article order and in the index's batching.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from news import NEWS_DIR

from embeddings.factory import resolve_model_path
from embeddings.sentence_transformers_embedder import SentenceTransformersEmbedder
from rag.embedder import embedder_dtype
from rag.errors import DocumentError
from rag.index.collection import EMBED_BATCH
from rag.index.embedding import embed_chunks, length_batches, passage_lengths
from rag.ingest.articles import Article, article_from_record, load_articles
from rag.ingest.chunking import Chunk, chunk_articles
from rag.settings import BUNDLED_ARTICLES, ChunkingParams, Settings

NEWS = NEWS_DIR / "unc_dantri_articles.jsonl.gz"
Encode = Callable[[Any, list[str]], np.ndarray]  # (model, prompted inputs) -> unit vectors


@dataclass(frozen=True)
class Candidate:
    name: str
    encode: Encode
    model: str = "bf16"  # key of MODELS
    threads: int | None = None  # None: torch's default
    note: str = ""


# --- passages ---------------------------------------------------------------------------------


def news_articles(path: Path) -> Iterator[Article]:
    """Articles of a JSONL(.gz) dump, one line at a time (the file is never read whole)."""
    opener: Any = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                yield article_from_record(json.loads(line), f"{path}, line {number}")
            except (ValueError, DocumentError):
                continue  # the loader would report and skip it too


def load_passages(count: int, news: Path, chunking: ChunkingParams) -> list[Chunk]:
    seeds = load_articles([BUNDLED_ARTICLES]).articles
    chunks = chunk_articles(seeds, chunking)
    articles = news_articles(news)
    while len(chunks) < count:
        article = next(articles, None)
        if article is None:
            break
        chunks.extend(chunk_articles([article], chunking))
    return chunks[:count]


# --- the ways to encode -----------------------------------------------------------------------


def todays_path(model: Any, inputs: list[str]) -> np.ndarray:
    """What the index did before this benchmark: 16 chunks a call, in article order."""
    rows = [
        model.encode(inputs[i : i + 16], batch_size=8, normalize_embeddings=True, prompt="")
        for i in range(0, len(inputs), 16)
    ]
    return np.concatenate(rows).astype(np.float32)


def sorted_all(batch_size: int) -> Encode:
    """All passages in one call: sentence-transformers sorts them by length, so less padding."""

    def encode(model: Any, inputs: list[str]) -> np.ndarray:
        vectors = model.encode(inputs, batch_size=batch_size, normalize_embeddings=True, prompt="")
        return np.asarray(vectors, dtype=np.float32)

    return encode


def product_path(chunks: list[Chunk]) -> Encode:
    """The product's own code: the configured embedder, through ``rag.index``'s batching."""
    return lambda embedder, _inputs: embed_chunks(chunks, embedder, EMBED_BATCH, None)


def load_model(path: str, dtype: str, attention: str | None = None, int8: bool = False) -> Any:
    from sentence_transformers import SentenceTransformer

    kwargs: dict[str, Any] = {"dtype": torch.bfloat16 if dtype == "bfloat16" else torch.float32}
    if attention:
        kwargs["attn_implementation"] = attention
    model = SentenceTransformer(path, device="cpu", model_kwargs=kwargs, local_files_only=True)
    if int8:  # weights of every Linear layer to int8, activations quantised on the fly
        torch.ao.quantization.quantize_dynamic(
            model, {torch.nn.Linear}, dtype=torch.qint8, inplace=True
        )
    return model


MODELS: dict[str, Callable[[str], Any]] = {
    "bf16": lambda path: load_model(path, "bfloat16"),
    "bf16 eager": lambda path: load_model(path, "bfloat16", attention="eager"),
    "fp32": lambda path: load_model(path, "float32"),
    "int8": lambda path: load_model(path, "float32", int8=True),
}

CANDIDATES = [
    Candidate("baseline", todays_path, note="today: 16 a call, article order, batch 8"),
    Candidate("sorted b8", sorted_all(8), note="one call: sorted by length"),
    Candidate("sorted b4", sorted_all(4)),
    Candidate("sorted b16", sorted_all(16)),
    Candidate("sorted b32", sorted_all(32)),
    Candidate("sorted b8 1 thread", sorted_all(8), threads=1),
    Candidate("sorted b8 eager", sorted_all(8), model="bf16 eager", note="attention: eager"),
    Candidate("sorted b8 eager 1 thread", sorted_all(8), model="bf16 eager", threads=1),
    Candidate("sorted b8 fp32", sorted_all(8), model="fp32"),
    Candidate("sorted b16 fp32", sorted_all(16), model="fp32"),
    Candidate("int8 dynamic b8", sorted_all(8), model="int8", note="fp32 model, int8 Linear"),
]


# --- measuring --------------------------------------------------------------------------------


@dataclass
class Run:
    wall: float
    cpu: float


def timed(encode: Encode, model: Any, inputs: list[str], threads: int | None) -> tuple[Run, Any]:
    default = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        vectors = encode(model, inputs)
        return Run(time.perf_counter() - wall, time.process_time() - cpu), vectors
    finally:
        torch.set_num_threads(default)


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return np.asarray((a * b).sum(axis=1))


def model_flops(lengths: list[int], config: Any) -> float:
    """Multiply-adds x 2 of the transformer over the unpadded tokens (embedding lookup is free)."""
    h, inner = config.hidden_size, config.intermediate_size
    q, kv = (
        config.num_attention_heads * config.head_dim,
        config.num_key_value_heads * config.head_dim,
    )
    per_token = 2 * config.num_hidden_layers * (2 * h * q + 2 * h * kv + 3 * h * inner)
    attention = 4 * config.num_hidden_layers * q  # per token pair: scores and weighted values
    return float(sum(per_token * n + attention * n * n for n in lengths))


def gemm_gflops(dtype: torch.dtype, rows: int, seconds: float = 1.5) -> float:
    """A bare matrix product shaped like the model's MLP (rows x 768 @ 768 x 1152), per core."""
    a, b = torch.randn(rows, 768, dtype=dtype), torch.randn(768, 1152, dtype=dtype)
    torch.matmul(a, b)
    done, started, cpu = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - started < seconds:
        torch.matmul(a, b)
        done += 1
    return 2 * rows * 768 * 1152 * done / (time.process_time() - cpu) / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--passages", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--articles", type=Path, default=NEWS, help="a .jsonl(.gz) news dump")
    parser.add_argument("--only", help="comma-separated candidate names (baseline always runs)")
    parser.add_argument("--out", type=Path, help="also write the report (Markdown) here")
    args = parser.parse_args()

    settings = Settings()
    chunking = settings.chunking()
    chunks = load_passages(args.passages, args.articles, chunking)
    model_path, model_id = resolve_model_path(settings.embedder, settings.resolved_models_dir)
    dtype = embedder_dtype(settings)
    product = SentenceTransformersEmbedder(model_path, model_id, dtype,
                                           settings.embed_batch_size)  # fmt: skip
    inputs = [product._document_input(c.text, c.title) for c in chunks]
    wanted = set(args.only.split(",")) if args.only else None
    candidates = [
        c for c in CANDIDATES if wanted is None or c.name in wanted or c.name == "baseline"
    ]
    candidates.append(Candidate("product (rag.index)", product_path(chunks), model="product",
                                note=f"configured: {dtype}, "
                                     f"batch {settings.embed_batch_size}, sorted by tokens, "
                                     "thread count measured"))  # fmt: skip

    models: dict[str, Any] = {"product": product}
    for key in {c.model for c in candidates} - {"product"}:
        models[key] = MODELS[key](model_path)
    for model in models.values():  # one-time costs, untimed
        model.embed_documents(inputs[:4]) if model is product else model.encode(inputs[:4])
    base_model = models["bf16"]
    lengths = [len(ids) for ids in base_model.tokenizer(inputs)["input_ids"]]
    flops = model_flops(lengths, base_model[0].auto_model.config)

    runs: dict[str, list[Run]] = {c.name: [] for c in candidates}
    vectors: dict[str, np.ndarray] = {}
    for round_number in range(args.rounds):
        for candidate in candidates:
            run, rows = timed(candidate.encode, models[candidate.model], inputs, candidate.threads)
            runs[candidate.name].append(run)
            vectors.setdefault(candidate.name, rows)
            print(f"  round {round_number + 1} {candidate.name}: "
                  f"{len(inputs) / run.wall:.2f} passages/s", file=sys.stderr)  # fmt: skip
    gc.collect()

    report = [header(args, chunks, model_id, lengths, base_model.max_seq_length),
              padding_report(chunks, inputs, lengths, product), "",
              *table(candidates, runs, vectors, len(inputs), flops), "",
              f"bare matrix product ({8 * 192} x 768 @ 768 x 1152), GFLOP/s per CPU second: "
              f"bf16 {gemm_gflops(torch.bfloat16, 8 * 192):.1f}, "
              f"fp32 {gemm_gflops(torch.float32, 8 * 192):.1f}"]  # fmt: skip
    text = "\n".join(report)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


def padding_report(chunks: list[Chunk], inputs: list[str], tokens: list[int], product: Any) -> str:
    """Tokens the model computes, padding included: article order vs the index's batching.

    Within a call, sentence-transformers orders passages by characters, then cuts its batches.
    """

    def padded(calls: list[list[int]], batch: int) -> int:
        total = 0
        for call in calls:
            call = sorted(call, key=lambda i: -len(inputs[i]))
            for b in (call[k : k + batch] for k in range(0, len(call), batch)):
                total += len(b) * max(tokens[i] for i in b)
        return total

    batch, real = product._batch_size, sum(tokens)
    today = padded([list(range(i, min(i + 16, len(chunks)))) for i in range(0, len(chunks), 16)], 8)
    by_chars = [len(c.text) + len(c.title or "") for c in chunks]
    chars = padded(length_batches(by_chars, EMBED_BATCH), batch)
    ours = padded(length_batches(passage_lengths(product, chunks), EMBED_BATCH), batch)
    return (
        f"tokens computed, padding included ({real} without): today {today} "
        f"({today / real - 1:+.1%}); sorted by characters {chars} ({chars / real - 1:+.1%}); "
        f"sorted by tokens (the index now) {ours} ({ours / real - 1:+.1%}): "
        f"{1 - ours / today:.1%} less work than today"
    )


def header(args: Any, chunks: list[Chunk], model_id: str, lengths: list[int], limit: int) -> str:
    q = np.percentile(lengths, [0, 50, 95, 100])
    return (
        f"{len(chunks)} passages ({sum(len(c.text) for c in chunks)} characters) from "
        f"{BUNDLED_ARTICLES.name}/ and {args.articles.name}, {args.rounds} rounds; model "
        f"{model_id}; torch {torch.__version__}, {torch.get_num_threads()} threads, "
        f"{torch.get_num_interop_threads()} inter-op threads (unused: one forward at a time)\n"
        f"tokens per passage (prompt and title included): min {q[0]:.0f}, median {q[1]:.0f}, "
        f"p95 {q[2]:.0f}, max {q[3]:.0f}; max_seq_length {limit}, so "
        f"{sum(n > limit for n in lengths)} truncated: a lower limit would change vectors, "
        f"not save work on untruncated ones"
    )


def table(
    candidates: list[Candidate],
    runs: dict[str, list[Run]],
    vectors: dict[str, np.ndarray],
    count: int,
    flops: float,
) -> list[str]:
    base = runs["baseline"]
    lines = [
        "| candidate | passages/s | × baseline (wall) | CPU s/passage | × baseline (CPU) "
        "| GFLOP/s/core | min cos | mean cos | note |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for candidate in candidates:
        mine = runs[candidate.name]
        wall = statistics.median(b.wall / m.wall for b, m in zip(base, mine, strict=True))
        cpu = statistics.median(b.cpu / m.cpu for b, m in zip(base, mine, strict=True))
        best_wall = min(m.wall for m in mine)
        cpu_each = statistics.median(m.cpu for m in mine) / count
        similarity = cosines(vectors[candidate.name], vectors["baseline"])
        lines.append(
            f"| {candidate.name} | {count / best_wall:.2f} | {wall:.2f} | {cpu_each:.3f} | "
            f"{cpu:.2f} | {flops / count / cpu_each / 1e9:.1f} | {similarity.min():.6f} | "
            f"{similarity.mean():.6f} | {candidate.note} |"
        )
    return lines


if __name__ == "__main__":
    main()
