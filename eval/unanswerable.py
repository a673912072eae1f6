"""Unanswerable questions made from real ones, to measure abstention on the seed collection.

    python -m eval.unanswerable --out DIR [--xquad-dir DIR] [--devset FILE] [--articles DIR]

Two kinds, each question checked mechanically against the text of every article:

- **XQuAD asked of the seed articles** (tag ``seed-vi`` / ``seed-en``): questions about the
  Super Bowl or Warsaw cannot be answered from five reports on the Ministry of Home Affairs.
  A question is kept only if none of its gold answers occurs in any article (compared the way
  answers are scored, whole words) and neither it nor its page mentions Vietnam.
- **Seed-style questions about a year or province no article covers**, made from the dev set's
  answerable questions by the two swaps of ``SWAPS`` (tags ``year``, ``place``).

Each derived question's id is ``<origin id>~<tag>``, so it falls in its origin's half (see
``eval.splits``). Everything is deterministic: the random choices are seeded per question.
Files derived from XQuAD (CC BY-SA) are written on demand, never committed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from rag.retrieve.places import PROVINCES  # the 63 provinces before the 2025 merger
from rag.settings import BUNDLED_ARTICLES
from rag.text import normalize, strip_diacritics

from . import DEVSET
from .datasets import QAItem, load_dataset
from .metrics import normalize_answer
from .splits import DERIVED, derived_id
from .xquad import XQUAD_DIR, cross_lingual_items

# The human-readable template list: what is changed, and what the new value must satisfy.
SWAPS = {
    "year": "shift every year the question names by one offset (seeded, 1-20 years either way) "
    "such that no shifted year occurs in any article or lies inside a span an article names "
    "('2016 – 2020')",
    "place": "replace each province the question names (PROVINCES) by a seeded choice among "
    "the provinces that no article names",
}
MAX_YEAR_SHIFT = 20
# A four-digit number 1900-2099 standing alone (not part of 1.783.174 or 20,8) is a year.
_YEAR = re.compile(r"(?<![\d.,])(?:19|20)\d{2}(?![\d]|[.,]\d)")
_SPAN = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*[-–—]\s*((?:19|20)\d{2})(?!\d)")
_FOUR_DIGITS = re.compile(r"(?<!\d)\d{4}(?!\d)")
_VIETNAM = re.compile(r"vi[eệ]t\s*_?nam", re.IGNORECASE)
_TEXT_SUFFIXES = (".txt", ".jsonl")


# --- the articles -------------------------------------------------------------------------


@dataclass(frozen=True)
class Articles:
    """The seed articles' whole texts (title, dates, byline included), read once, NFC."""

    texts: tuple[str, ...]
    plain: str = field(init=False, repr=False)  # lower case, no diacritics: lenient matching
    covered: frozenset[int] = field(init=False, repr=False)
    four_digits: frozenset[int] = field(init=False, repr=False)  # every 4-digit number in them

    def __post_init__(self) -> None:
        object.__setattr__(self, "plain", " ".join(_plain(text) for text in self.texts))
        object.__setattr__(self, "covered", frozenset(_covered_years(self.texts)))
        numbers = {int(n) for text in self.texts for n in _FOUR_DIGITS.findall(text)}
        object.__setattr__(self, "four_digits", frozenset(numbers))

    @classmethod
    def read(cls, folder: Path = BUNDLED_ARTICLES) -> Articles:
        paths = sorted(p for p in Path(folder).rglob("*") if p.name.endswith(_TEXT_SUFFIXES))
        return cls(tuple(normalize(p.read_text(encoding="utf-8")) for p in paths))

    def has_year(self, year: int) -> bool:
        """Whether an article holds the year as a number of its own (in a date, too)."""
        return year in self.four_digits

    def names(self, name: str) -> bool:
        """Whether an article names it, ignoring case and diacritics (erring towards yes)."""
        return _plain_has(self.plain, name)


def _covered_years(texts: Iterable[str]) -> set[int]:
    """Years the articles speak of: the ones they name and every year inside a span they name."""
    years: set[int] = set()
    for text in texts:
        years.update(int(m.group(0)) for m in _YEAR.finditer(text))
        for start, end in _SPAN.findall(text):
            years.update(range(int(start), int(end) + 1))
    return years


def _plain_has(plain: str, name: str) -> bool:
    return f" {_plain(name)} " in f" {plain} "


def _plain(text: str) -> str:
    return " ".join(re.findall(r"\w+", strip_diacritics(normalize(text)).lower()))


# --- year and place swaps -----------------------------------------------------------------


def year_variant(item: QAItem, articles: Articles, seed: int = 0) -> QAItem | None:
    """The question about other years no article covers, or None if it names no year."""
    years = [int(m.group(0)) for m in _YEAR.finditer(item.question)]
    if not years:
        return None
    offsets = [
        d for d in range(-MAX_YEAR_SHIFT, MAX_YEAR_SHIFT + 1)
        if d and all(y + d not in articles.covered and not articles.has_year(y + d) for y in years)
    ]  # fmt: skip
    if not offsets:
        return None
    shift = _rng(seed, item.id, "year").choice(offsets)
    question = _YEAR.sub(lambda m: str(int(m.group(0)) + shift), item.question)
    return _unanswerable(item, question, "year")


