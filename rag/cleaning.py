"""Cleaning an article's paragraphs: a list of named rules, each testable alone.

A paragraph saved from a news page is prose, or what is left of the page around the prose: the
remnant of an image ("a", "."), an image file name, a photo credit, a caption, a repeated
paragraph. Each rule below names one of these shapes and says whether a paragraph has it; the
first rule that matches drops the paragraph, and ``explain`` says which one did, so that a
benchmark can count and read each rule's drops (``benchmarks/bench_cleaning.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

STRAY_LINE = re.compile(r"^\W{0,3}\w?\W{0,3}$", re.UNICODE)
SENTENCE_END = re.compile(r"[.!?…:;”\"')\]]$")
_IMAGE_FILE = re.compile(r"\.(?:jpe?g|png|gif|webp)", re.IGNORECASE)
_PHOTO_CREDIT = re.compile(r"(?:^|[\s(–-])Ảnh\s*[:-]", re.IGNORECASE)
_DIGIT = re.compile(r"\d")
_NOT_WORD = re.compile(r"\W+")

CAPTION_MAX_CHARS = 160  # captions are shorter than this; prose paragraphs are mostly longer


@dataclass(frozen=True)
class Place:
    """Where a paragraph stands: what came before it that a rule may need to know."""

    after_image: bool  # the paragraph before was the remnant of an image
    seen: AbstractSet[str]  # repeat keys of the paragraphs kept so far


@dataclass(frozen=True)
class Rule:
    """One kind of non-prose paragraph: its name, what it drops, and the test for it."""

    name: str
    drops: str
    matches: Callable[[str, Place], bool]


@dataclass(frozen=True)
class Verdict:
    """A paragraph and the rule that dropped it (None: the paragraph is kept)."""

    text: str
    rule: str | None

    @property
    def kept(self) -> bool:
        return self.rule is None


def repeat_key(text: str) -> str:
    """Paragraphs that differ only in punctuation, spacing or case are repeats."""
    return _NOT_WORD.sub(" ", text).strip().lower()


def is_stray(text: str, place: Place) -> bool:
    """A lone letter or mark ("a", ".") is what is left of an image."""
    return bool(STRAY_LINE.match(text))


def is_image_file(text: str, place: Place) -> bool:
    """An image file name ("hoi-nghi.jpg"), alone or glued to its caption."""
    return bool(_IMAGE_FILE.search(text))


def is_photo_credit(text: str, place: Place) -> bool:
    """A photo credit ("Ảnh: VGP/Lê Sơn"), alone or closing a caption."""
    return bool(_PHOTO_CREDIT.search(text))


def is_caption_under_image(text: str, place: Place) -> bool:
    """The short line right under an image remnant is its caption."""
    return place.after_image and len(text) < CAPTION_MAX_CHARS


def is_unpunctuated_label(text: str, place: Place) -> bool:
    """Captions are short, unpunctuated labels without figures; prose ends with a mark."""
    return (
        len(text) < CAPTION_MAX_CHARS and not SENTENCE_END.search(text) and not _DIGIT.search(text)
    )


def is_repeat(text: str, place: Place) -> bool:
    """The same paragraph again (a lead repeated under the headline, a caption twice)."""
    return repeat_key(text) in place.seen


RULES: tuple[Rule, ...] = (
    Rule("stray_remnant", "a lone letter or mark left by an image", is_stray),
    Rule("image_file", "an image file name, alone or glued to its caption", is_image_file),
    Rule("photo_credit", "a photo credit, alone or closing a caption", is_photo_credit),
    Rule("caption_under_image", "the short caption under an image remnant", is_caption_under_image),
    Rule("unpunctuated_label", "a short label, no final mark or figure", is_unpunctuated_label),
    Rule("repeated_paragraph", "a paragraph already kept", is_repeat),
)


def explain(blocks: Iterable[str], rules: tuple[Rule, ...] = RULES) -> list[Verdict]:
    """Each paragraph with the name of the first rule that drops it (None when kept)."""
    verdicts: list[Verdict] = []
    seen: set[str] = set()
    after_image = False
    for block in blocks:
        place = Place(after_image=after_image, seen=seen)
        rule = next((r.name for r in rules if r.matches(block, place)), None)
        verdicts.append(Verdict(block, rule))
        after_image = rule == "stray_remnant"
        if rule is None:
            seen.add(repeat_key(block))
    return verdicts


def clean(blocks: Iterable[str]) -> list[str]:
    """The paragraphs no rule drops, in order."""
    return [v.text for v in explain(blocks) if v.kept]
