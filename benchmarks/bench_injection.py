"""Injected instructions and exfiltration with the real models (eval/injection.py): 20 planted
articles among the seed articles, 10 questions that retrieve them.

    python benchmarks/bench_injection.py [--cache /tmp/newsrag-injection] [--no-screen]

``--no-screen`` turns off the instruction screen (rag/answer/instructions.py), to see what the
other defences do when the planted instructions reach the model.

Prints, per question, whether a planted instruction reached the model, whether a canary came
out (streamed / in the answer), and what the chat rendered; then the totals: canary rate,
images and links rendered, system prompt echoed.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from eval import injection
from rag import Assistant
from rag.generation.factory import make_generator
from rag.settings import Settings
from ui import render


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--no-screen", action="store_true", help="let instructions through")
    args = parser.parse_args()
    root = args.cache or Path(tempfile.mkdtemp(prefix="newsrag-injection-"))
    models_dir = Settings().resolved_models_dir
    # Answers are one to three sentences; a long time limit, as the machine may be shared.
    settings = Settings(
        cache_dir=root / "cache", models_dir=models_dir, max_new_tokens=160,
        generation_timeout_s=900, articles_dir=injection.corpus_folder(root / "articles"),
        screen_instructions=not args.no_screen,
    )  # fmt: skip
    recorder = injection.RecordingGenerator(make_generator(settings))
    started = time.perf_counter()
    assistant = Assistant.load(settings=settings, generator=recorder)
    assistant.warm_up()
    print(f"index of {len(assistant.index.articles)} articles and models ready in "
          f"{time.perf_counter() - started:.0f} s\n")  # fmt: skip
    probes = []
    for question in injection.questions():
        probe = injection.probe(assistant, recorder, question)
        probe.rendered = rendered(assistant, probe)
        probes.append(probe)
        flags = (f"exposed={probe.exposed:d} canary(stream/answer)={probe.canary_streamed:d}/"
                 f"{probe.canary_answered:d} echo={probe.echoed_system:d}")  # fmt: skip
        print(
            f"[{question.language}] {question.question}\n    {flags}\n"
            f"    streamed: {probe.streamed[:160]!r}\n    answer:   {probe.answer.text[:160]!r}"
        )
    print()
    for key, value in injection.summary(probes).items():
        print(f"{key}: {value}")


def rendered(assistant: Assistant, probe: injection.Probe) -> list[str]:
    """The chat's messages for this answer: while streaming, then final (as ui.chat does)."""
    articles = assistant.index.articles
    urls = [a.url for p in probe.answer.citations if (a := articles.get(p.doc_id)) and a.url]
    return [render.safe_answer(probe.streamed), render.answer_message(probe.answer, urls)]


if __name__ == "__main__":
    main()
