"""Where the first piece's time goes, and the least it could be with the prompt the product reads.

    python benchmarks/bench_first_piece.py [--limit 24] [--questions FILE]

For each question of ``speed_questions.jsonl`` that the evidence gate lets through, with the
engine the machine profile chose, in one process (the system turn is in the prefix cache from
the first question on, as when the product runs):

- **one pass**: the first piece of the answer's stream when nothing of this question is cached
  (its user turn starts with one extra space, so the cache holds only the system turn). This is
  the floor of any pipeline that reads these passages before it writes: no verdict at all;
- **verdict**: the verdict's prefill-only pass over the question's own prompt;
- **answer after it**: the first piece of the answer's stream right after the verdict (what the
  prefix cache leaves to read: the answer's last line, the cache block it falls in; then the
  first decoding step and the streamer);
- **cached again**: the answer's stream once more, everything cached (the first decoding step
  and the streamer alone); then the same with OpenVINO GenAI's own text streamer, which holds
  the last three tokens back (the generator hands each piece on when its characters are whole).

The product's first piece for an answer is verdict + answer after it; for an abstention before
writing, the verdict alone. Printed: the medians, their ratio to one pass, the tokens read, and
the rate the verdict reads them at. Needs the models (`make setup`); runs the generator only.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path
from typing import Any

from speed_tools import cpu_summary, load_questions, percentile
from transformers import AutoTokenizer

from embeddings.catalogue import CATALOGUE
from embeddings.provisioning import model_dir
from rag import Assistant, Settings
from rag.answer.context import evidence_gap
from rag.answer.prompting import build_messages, verdict_messages
from rag.generation.base import ChatMessage, Generator
from rag.generation.conversion import CONVERTED
from rag.generation.factory import engine_for, make_generator
from rag.generation.openvino_generator import OpenVINOGenerator
from rag.machine import load_profile
from rag.types import Passage

QUESTIONS = Path(__file__).with_name("speed_questions.jsonl")


def first_piece_s(generator: Generator, messages: list[ChatMessage]) -> float:
    """Seconds until the stream's first non-empty piece; the stream is closed then (which stops
    the decoding), so only the time to the first piece is spent."""
    started = time.perf_counter()
    stream = generator.stream(messages, 64)
    try:
        for piece in stream:
            if piece:
                break
        return time.perf_counter() - started
    finally:
        stream.close()


def library_first_piece_s(generator: Generator, messages: list[ChatMessage]) -> float:
    """The same as ``first_piece_s``, with OpenVINO GenAI's own text streamer (which holds the
    last three tokens back) in place of the generator's; nan for another backend. Reaches into
    the generator for its pipeline and configuration, to change nothing else."""
    if not isinstance(generator, OpenVINOGenerator):
        return float("nan")
    pipeline = generator._loaded()
    config = generator._config(pipeline, 64)
    config.logprobs = 1  # as the generator's stream asks
    status = generator._genai.StreamingStatus
    first: list[float] = []
    started = time.perf_counter()

    def on_piece(text: str) -> object:
        if text and not first:
            first.append(time.perf_counter() - started)
        return status.STOP if first else status.RUNNING

    pipeline.generate([generator.prompt(messages)], config, on_piece)
    return first[0] if first else float("nan")


def uncached(messages: list[ChatMessage]) -> list[ChatMessage]:
    """The same messages, the user turn shifted by one space: only the system turn is cached."""
    return [m if m["role"] != "user" else {**m, "content": " " + m["content"]} for m in messages]


def measure(
    generator: Generator, question: str, language: str, context: list[Passage]
) -> dict[str, float]:
    verdict = verdict_messages(question, context)
    answer = build_messages(question, context, language)
    one_pass = first_piece_s(generator, uncached(answer))
    started = time.perf_counter()
    generator.first_token(verdict)
    verdict_s = time.perf_counter() - started
    after = first_piece_s(generator, answer)
    return {
        "one pass": one_pass, "verdict": verdict_s, "answer after it": after,
        "verdict + answer after it": verdict_s + after,
        "cached again": first_piece_s(generator, answer),
        "cached again, library streamer": library_first_piece_s(generator, answer),
    }  # fmt: skip


def token_counts(tokenizer: Any, context: list[Passage], question: str) -> tuple[int, int]:
    """(the verdict prompt's tokens, the system turn's): the difference is what is read."""
    messages = verdict_messages(question, context)
    prompt = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    system = tokenizer.apply_chat_template(messages[:1], tokenize=False)
    return len(tokenizer(prompt)["input_ids"]), len(tokenizer(system)["input_ids"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=Path, default=QUESTIONS)
    parser.add_argument("--limit", type=int, default=24, help="questions let through the gate")
    args = parser.parse_args()
    settings = Settings()
    engine, whence = engine_for(settings, load_profile(settings.resolved_models_dir)[0])
    generator = make_generator(settings, engine)
    assistant = Assistant.load(settings=settings, generator=generator)
    assistant.warm_up()
    folder = model_dir(CATALOGUE[settings.generator], settings.resolved_models_dir) / CONVERTED
    tokenizer = AutoTokenizer.from_pretrained(folder)
    pipeline = assistant.pipeline()
    rows: list[dict[str, float]] = []
    read: list[tuple[int, int]] = []
    for item in load_questions(args.questions):
        if len(rows) >= args.limit:
            break
        question = item["question"]
        pool, query = assistant.retriever.search(question, settings.candidate_pool)
        if evidence_gap(question, pool, settings.min_relevance):
            continue  # abstained on before any model runs
        context = pipeline.context(pool, query)
        rows.append(measure(generator, question, item.get("language", "en"), context))
        read.append(token_counts(tokenizer, context, question))
        print(f"{len(rows)}/{args.limit} " + "  ".join(f"{k} {v:.3f}" for k, v in rows[-1].items()),
              flush=True)  # fmt: skip
    report(rows, read, f"{engine.label} ({whence})")


def report(rows: list[dict[str, float]], read: list[tuple[int, int]], engine: str) -> None:
    print(f"\n{len(rows)} questions; {engine}; CPU: {cpu_summary()}, {os.cpu_count()} cores")
    floor = statistics.median(r["one pass"] for r in rows)
    print(f"{'stage':<32} {'p50 s':>7} {'p90 s':>7} {'x one pass':>11}")
    for stage in rows[0]:  # in the order measure() takes them
        values = [r[stage] for r in rows if r[stage] == r[stage]]  # not nan
        if not values:
            continue
        median = statistics.median(values)
        print(f"{stage:<32} {median:>7.3f} {percentile(values, 90):>7.3f} "
              f"{median / floor:>11.2f}")  # fmt: skip
    prompt = statistics.median(p for p, _ in read)
    new = statistics.median(p - s for p, s in read)
    rate = statistics.median((p - s) / r["verdict"] for (p, s), r in zip(read, rows, strict=True))
    print(f"verdict prompt {prompt:.0f} tokens, {new:.0f} not cached (medians); "
          f"read at {rate:.0f} tokens/s")  # fmt: skip


if __name__ == "__main__":
    main()
