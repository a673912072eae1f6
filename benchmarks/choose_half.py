"""Answer quality on the CHOOSE half of the dev set and of XQuAD (vi, en), for design choices.

    python benchmarks/choose_half.py dev  --n 30 --out /tmp/choose/dev
    python benchmarks/choose_half.py xquad --n 30 --out /tmp/choose/xq

The halves are ``eval.splits``' (the parity of the first SHA-256 byte of a question's origin
id): only the choose half is evaluated here, the report half is kept for reported figures
(``python -m eval.heldout --half report``). The first ``--n`` choose-half questions in a seeded
shuffle are used (the same ids on every run). Models and settings come from the usual RAG_*
environment (``RAG_TOP_K`` passages per question).

``--replies FILE`` keeps every model reply in FILE, keyed by the exact prompt: a later run whose
prompts are the same (a change to what is done with the reply: citing, snapping) replays them
instead of generating again, so comparing two versions costs one generation per prompt. (The
judge's weights and threshold need no rerun at all: ``eval.calibrate`` applies them to
recorded signals.)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from collections.abc import Generator as Stream
from pathlib import Path

from eval.corpus import open_assistant
from eval.datasets import QAItem, load_dataset
from eval.runner import evaluate
from eval.splits import choose_half
from eval.xquad import XQUAD_EN, XQUAD_VI, cross_lingual_items
from rag import Assistant
from rag.console import load_settings
from rag.generation.base import ChatMessage, FirstToken, Generator, ReplyScore, observed
from rag.generation.factory import make_generator

DEVSET = Path(__file__).resolve().parents[1] / "eval" / "devset.jsonl"


def choose(items: list[QAItem], n: int, seed: int) -> list[QAItem]:
    kept = choose_half(items)
    random.Random(seed).shuffle(kept)
    return kept[:n]


class ReplayingGenerator:
    """Replies recorded for a prompt are replayed; new prompts are generated and recorded."""

    def __init__(self, inner: Generator, path: Path) -> None:
        self.inner, self.path = inner, path
        self.replies: dict[str, str] = {}
        self.scores: dict[str, ReplyScore | None] = {}
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                row = json.loads(line)
                self.replies[row["key"]] = row["reply"]
                score = row.get("score")  # [tokens, summed log-probability]
                self.scores[row["key"]] = ReplyScore(*score) if score else None
        self.replayed = self.generated = 0

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    def warm_up(self) -> None:
        self.inner.warm_up()

    def first_token(self, messages: list[ChatMessage]) -> FirstToken:
        return self.inner.first_token(messages)  # one pass: not worth recording

    def stream(
        self, messages: list[ChatMessage], max_new_tokens: int, timeout_s: float | None = None
    ) -> Stream[str, None, ReplyScore | None]:
        key = hashlib.sha1(json.dumps([messages, max_new_tokens]).encode()).hexdigest()
        if key in self.replies:
            self.replayed += 1
            yield self.replies[key]
            return self.scores.get(key)
        self.generated += 1
        pieces: list[str] = []
        stream = self.inner.stream(messages, max_new_tokens, timeout_s)
        score = yield from observed(stream, pieces.append)
        self.replies[key], self.scores[key] = "".join(pieces), score
        with self.path.open("a", encoding="utf-8") as sink:
            row = {"key": key, "reply": self.replies[key], "prompt": messages[-1]["content"][-300:],
                   "score": [score.tokens, score.logprob] if score else None}  # fmt: skip
            sink.write(json.dumps(row, ensure_ascii=False) + "\n")
        return score


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("which", choices=["dev", "xquad"])
    parser.add_argument("--n", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--languages", default="vi,en")
    parser.add_argument("--replies", type=Path, help="replay/record model replies here")
    parser.add_argument("--xquad-dir", type=Path, default=XQUAD_VI.parent, help="XQuAD folder")
    args = parser.parse_args()
    settings = load_settings()
    rows = {}
    if args.which == "dev":
        dataset = load_dataset(DEVSET)
        assistant, _ = open_assistant(settings, dataset)
        sets = {"dev": choose(dataset.items, args.n, args.seed)}
    else:
        vi_path, en_path = args.xquad_dir / XQUAD_VI.name, args.xquad_dir / XQUAD_EN.name
        dataset = load_dataset(vi_path, language="vi")
        assistant, _ = open_assistant(settings, dataset, corpus_from_dataset=True)
        ids = {i.id for i in choose(dataset.items, args.n, args.seed)}
        sets = {
            "vi": [i for i in dataset.items if i.id in ids],
            "en": [i for i in cross_lingual_items(vi_path, en_path) if i.id in ids],
        }
        sets = {k: v for k, v in sets.items() if k in args.languages.split(",")}
    replay = ReplayingGenerator(make_generator(settings), args.replies) if args.replies else None
    if replay is not None:  # the same index and embedder, answering through the replay
        assistant = Assistant(assistant.index, assistant.embedder, settings, generator=replay)
    for name, items in sets.items():
        run = evaluate(
            assistant, items, out_dir=args.out / name, k=settings.top_k, show_progress=False
        )
        metrics = run.summary["overall"]["metrics"]
        rows[name] = {
            m: metrics[m]["mean"]
            for m in ("hit@1", "contains", "correct", "abstained")
            if m in metrics
        }
        rows[name]["n"] = len(items)
        if "abstention" in run.summary["overall"]:
            rows[name]["abstention"] = run.summary["overall"]["abstention"]
    if replay is not None:
        rows["replies"] = {"replayed": replay.replayed, "generated": replay.generated}
    print(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
