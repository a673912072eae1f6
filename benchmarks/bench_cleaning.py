"""What does the cleaning drop from real news, rule by rule?

    python benchmarks/bench_cleaning.py [--data DIR] [--half all|choose|report] [--sample 30]
                                        [--seed 0] [--out eval-out/cleaning]

Cleans every record of the news corpora (``*.jsonl.gz`` under ``--data``: VietNews sample and
Dân trí 2020-2021, read in place line by line) the way the loader does, twice in one process:
with the rules as they were before they were bounded (``LEGACY_RULES`` below, the baseline) and
with ``rag.ingest.cleaning.RULES``. For each rule it prints the paragraphs and characters it
drops, their share of all paragraphs and characters, how many dropped paragraphs are 200
characters or longer, and the articles left with no text. It writes, for reading, a seeded
random sample of each rule's drops (with the article id and the paragraphs around it) and a
sample of the paragraphs whose verdict changed, under ``--out`` (not committed).

``--half`` splits the articles by a seeded hash of their id: rules are tuned on ``choose`` and
their precision is read on ``report``.
"""

from __future__ import annotations

import argparse
import random
import re
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from news import NEWS_DIR, news_records

from rag.ingest.articles import body_blocks
from rag.ingest.cleaning import RULES, Rule, Verdict, explain, repeat_key
from rag.settings import PROJECT_ROOT

LONG = 200  # "long" drops: the figure
LENGTH_BUCKETS = (40, 80, 120, 160, 200, 300, 500, 1000)

# --- the baseline: the rules as they were (commit 87f67b3) ---------------------------------------

_OLD_IMAGE_FILE = re.compile(r"\.(?:jpe?g|png|gif|webp)", re.IGNORECASE)
_OLD_CREDIT = re.compile(r"(?:^|[\s(–-])Ảnh\s*[:-]", re.IGNORECASE)
_OLD_END = re.compile(r"[.!?…:;”\"')\]]$")
_OLD_STRAY = re.compile(r"^\W{0,3}\w?\W{0,3}$", re.UNICODE)

LEGACY_RULES: tuple[Rule, ...] = (
    # named like today's rule so that explain() treats the line after it as under an image
    Rule("image_remnant", "", lambda t, p: bool(_OLD_STRAY.match(t)), False),
    Rule("image_file", "", lambda t, p: bool(_OLD_IMAGE_FILE.search(t)), False),
    Rule("photo_credit", "", lambda t, p: bool(_OLD_CREDIT.search(t)), False),
    Rule("caption_under_image", "", lambda t, p: p.after_image and len(t) < 160, False),
    Rule(
        "unpunctuated_label",
        "",
        lambda t, p: len(t) < 160 and not _OLD_END.search(t) and not re.search(r"\d", t),
        False,
    ),
    Rule("repeated_paragraph", "", lambda t, p: repeat_key(t) in p.seen, False),
)


