"""How many tokens the product's answers use, to size ``max_new_tokens``.

    python benchmarks/bench_answer_tokens.py [--every 5] [--cap 512] [--dataset eval/devset.jsonl]

Asks every ``--every``-th question of the dataset (both languages, answerable or not) with
``max_new_tokens`` raised to ``--cap`` and counts the tokens each reply takes (the model's
tokenizer on the raw reply). The budget is chosen on the even-indexed ones of those (the longest
reply there, times ``--margin``, rounded up to a multiple of 32, the chat slider's step) and
checked on the odd-indexed ones: how many of their replies it would cut.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

from speed_tools import RecordingGenerator, load_questions, percentile
from transformers import AutoTokenizer

from embeddings.catalogue import CATALOGUE
from embeddings.provisioning import model_dir
from rag import Assistant, Settings
from rag.generation.conversion import CONVERTED
from rag.generation.factory import make_generator

DATASET = Path(__file__).resolve().parents[1] / "eval" / "devset.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", type=Path, default=DATASET)
    parser.add_argument("--every", type=int, default=5, help="every N-th question")
    parser.add_argument("--cap", type=int, default=512, help="max_new_tokens while measuring")
    parser.add_argument("--margin", type=float, default=1.5)
    args = parser.parse_args()
    settings = Settings(max_new_tokens=args.cap)
    recorder = RecordingGenerator(make_generator(settings))
    assistant = Assistant.load(settings=settings, generator=recorder)
    assistant.warm_up()
    folder = model_dir(CATALOGUE[settings.generator], settings.resolved_models_dir) / CONVERTED
    tokenizer = AutoTokenizer.from_pretrained(str(folder))

    counts: dict[str, list[int]] = {"even": [], "odd": []}
    for number, item in enumerate(load_questions(args.dataset)[:: args.every]):
        calls, started = len(recorder.records), time.perf_counter()
        answer = assistant.ask(item["question"])
        if len(recorder.records) == calls:
            print(f"{number:>2} (abstained before generation) {item['question'][:70]}")
            continue
        raw = recorder.records[-1].text
        tokens = len(tokenizer(raw)["input_ids"])
        counts["even" if number % 2 == 0 else "odd"].append(tokens)
        print(f"{number:>2} {tokens:>4} tokens {time.perf_counter() - started:5.1f} s "
              f"{'(cap reached) ' if tokens >= args.cap else ''}{raw!r}"
              f"{' [abstained]' if answer.abstained else ''}", flush=True)  # fmt: skip

    for half, values in counts.items():
        if values:
            print(f"{half}: {len(values)} replies, tokens p50 {percentile(values, 50):.0f}, "
                  f"p90 {percentile(values, 90):.0f}, max {max(values)}")  # fmt: skip
    if counts["even"]:
        budget = 32 * math.ceil(max(counts["even"]) * args.margin / 32)
        cut = sum(tokens > budget for tokens in counts["odd"])
        print(f"budget chosen on the even half: {budget} tokens "
              f"(longest {max(counts['even'])} x {args.margin}); "
              f"it would cut {cut}/{len(counts['odd'])} replies of the odd half")  # fmt: skip


if __name__ == "__main__":
    main()