def place_variant(item: QAItem, articles: Articles, seed: int = 0) -> QAItem | None:
    """The question about a province no article names, or None if it names no province.

    A name written without diacritics ("Lang Son", in English) is replaced the same way.
    """
    named = [form for form in _by_length(_spellings(PROVINCES)) if _names(item.question, form)]
    if not named:
        return None
    unnamed = [p for p in PROVINCES if not articles.names(p)]
    rng = _rng(seed, item.id, "place")
    question = item.question
    for form in named:  # longest first, so "Hà Nam" never eats part of a longer name
        if not _names(question, form):
            continue  # already replaced under its other spelling
        choices = [p for p in unnamed if not _plain_has(_plain(question), p)]
        replacement = rng.choice(choices)
        if form == strip_diacritics(form):
            replacement = strip_diacritics(replacement)
        question = re.sub(_whole(form), replacement, question)
    return _unanswerable(item, question, "place")


def _spellings(names: Iterable[str]) -> set[str]:
    return {spelling for name in names for spelling in (name, strip_diacritics(name))}


def swapped_questions(items: Iterable[QAItem], articles: Articles, seed: int = 0) -> list[QAItem]:
    """Every year and place variant of the answerable questions (unanswerable ones skipped)."""
    variants = []
    for item in items:
        if item.unanswerable or DERIVED in item.id:
            continue
        for make in (year_variant, place_variant):
            variant = make(item, articles, seed)
            if variant is not None:
                variants.append(variant)
    return variants


def _names(question: str, province: str) -> bool:
    return re.search(_whole(province), question) is not None


def _whole(name: str) -> str:
    return rf"(?<!\w){re.escape(name)}(?!\w)"


def _by_length(names: Iterable[str]) -> list[str]:
    return sorted(names, key=len, reverse=True)


def _rng(seed: int, item_id: str, tag: str) -> random.Random:
    """One generator per question and swap, so adding a question never changes another."""
    return random.Random(f"{seed}|{item_id}|{tag}")


def _unanswerable(item: QAItem, question: str, tag: str) -> QAItem:
    return replace(
        item, id=derived_id(item.id, tag), question=question, answers=(), keys=(),
        unanswerable=True, source=None,
    )  # fmt: skip


# --- XQuAD asked of the seed articles -----------------------------------------------------


def xquad_on_seed(items: Iterable[QAItem], articles: Articles) -> list[QAItem]:
    """The XQuAD questions that cannot be answered from the articles, as unanswerable ones.

    Dropped: any question with a gold answer found in some article, or about Vietnam.
    """
    haystack = [f" {normalize_answer(text)} " for text in articles.texts]
    kept = []
    for item in items:
        answers = [normalize_answer(a) for a in item.answers]
        if any(a and f" {a} " in text for a in answers for text in haystack):
            continue
        if _VIETNAM.search(item.question) or _VIETNAM.search(item.source or ""):
            continue
        kept.append(_unanswerable(item, item.question, f"seed-{item.language}"))
    return kept


def xquad_items(xquad_dir: Path = XQUAD_DIR) -> list[QAItem]:
    """XQuAD's Vietnamese questions, then their English originals (with both languages' spans)."""
    vietnamese = load_dataset(xquad_dir / "xquad.vi.json", language="vi").items
    english = cross_lingual_items(xquad_dir / "xquad.vi.json", xquad_dir / "xquad.en.json")
    return [*vietnamese, *english]


def kind_of(item_id: str) -> str:
    """``year``, ``place``, ``seed-vi``, ``seed-en`` (the tag), or ``original``."""
    _, _, tag = item_id.partition(DERIVED)
    return tag or "original"


# --- files --------------------------------------------------------------------------------


def write_items(items: Sequence[QAItem], path: Path) -> Path:
    """JSONL that ``eval.datasets.load_dataset`` reads back; written whole, then renamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", encoding="utf-8") as handle:
        for item in items:
            record = {"id": item.id, "kind": kind_of(item.id), **item.gold(),
                      "question": item.question, "language": item.language}  # fmt: skip
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    os.replace(partial, path)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m eval.unanswerable", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    parser.add_argument("--out", type=Path, required=True, help="folder for the JSONL files")
    parser.add_argument("--xquad-dir", type=Path, default=XQUAD_DIR, help="XQuAD folder")
    parser.add_argument("--devset", type=Path, default=DEVSET, help="questions to swap")
    parser.add_argument("--articles", type=Path, default=BUNDLED_ARTICLES, help="seed articles")
    parser.add_argument("--seed", type=int, default=0, help="seed of the swaps (default 0)")
    args = parser.parse_args(argv)
    articles = Articles.read(args.articles)
    swapped = swapped_questions(load_dataset(args.devset).items, articles, args.seed)
    foreign = xquad_on_seed(xquad_items(args.xquad_dir), articles)
    for name, items in (("swapped", swapped), ("xquad-on-seed", foreign)):
        path = write_items(items, args.out / f"{name}.jsonl")
        print(f"{len(items):5d} questions -> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
