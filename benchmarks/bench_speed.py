"""Answer time of the product against a naive pipeline, question by question, in one process.

    python benchmarks/bench_speed.py [--limit N] [--questions benchmarks/speed_questions.jsonl]
                                     [--show] [--table-every 10]

The naive pipeline is what one writes first with the same two models: the top 4 chunks of the
product's index by the embedder alone, one plain English prompt asking for NOT_FOUND when the
answer is absent, transformers greedy decoding of at most 128 tokens, in bf16 (``--naive-dtype
float32`` on a CPU without bf16 units, where emulated bf16 reads a prompt 6x slower than f32).
The product is ``rag.Assistant`` with its settings: the backend and precision this machine's
calibration chose (``rag models profile``), or those ``RAG_GENERATOR_BACKEND`` and
``RAG_GENERATOR_PRECISION`` name. Both share
the embedder; each loads its own generator. The two answer each question in turn, the order
alternating, so that other load on the machine hits both alike.

Printed for each: total answer time and first-token time (until the stream yields its first
piece, or the finished answer when nothing was streamed, as for an abstention), p50 and p90 over
the warm questions and on the cold one (the first after loading); decoding speed (tokens after
the first piece per second, tokens counted with the model's tokenizer); prompt length; memory
(RSS the generator added at load, and the most RSS one answer added); right answers by the
question file's keys; and each figure's ratio product/naive.
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from speed_tools import (
    Measured,
    RecordingGenerator,
    RssSampler,
    cpu_summary,
    judged_right,
    load_questions,
    peak_rss_bytes,
    percentile,
    rss_bytes,
)

from embeddings.catalogue import CATALOGUE
from embeddings.provisioning import model_dir
from rag import Assistant, Settings
from rag.answer.reply import is_not_found
from rag.generation.conversion import CONVERTED
from rag.generation.factory import engine_for, make_generator
from rag.index.collection import Index
from rag.machine import load_profile

QUESTIONS = Path(__file__).with_name("speed_questions.jsonl")
NAIVE_SYSTEM = (
    "Answer the question using only the passages below. If they do not contain the answer, "
    "reply with exactly NOT_FOUND. Keep the answer short."
)
NAIVE_TOP_K = 4
NAIVE_MAX_NEW_TOKENS = 128


class NaivePipeline:
    """Dense top-4 chunks, a plain prompt, plain ``model.generate`` with a streamer."""

    def __init__(self, index: Index, embedder: Any, model_path: str, dtype: str) -> None:
        self.index, self.embedder, self.model_path = index, embedder, model_path
        self.dtype = dtype
        self.model: Any = None
        self.tokenizer: Any = None
        self.last_prompt_tokens = 0
        self.first_piece: float | None = None

    def warm_up(self) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(self.model_path)
        self.model = AutoModelForCausalLM.from_pretrained(
            self.model_path, dtype=getattr(torch, self.dtype)
        )
        self.model.eval()

    def stream(self, question: str) -> Iterator[str]:
        from transformers import TextIteratorStreamer

        rows, _ = self.index.dense_search(self.embedder.embed_query(question), NAIVE_TOP_K)
        hits = [self.index.chunks[row] for row in rows]
        passages = "\n\n".join(f"[{n}] {chunk.text}" for n, chunk in enumerate(hits, 1))
        messages = [
            {"role": "system", "content": NAIVE_SYSTEM},
            {"role": "user", "content": f"Passages:\n{passages}\n\nQuestion: {question}"},
        ]
        inputs = self.tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        self.last_prompt_tokens = int(inputs["input_ids"].shape[1])
        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
        worker = threading.Thread(
            target=self.model.generate,
            kwargs={**inputs, "streamer": streamer, "max_new_tokens": NAIVE_MAX_NEW_TOKENS,
                    "do_sample": False, "temperature": None, "top_p": None, "top_k": None,
                    "pad_token_id": self.tokenizer.eos_token_id},
        )  # fmt: skip
        worker.start()
        self.first_piece = None
        for piece in streamer:
            if self.first_piece is None and piece:
                self.first_piece = time.perf_counter()
            yield piece
        worker.join()


def timed(stream: Iterator[Any], sampler: RssSampler) -> tuple[float, float, list[Any], float, int]:
    """(total s, first item s, items, end time, RSS growth) of consuming a stream."""
    before, start = rss_bytes(), time.perf_counter()
    first: float | None = None
    items = []
    for item in stream:
        if first is None and item != "":  # the streamer also hands out empty strings
            first = time.perf_counter() - start
        items.append(item)
    end = time.perf_counter()
    return end - start, first or end - start, items, end, sampler.peak_since(start) - before


def ask_naive(naive: NaivePipeline, item: dict[str, Any], sampler: RssSampler) -> Measured:
    total, first, pieces, end, growth = timed(naive.stream(item["question"]), sampler)
    text = "".join(pieces)
    tokens = len(naive.tokenizer(text)["input_ids"])
    decode = end - naive.first_piece if naive.first_piece else 0.0
    right = judged_right(item, text, is_not_found(text))
    return Measured(total, first, naive.last_prompt_tokens, tokens, decode, text, right, growth,
                    item.get("language", ""))  # fmt: skip


def ask_product(
    product: Assistant, recorder: RecordingGenerator, tokenizer: Any, item: dict[str, Any],
    sampler: RssSampler,
) -> Measured:  # fmt: skip
    calls, verdicts = len(recorder.records), recorder.verdicts
    stream = product.stream(item["question"])
    total, first, _, _, growth = timed(stream, sampler)  # the checks run before it ends
    answer = stream.answer
    prompt_tokens = new_tokens = 0
    decode = 0.0
    if len(recorder.records) > calls:  # the model ran (no abstention before generation)
        # The call streamed sets the first token; the verdict's prefill-only pass before it
        # counts a third of a call, and its time is in the total and the first piece.
        record = recorder.records[calls]
        prompt_tokens = len(
            tokenizer.apply_chat_template(
                record.messages, add_generation_prompt=True, return_dict=False
            )
        )
        new_tokens = len(tokenizer(record.text)["input_ids"])
        if record.first_piece is not None and record.ended is not None:
            decode = record.ended - record.first_piece
    right = judged_right(item, answer.text, answer.abstained)
    return Measured(total, first, prompt_tokens, new_tokens, decode, answer.text, right, growth,
                    item.get("language", ""),
                    len(recorder.records) - calls + (recorder.verdicts - verdicts) / 3)  # fmt: skip


def loaded(label: str, load: Callable[[], None]) -> int:
    before, start = rss_bytes(), time.perf_counter()
    load()
    grown = rss_bytes() - before
    print(f"{label}: loaded in {time.perf_counter() - start:.1f} s, +{grown / 2**30:.2f} GiB RSS")
    return grown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="only the first N questions")
    parser.add_argument("--questions", type=Path, default=QUESTIONS)
    parser.add_argument("--show", action="store_true", help="print every answer")
    parser.add_argument(
        "--naive-model", type=Path, default=None,
        help="the naive pipeline's transformers folder (default: the product's generator's)",
    )  # fmt: skip
    parser.add_argument("--table-every", type=int, default=10, help="print the table so far")
    parser.add_argument("--naive-dtype", choices=["bfloat16", "float32"], default="bfloat16")
    args = parser.parse_args()
    items = load_questions(args.questions, args.limit)
    sampler = RssSampler()

    settings = Settings()
    engine, whence = engine_for(settings, load_profile(settings.resolved_models_dir)[0])
    recorder = RecordingGenerator(make_generator(settings, engine))
    product = Assistant.load(settings=settings, generator=recorder)
    product.warm_up(generator=False)
    folder = args.naive_model or (
        model_dir(CATALOGUE[settings.generator], settings.resolved_models_dir) / CONVERTED
    )
    naive = NaivePipeline(product.index, product.embedder, str(folder), args.naive_dtype)
    memory = {
        "naive": loaded(f"naive (transformers {args.naive_dtype})", naive.warm_up),
        "product": loaded(f"product ({engine.label}, {whence})", recorder.warm_up),
    }
    tokenizer = naive.tokenizer  # the same vocabulary for every backend of this model

    runs: dict[str, list[Measured]] = {"naive": [], "product": []}
    for number, item in enumerate(items):
        order = ["naive", "product"] if number % 2 == 0 else ["product", "naive"]
        for name in order:
            if name == "naive":
                measured = ask_naive(naive, item, sampler)
            else:
                measured = ask_product(product, recorder, tokenizer, item, sampler)
            runs[name].append(measured)
            if args.show:
                print(f"  {name:<7} {'RIGHT' if measured.right else 'WRONG'} "
                      f"{measured.total_s:5.1f} s  {item['question']}\n          -> "
                      f"{measured.text[:160]!r}")  # fmt: skip
        print(f"{number + 1}/{len(items)}  naive {runs['naive'][-1].total_s:5.1f} s  "
              f"product {runs['product'][-1].total_s:5.1f} s", flush=True)  # fmt: skip
        if (number + 1) % args.table_every == 0 and number + 1 < len(items):
            report(runs, memory, settings, engine.label)
    sampler.stop()
    report(runs, memory, settings, engine.label)


def report(
    runs: dict[str, list[Measured]], memory: dict[str, int], settings: Settings, engine: str
) -> None:
    def row(label: str, values: dict[str, float], unit: str = "", digits: int = 2) -> None:
        naive, product = values["naive"], values["product"]
        ratio = product / naive if naive else float("nan")
        print(f"{label:<34} {naive:>10.{digits}f}{unit:<3} {product:>10.{digits}f}{unit:<3} "
              f"{ratio:>7.2f}")  # fmt: skip

    def over(
        pick: Callable[[Measured], float | None], q: float, cold: bool = False, language: str = ""
    ) -> dict:
        out = {}
        for name, measured in runs.items():
            chosen = measured[:1] if cold else measured[1:] or measured[:1]
            chosen = [m for m in chosen if not language or m.language == language]
            values = [v for v in map(pick, chosen) if v is not None]
            out[name] = percentile(values, q) if values else float("nan")
        return out

    count = len(runs["naive"])
    print(f"\n{count} questions; product: {engine}, "
          f"prompt_lookup_tokens={settings.prompt_lookup_tokens}, "
          f"max_new_tokens={settings.max_new_tokens}; warm = questions 2..{count}")  # fmt: skip
    print(f"CPU: {cpu_summary()}, {os.cpu_count()} cores")
    print(f"{'':<34} {'naive':>13} {'product':>13} {'ratio':>7}")
    row("total answer time p50 (warm)", over(lambda m: m.total_s, 50), " s")
    row("total answer time p90 (warm)", over(lambda m: m.total_s, 90), " s")
    row("first token p50 (warm)", over(lambda m: m.first_s, 50), " s")
    row("first token p90 (warm)", over(lambda m: m.first_s, 90), " s")
    # By the question's language: English answers translate as they go, so they run longer.
    for language in sorted({m.language for m in runs["product"] if m.language}):
        row(f"  {language}: p50 (warm)", over(lambda m: m.total_s, 50, language=language), " s")
        row(f"  {language}: p90 (warm)", over(lambda m: m.total_s, 90, language=language), " s")
    row("total answer time (cold, 1st)", over(lambda m: m.total_s, 50, cold=True), " s")
    row("first token (cold, 1st)", over(lambda m: m.first_s, 50, cold=True), " s")
    row("decoding tokens/s p50 (warm)", over(lambda m: m.decode_rate, 50), "", 1)
    row("new tokens p50 (warm)", over(lambda m: m.new_tokens or None, 50), "", 0)
    row("prompt tokens p50 (warm)", over(lambda m: m.prompt_tokens or None, 50), "", 0)
    # Prefill speed sets the first token; the product's system turn comes from the prefix cache.
    row("prompt tokens / first-token s p50", over(_prefill_rate, 50), "", 0)
    row("generator load RSS", {k: v / 2**30 for k, v in memory.items()}, " GiB")
    growth = {k: max(m.rss_growth for m in v) / 2**30 for k, v in runs.items()}
    row("most RSS one answer added", growth, " GiB")
    row("model calls per answer, mean", {k: statistics.mean(m.calls for m in v)
                                         for k, v in runs.items()}, "", 2)  # fmt: skip
    row("model calls per answer, median", {k: statistics.median(m.calls for m in v)
                                           for k, v in runs.items()}, "", 2)  # fmt: skip
    row("right by keys", {k: float(sum(m.right for m in v)) for k, v in runs.items()}, "", 0)
    print(f"process peak RSS {peak_rss_bytes() / 2**30:.2f} GiB (embedder, index and both "
          f"generators); mean total: naive {statistics.mean(m.total_s for m in runs['naive']):.2f}"
          f" s, product {statistics.mean(m.total_s for m in runs['product']):.2f} s")  # fmt: skip


def _prefill_rate(measured: Measured) -> float | None:
    return measured.prompt_tokens / measured.first_s if measured.prompt_tokens else None


if __name__ == "__main__":
    main()
