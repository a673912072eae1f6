"""Generation speed: transformers bf16 vs OpenVINO int8 (plain, and with prompt lookup and
prefix caching as the openvino backend runs it), on the product's own prompts, in one process.

    python benchmarks/bench_openvino.py [--count 8] [--questions benchmarks/answers20.jsonl]
    python benchmarks/bench_openvino.py --conversion   # time and peak memory of the conversion
    python benchmarks/bench_openvino.py --group-sizes 0,256   # quantization groups (0: plugin's 32)

The prompts are those the product builds (retrieval, context selection and prompting over the
bundled articles) for the first ``count`` questions of the file that reach the generator. Each
prompt is run by every variant in turn (so that other load on the machine hits all alike), after
every model has been loaded and warmed up. For each variant it prints the time to the first
piece, the decoding speed (tokens after the first / time after the first piece, tokens counted
with the model's tokenizer) and the total time, their medians and the ratio against transformers,
and whether the reply text is identical to transformers'. The openvino variant's first prompt is
its cold start (nothing cached); the later ones reuse the cached system-prompt prefix. With
``--group-sizes``, the openvino variants are the backend as configured at each dynamic
quantization group size (``RAG_OPENVINO_QUANTIZATION_GROUP``; 0 is the CPU plugin's default).
Needs the openvino extra and the converted model (`make setup`).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

from embeddings.catalogue import CATALOGUE
from embeddings.provisioning import model_dir
from rag import Assistant, Settings
from rag.generation.base import ChatMessage, Generator
from rag.generation.conversion import CONVERTED
from rag.generation.openvino_conversion import ensure_exporter, export_command, openvino_dir
from rag.generation.openvino_generator import OpenVINOGenerator
from rag.generation.transformers_generator import TransformersGenerator

BASELINE = "transformers bf16"
HELLO: list[ChatMessage] = [{"role": "user", "content": "Xin chào"}]


class Recorder:
    """A Generator that keeps the messages it is given and answers nothing."""

    model_id = "recorder"

    def __init__(self) -> None:
        self.messages: list[list[ChatMessage]] = []

    def warm_up(self) -> None:
        pass

    def stream(
        self, messages: list[ChatMessage], max_new_tokens: int, timeout_s: float | None = None
    ) -> Iterator[str]:
        self.messages.append(messages)
        return iter(())


def product_prompts(questions: Path, count: int, settings: Settings) -> list[list[ChatMessage]]:
    items = [json.loads(line) for line in questions.read_text(encoding="utf-8").splitlines()]
    recorder = Recorder()
    assistant = Assistant.load(settings=settings, generator=recorder)
    for item in items:
        if len(recorder.messages) >= count:
            break
        assistant.ask(item["question"])
    return recorder.messages


def timed(generator: Generator, messages: list[ChatMessage], max_new_tokens: int) -> dict[str, Any]:
    started = time.perf_counter()
    first = None
    pieces = []
    for piece in generator.stream(messages, max_new_tokens):
        first = first if first is not None else time.perf_counter() - started
        pieces.append(piece)
    total = time.perf_counter() - started
    return {"first": first or total, "total": total, "text": "".join(pieces)}


def run_speed(args: argparse.Namespace) -> None:
    settings = Settings()
    folder = model_dir(CATALOGUE[settings.generator], settings.resolved_models_dir)
    prompts = product_prompts(args.questions, args.count, settings)
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(folder / CONVERTED), local_files_only=True)
    ov = str(openvino_dir(folder))
    variants: dict[str, Generator] = {BASELINE: TransformersGenerator(str(folder / CONVERTED))}
    if args.group_sizes:
        for size in args.group_sizes:
            variants[f"openvino, group {size or 'default'}"] = OpenVINOGenerator(
                ov, quantization_group=size
            )
    else:  # the backend as configured, with and without its two decoding features
        group = settings.openvino_quantization_group
        variants["openvino int8"] = OpenVINOGenerator(
            ov, prompt_lookup=False, prefix_caching=False, quantization_group=group
        )
        variants["openvino int8 +lookup +cache"] = OpenVINOGenerator(ov, quantization_group=group)
    for name, generator in variants.items():
        started = time.perf_counter()
        generator.warm_up()
        list(generator.stream(HELLO, 1))  # every variant's first run is paid before timing
        print(f"{name}: loaded and warmed up in {time.perf_counter() - started:.1f} s")
    texts = [tokenizer.apply_chat_template(cast(Any, m), add_generation_prompt=True, tokenize=False)
             for m in prompts]  # fmt: skip
    lengths = [len(tokenizer(t, add_special_tokens=False)["input_ids"]) for t in texts]
    median = statistics.median(lengths)
    print(f"{len(prompts)} prompts of {min(lengths)}-{max(lengths)} tokens (median {median:.0f}), "
          f"max_new_tokens {args.max_new_tokens}\n")  # fmt: skip

    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in variants}
    for number, messages in enumerate(prompts, 1):
        for name, generator in variants.items():
            row = timed(generator, messages, args.max_new_tokens)
            row["tokens"] = len(tokenizer(row["text"], add_special_tokens=False)["input_ids"])
            after_first = row["total"] - row["first"]
            row["rate"] = (row["tokens"] - 1) / after_first if after_first > 0 else float("nan")
            rows[name].append(row)
            row["same"] = row["text"] == rows[BASELINE][-1]["text"]  # the baseline runs first
            print(f"#{number} {name:<30} first {row['first']:5.2f} s  {row['rate']:5.1f} tok/s  "
                  f"total {row['total']:5.2f} s  {row['tokens']:3d} tokens  "
                  f"{'same' if row['same'] else 'DIFFERENT'}: {row['text'][:70]!r}")  # fmt: skip
    summary(rows)


def summary(rows: dict[str, list[dict[str, Any]]]) -> None:
    base = rows[BASELINE]
    print(f"\n{'variant':<30} {'first (cold)':>12} {'first (warm)':>12} {'tok/s':>7} "
          f"{'total':>7} {'x total':>8} {'same text':>9}")  # fmt: skip
    for name, runs in rows.items():
        warm = statistics.median(r["first"] for r in runs[1:]) if len(runs) > 1 else float("nan")
        total = statistics.median(r["total"] for r in runs)
        ratio = statistics.median(b["total"] / r["total"] for b, r in zip(base, runs, strict=True))
        print(f"{name:<30} {runs[0]['first']:10.2f} s {warm:10.2f} s "
              f"{statistics.median(r['rate'] for r in runs):7.1f} {total:5.2f} s "
              f"{ratio:7.2f}x {sum(r['same'] for r in runs):>5}/{len(runs)}")  # fmt: skip
    print(
        "(medians; first (cold) is the first prompt, first (warm) the median of the others; "
        "x total: transformers' total / this one's, median over prompts)"
    )


def run_conversion() -> None:
    """The conversion as `rag models fetch` runs it, into a temporary folder."""
    import subprocess

    settings = Settings()
    folder = model_dir(CATALOGUE[settings.generator], settings.resolved_models_dir)
    work = Path(tempfile.mkdtemp(prefix="bench-openvino-"))
    try:
        started = time.perf_counter()
        python = ensure_exporter(work / "exporter")
        made = time.perf_counter()
        subprocess.run(export_command(python, folder / CONVERTED, work / "out"), check=True,
                       capture_output=True)  # fmt: skip
        done = time.perf_counter()
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2  # KiB -> GiB
        size = sum(p.stat().st_size for p in (work / "out").rglob("*") if p.is_file())
        print(f"exporter environment made in {made - started:.0f} s; "
              f"export {done - made:.0f} s; peak RSS of a child {peak:.2f} GiB; "
              f"output {size / 1024**3:.2f} GiB")  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)


def sizes(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of whole numbers: {text!r}") from None
    if any(v < 0 for v in values):
        raise argparse.ArgumentTypeError(f"group sizes cannot be negative: {text!r}")
    return values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=8)
    parser.add_argument("--max-new-tokens", type=int, default=Settings().max_new_tokens)
    parser.add_argument(
        "--questions", type=Path, default=Path(__file__).with_name("answers20.jsonl")
    )
    parser.add_argument("--conversion", action="store_true", help="measure the conversion")
    parser.add_argument(
        "--group-sizes", type=sizes, default=[], metavar="N,N",
        help="compare the backend at these dynamic quantization group sizes (0: the default)",
    )  # fmt: skip
    args = parser.parse_args()
    if args.conversion:
        run_conversion()
    else:
        run_speed(args)


if __name__ == "__main__":
    main()
