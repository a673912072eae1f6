"""One deterministic rule that halves every evaluation set: choose on one half, report the other.

The rule: hash the question's *origin id* with SHA-256 and look at the parity of the first
byte; even is ``choose``, odd is ``report``. It depends on nothing but the id, so a question
stays in its half whatever file, sample or order it comes in, and a new question never moves
an old one.

A question made from another one (an unanswerable variant of a dev-set question, an XQuAD
question asked of the seed articles) carries the id ``<origin id>~<tag>`` (``derived_id``) and
is split by its origin, so it always lands in the same half as the question it came from.
XQuAD's Vietnamese and English questions share their ids, so a question and its translation
also share a half.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Literal, TypeVar, get_args

from rag.errors import RagError

from .datasets import QAItem

Half = Literal["choose", "report"]
HALVES: tuple[Half, ...] = get_args(Half)
DERIVED = "~"  # separates an origin id from the tag of a question derived from it

Item = TypeVar("Item", bound=QAItem)


def origin_id(item_id: str) -> str:
    """``"vi-001~year"`` -> ``"vi-001"``; an id without a tag is its own origin."""
    return item_id.split(DERIVED, 1)[0]


def derived_id(origin: str, tag: str) -> str:
    """The id of a question made from ``origin`` (split with it, see ``half_of``)."""
    if not tag or DERIVED in tag:
        raise RagError(
            f"a derived question's tag must be non-empty and without {DERIVED!r}: {tag!r}"
        )
    return f"{origin_id(origin)}{DERIVED}{tag}"


def half_of(item_id: str) -> Half:
    """The half a question belongs to: the parity of the first SHA-256 byte of its origin id."""
    digest = hashlib.sha256(origin_id(item_id).encode("utf-8")).digest()
    return HALVES[digest[0] % 2]


def take_half(items: Iterable[Item], half: str) -> list[Item]:
    """The items of one half, in their original order."""
    return [item for item in items if half_of(item.id) == check_half(half)]


def choose_half(items: Iterable[Item]) -> list[Item]:
    """The half that settings, prompts and thresholds may be chosen on."""
    return take_half(items, "choose")


def report_half(items: Iterable[Item]) -> list[Item]:
    """The half whose figures are reported; nothing may be tuned on it."""
    return take_half(items, "report")


def check_half(half: str) -> Half:
    for known in HALVES:
        if half == known:
            return known
    raise RagError(f"unknown half {half!r}; expected one of {', '.join(HALVES)}")
