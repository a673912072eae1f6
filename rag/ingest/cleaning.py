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
# What a saved page keeps of an image: one letter or a few dots. A dash is an empty table cell.
_IMAGE_REMNANT = re.compile(r"^[.…]{0,3}[^\W\d_]?[.…]{0,3}$")
_IMAGE_FILE = re.compile(r"\.(?:jpe?g|png|gif|webp)", re.IGNORECASE)
# "Ảnh:", "ẢNH -", "Ảnh minh họa:", "Nguồn ảnh:"; lower-case only as "(ảnh: ...)" or "- ảnh: ...":
# a bare "ảnh:" after a word is prose ("phản ảnh:", "hình ảnh:", "trên màn ảnh:").
_CREDIT_WORD = (
    r"(?:(?:Ảnh|ẢNH|Nguồn ảnh)(?:\s+(?:minh họa|tư liệu|nguồn))?\s*[:-]"
    r"|(?:(?<=\()|(?<=[-–] ))(?:ảnh|nguồn ảnh)(?:\s+(?:minh họa|tư liệu|nguồn))?\s*:)"
)
# A credit closes its paragraph: the word, then a short name ("VGP/Lê Sơn", "T.TRUNG") and at
# most a closing bracket and a full stop.
_CREDIT_AT_END = re.compile(rf"(?:^|[\s(–-]){_CREDIT_WORD}\s*[^:!?]{{1,60}}?[\s).]*$")
# ... or opens it: "Ảnh: Reuters", "(Ảnh: AP)", "- Ảnh: VŨ THỦY."
_CREDIT_AT_START = re.compile(rf"^[\s(–-]*{_CREDIT_WORD}")
_CAPTION_MARKER = re.compile(r"^(?:Trong ảnh|Từ (?:trái|phải) (?:sang|qua)(?: (?:phải|trái))?)\s*:")
_DIGIT = re.compile(r"\d")
_WORD = re.compile(r"[^\W\d_]{2,}")
_LIST_ITEM = re.compile(r"^[-–+•]\s*\w")
_NOT_WORD = re.compile(r"\W+")

# Measured on the "choose" half of the news corpora (benchmarks/bench_cleaning.py, rules as they
# were): paragraphs closing with a photo credit have a median of 83 characters and 97.5 % are
# under 190, while 22.5 % of the kept paragraphs are 200 or longer; read one by one, the credit
# drops of 200 or more were mostly prose (photo reports, a caption glued to the next paragraph).
# So from 200 characters on a paragraph is kept whatever its shape; the price is that the few
# one-sentence captions that long stay in the text.
PROSE_MIN_CHARS = 200
LABEL_MAX_CHARS = 160  # labels and captions under an image remnant are shorter than this


@dataclass(frozen=True)
class Place:
    """Where a paragraph stands: what a rule may need to know beyond its text."""

    after_image: bool = False  # the paragraph before was the remnant of an image
    seen: AbstractSet[str] = frozenset()  # repeat keys of the paragraphs kept so far
    only_paragraph: bool = False  # the article has no other paragraph (remnants aside)


def is_protected(text: str, place: Place) -> bool:
    """No rule that judges a paragraph by its shape drops long prose or an article's only text."""
    return len(text) >= PROSE_MIN_CHARS or place.only_paragraph


@dataclass(frozen=True)
class Rule:
    """One kind of non-prose paragraph: its name, what it claims to drop, and the test for it.

    A ``guarded`` rule never drops a protected paragraph (``is_protected``); the rules that are
    not guarded drop only remnants or an exact copy of a paragraph that is kept.
    """

    name: str
    claims: str
    matches: Callable[[str, Place], bool]
    guarded: bool = True

    def drops(self, text: str, place: Place) -> bool:
        """Whether this rule drops the paragraph: it has the shape, and no guard keeps it."""
        if self.guarded and is_protected(text, place):
            return False
        return self.matches(text, place)


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


def is_image_remnant(text: str, place: Place) -> bool:
    """A lone letter or a few dots ("a", ".") is what is left of an image."""
    return bool(text) and bool(_IMAGE_REMNANT.match(text))


def is_stray_mark(text: str, place: Place) -> bool:
    """An empty line, a lone digit or mark (list numbers, empty table cells): no image."""
    return bool(STRAY_LINE.match(text))


def is_image_file(text: str, place: Place) -> bool:
    """An image file name ("hoi-nghi.jpg"), alone or glued to its caption."""
    return bool(_IMAGE_FILE.search(text))


def is_photo_credit(text: str, place: Place) -> bool:
    """A photo credit ("Ảnh: VGP/Lê Sơn"), alone or closing a caption (short: see the guard)."""
    return bool(_CREDIT_AT_END.search(text) or _CREDIT_AT_START.match(text))


def is_marked_caption(text: str, place: Place) -> bool:
    """A caption that says so: "Trong ảnh: ...", "Từ trái sang: ..."."""
    return bool(_CAPTION_MARKER.match(text))


def is_caption_under_image(text: str, place: Place) -> bool:
    """The short line right under an image remnant is its caption."""
    return place.after_image and len(text) < LABEL_MAX_CHARS


def is_unpunctuated_label(text: str, place: Place) -> bool:
    """Captions, bylines and subheadings are short labels without a final mark or figures.

    An item of a bulleted list ("- Đau đầu") is no label: it is part of the text.
    """
    return (
        len(text) < LABEL_MAX_CHARS
        and not SENTENCE_END.search(text)
        and not _DIGIT.search(text)
        and not _LIST_ITEM.match(text)
    )


def is_repeat(text: str, place: Place) -> bool:
    """The same paragraph again (a lead repeated under the headline, a caption twice).

    A line of fewer than two words ("110", "23.35", "Marketing") is no paragraph: in a flattened
    table the same value stands in many cells, and each is kept.
    """
    key = repeat_key(text)
    return len(_WORD.findall(key)) >= 2 and key in place.seen


RULES: tuple[Rule, ...] = (
    Rule("image_remnant", "a lone letter or dot left by an image", is_image_remnant, False),
    Rule("stray_mark", "an empty line, a lone digit or mark", is_stray_mark, False),
    Rule("image_file", "an image file name, alone or glued to its caption", is_image_file),
    Rule("photo_credit", "a photo credit, alone or closing a caption", is_photo_credit),
    Rule("marked_caption", "a caption opening with 'Trong ảnh:'", is_marked_caption),
    Rule("caption_under_image", "the short caption under an image remnant", is_caption_under_image),
    Rule("unpunctuated_label", "a short label, no final mark or figure", is_unpunctuated_label),
    Rule("repeated_paragraph", "a paragraph already kept", is_repeat, False),
)


def explain(blocks: Iterable[str], rules: tuple[Rule, ...] = RULES) -> list[Verdict]:
    """Each paragraph with the name of the first rule that drops it (None when kept)."""
    blocks = list(blocks)
    only_paragraph = sum(not STRAY_LINE.match(b) for b in blocks) == 1
    verdicts: list[Verdict] = []
    seen: set[str] = set()
    after_image = False
    for block in blocks:
        place = Place(after_image=after_image, seen=seen, only_paragraph=only_paragraph)
        rule = next((r.name for r in rules if r.drops(block, place)), None)
        verdicts.append(Verdict(block, rule))
        after_image = rule == "image_remnant"  # the next short line is that image's caption
        if rule is None:
            seen.add(repeat_key(block))
    return verdicts


def clean(blocks: Iterable[str]) -> list[str]:
    """The paragraphs no rule drops, in order."""
    return [v.text for v in explain(blocks) if v.kept]