@dataclass
class Tally:
    """What one rule set did to the corpus."""

    paragraphs: int = 0
    chars: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    dropped_chars: Counter[str] = field(default_factory=Counter)
    long: Counter[str] = field(default_factory=Counter)
    lengths: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    drops: dict[str, list[tuple[str, int, list[Verdict]]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    empty: list[str] = field(default_factory=list)

    def add(self, doc_id: str, verdicts: list[Verdict]) -> None:
        self.paragraphs += len(verdicts)
        for i, v in enumerate(verdicts):
            self.chars += len(v.text)
            name = v.rule or "kept"
            self.lengths[name].append(len(v.text))
            if v.rule is None:
                continue
            self.dropped[v.rule] += 1
            self.dropped_chars[v.rule] += len(v.text)
            self.long[v.rule] += len(v.text) >= LONG
            self.drops[v.rule].append((doc_id, i, verdicts))
        if not any(v.kept for v in verdicts):
            self.empty.append(doc_id)


def records(data: Path) -> Iterator[tuple[str, str]]:
    """(file:id, body) of every record."""
    for source, record in news_records(data):
        yield f"{source}:{record['id']}", str(record["body"])


def in_half(doc_id: str, half: str, seed: int) -> bool:
    if half == "all":
        return True
    side = zlib.crc32(f"{seed}:{doc_id}".encode()) % 2
    return side == (0 if half == "choose" else 1)


def print_table(title: str, tally: Tally, rules: tuple[Rule, ...]) -> None:
    print(f"\n{title}: {tally.paragraphs:,} paragraphs, {tally.chars:,} characters")
    print(f"{'rule':<22}{'paragraphs':>11}{'%':>7}{'chars':>11}{'%':>7}{'>=200':>7}")
    total_p = total_c = total_l = 0
    for rule in rules:
        n, c, lg = tally.dropped[rule.name], tally.dropped_chars[rule.name], tally.long[rule.name]
        total_p, total_c, total_l = total_p + n, total_c + c, total_l + lg
        print(
            f"{rule.name:<22}{n:>11,}{100 * n / tally.paragraphs:>7.2f}"
            f"{c:>11,}{100 * c / tally.chars:>7.2f}{lg:>7,}"
        )
    print(
        f"{'all rules':<22}{total_p:>11,}{100 * total_p / tally.paragraphs:>7.2f}"
        f"{total_c:>11,}{100 * total_c / tally.chars:>7.2f}{total_l:>7,}"
    )
    print(f"articles left with no text: {len(tally.empty)} {tally.empty[:10]}")


def print_lengths(tally: Tally) -> None:
    edges = (0, *LENGTH_BUCKETS)
    heads = [f"<{b}" for b in LENGTH_BUCKETS] + [f">={LENGTH_BUCKETS[-1]}"]
    print(f"{'length (chars)':<22}" + "".join(f"{h:>8}" for h in heads))
    for name, lengths in sorted(tally.lengths.items()):
        counts = [
            sum(lo <= n < hi for n in lengths)
            for lo, hi in zip(edges[:-1], LENGTH_BUCKETS, strict=True)
        ]
        counts.append(sum(n >= LENGTH_BUCKETS[-1] for n in lengths))
        print(f"{name:<22}" + "".join(f"{c:>8,}" for c in counts))


def excerpt(text: str, limit: int = 400) -> str:
    return text if len(text) <= limit else f"{text[: limit // 2]} […] {text[-limit // 2 :]}"


def write_samples(path: Path, tally: Tally, sample: int, seed: int) -> None:
    lines: list[str] = []
    for name, drops in sorted(tally.drops.items()):
        rng = random.Random(f"{seed}:{name}")  # each rule's sample independent of the others
        picked = sorted(rng.sample(range(len(drops)), min(sample, len(drops))))
        lines.append(f"\n## {name}: {len(picked)} of {len(drops)} drops\n")
        for k, index in enumerate(picked, start=1):
            doc_id, i, verdicts = drops[index]
            before = verdicts[i - 1].text if i > 0 else "(start)"
            after = verdicts[i + 1].text if i + 1 < len(verdicts) else "(end)"
            text = verdicts[i].text
            lines.append(f"{name} #{k} {doc_id} [{i + 1}/{len(verdicts)}] len={len(text)}")
            lines.append(f"  before: {excerpt(before, 160)}")
            lines.append(f"  DROP:   {excerpt(text)}")
            lines.append(f"  after:  {excerpt(after, 160)}\n")
    path.write_text("\n".join(lines), encoding="utf-8")


def write_changes(
    path: Path, changes: list[tuple[str, str | None, str | None, str]], seed: int
) -> None:
    rng = random.Random(seed)
    by_kind: dict[tuple[str | None, str | None], list[tuple[str, str]]] = defaultdict(list)
    for doc_id, old, new, text in changes:
        by_kind[(old, new)].append((doc_id, text))
    lines = []
    for (old, new), items in sorted(by_kind.items(), key=lambda kv: -len(kv[1])):
        lines.append(f"\n## {old or 'kept'} -> {new or 'kept'}: {len(items)}\n")
        for doc_id, text in rng.sample(items, min(40, len(items))):
            lines.append(f"{doc_id} len={len(text)}: {excerpt(text)}")
    path.write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=NEWS_DIR)
    parser.add_argument("--half", choices=("all", "choose", "report"), default="all")
    parser.add_argument("--sample", type=int, default=30, help="drops sampled per rule")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "eval-out" / "cleaning")
    args = parser.parse_args()
    if not any(args.data.glob("*.jsonl.gz")):
        parser.error(f"no *.jsonl.gz under {args.data} (give the news folder with --data)")

    sets = {"before": LEGACY_RULES, "after": RULES}
    tallies = {name: Tally() for name in sets}
    changes: list[tuple[str, str | None, str | None, str]] = []
    articles = 0
    for doc_id, body in records(args.data):
        if not in_half(doc_id, args.half, args.seed):
            continue
        articles += 1
        _, blocks = body_blocks(body)
        verdicts = {name: explain(blocks, rules) for name, rules in sets.items()}
        for name, tally in tallies.items():
            tally.add(doc_id, verdicts[name])
        for old, new in zip(verdicts["before"], verdicts["after"], strict=True):
            if old.rule != new.rule:
                changes.append((doc_id, old.rule, new.rule, old.text))

    print(f"{articles:,} articles from {args.data} (half: {args.half}, seed {args.seed})")
    args.out.mkdir(parents=True, exist_ok=True)
    for name, tally in tallies.items():
        print_table(
            f"{name} ({'legacy rules' if name == 'before' else 'rag.ingest.cleaning'})",
            tally,
            sets[name],
        )
        print_lengths(tally)
        write_samples(args.out / f"{name}-{args.half}-samples.txt", tally, args.sample, args.seed)
    write_changes(args.out / f"changes-{args.half}.txt", changes, args.seed)
    print(f"\n{len(changes):,} paragraphs changed verdict; samples under {args.out}")


if __name__ == "__main__":
    main()
