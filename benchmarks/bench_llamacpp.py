"""Answer time with the transformers backend vs the llama.cpp backend, in one process.

    python benchmarks/bench_llamacpp.py [N] [benchmarks/answers20.jsonl]

Asks the first N (default 5) answerable questions of the Q&A file with both backends, one
question at a time with each in turn (so that other load on the machine hits both alike), and
prints each answer, whether it is right (not abstained, holds every key), the answer times, their
medians and ratio. Needs llama-cpp-python (`make llamacpp`) and the GGUF (`rag models fetch`).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

from rag import Assistant, Settings
from rag.text import normalize

BACKENDS = ("transformers", "llama.cpp")


def holds(text: str, key: str) -> bool:
    text = normalize(text).lower()
    return any(normalize(alt).lower() in text for alt in key.split("|"))


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    path = Path(sys.argv[2] if len(sys.argv) > 2 else Path(__file__).with_name("answers20.jsonl"))
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    items = [item for item in items if not item["unanswerable"]][:count]

    first = Assistant.load(settings=Settings(generator_backend=BACKENDS[0]))
    assistants = {
        BACKENDS[0]: first,
        BACKENDS[1]: Assistant.load(
            settings=Settings(generator_backend=BACKENDS[1]), embedder=first.embedder
        ),
    }
    first.warm_up(generator=False)
    for backend, assistant in assistants.items():
        started = time.perf_counter()
        assistant.generator.warm_up()
        print(f"{backend}: {assistant.generator.model_id} loaded in "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip

    times: dict[str, list[float]] = {b: [] for b in BACKENDS}
    right: dict[str, int] = dict.fromkeys(BACKENDS, 0)
    same = 0
    for item in items:
        print(f"\n[{item['language']}] {item['question']}")
        texts = []
        for backend, assistant in assistants.items():
            answer = assistant.ask(item["question"])
            ok = not answer.abstained and all(holds(answer.text, k) for k in item["keys"])
            right[backend] += ok
            times[backend].append(answer.timings["total"])
            texts.append(answer.text)
            print(f"  {backend:<12} {'RIGHT' if ok else 'WRONG'} {answer.timings['total']:5.1f} s"
                  f"  -> {answer.text}")  # fmt: skip
        same += texts[0] == texts[1]

    medians = {b: statistics.median(times[b]) for b in BACKENDS}
    print()
    for backend in BACKENDS:
        print(f"{backend:<12} {right[backend]}/{len(items)} right; answer time median "
              f"{medians[backend]:.1f} s (min {min(times[backend]):.1f}, "
              f"max {max(times[backend]):.1f})")  # fmt: skip
    print(f"llama.cpp is {medians[BACKENDS[0]] / medians[BACKENDS[1]]:.2f}x faster (medians); "
          f"identical answers {same}/{len(items)}")  # fmt: skip


if __name__ == "__main__":
    main()
