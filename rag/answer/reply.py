"""Reading what the model writes back: markup removed, citations checked and renumbered, the
NOT_FOUND marker recognised (also while it is still being streamed)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from rag.answer.markup import CITATION, citation_numbers, strip_markup
from rag.answer.prompting import NOT_FOUND

_PAGE_REFERENCE = re.compile(
    r"[ \t]*\([ \t]*(?:on |at |in )?pages?[ \t]+\d+[ \t]*\)"
    r"|[ \t]*,?[ \t]*\b(?:on|at|in)?[ \t]*\bpages?[ \t]+\d+\b",
    re.IGNORECASE,
)
# The end of a sentence: a full stop before a space (not an initial's, as in "John C. Messenger")
# or a line break.
_SENTENCE_END = re.compile(r"(?<!\b\w)\.(?=\s)|\n")
# Citations side by side, or apart by spaces only, are one group: "[1] [2][1]" says "[1][2]".
_CITATION_RUN = re.compile(rf"{CITATION.pattern}(?:[ \t]*{CITATION.pattern})*")
_MARKER = re.compile(rf"(?<![A-Za-z0-9_]){NOT_FOUND}(?![A-Za-z0-9_])")


@dataclass(frozen=True)
class ParsedReply:
    text: str  # cleaned, with citations renumbered 1..n in order of first use
    cited: list[int]  # 0-based indices into the passages, in the order of the new numbers
    not_found: bool


def parse_reply(raw: str, passage_count: int) -> ParsedReply:
    """Clean a model reply: drop markup, drop citations that point nowhere, renumber the rest."""
    text = strip_markup(raw).strip()
    if is_not_found(text):
        return ParsedReply("", [], True)
    order: list[int] = []

    def renumber(run: re.Match[str]) -> str:
        kept = []
        for group in CITATION.findall(run.group(0)):
            for n in citation_numbers(group):
                if 1 <= n <= passage_count:
                    if n - 1 not in order:
                        order.append(n - 1)
                    kept.append(f"[{order.index(n - 1) + 1}]")
        return "".join(dict.fromkeys(kept))  # each passage cited once per group

    text = _PAGE_REFERENCE.sub("", text)  # the passages have no pages: an invented pointer
    text = _CITATION_RUN.sub(renumber, _cited_where_it_ends(text))
    text = re.sub(r"[ \t]+([.,;:!?])", r"\1", re.sub(r"[ \t]{2,}", " ", text)).strip()
    return ParsedReply(text, order, False)


def _cited_where_it_ends(text: str) -> str:
    """Citations the model wrote first ("[1] Momus, the first cabaret.") moved to the end of
    the sentence they cite, so the answer itself comes first: asked to lead with the answer
    and its citation, a 1.5B model put the citation first in a third of its replies."""
    leading = []
    while match := CITATION.match(text):
        leading.append(match.group(0))
        text = text[match.end() :].lstrip(" \t\n:-")
    if not leading or not text:
        return "".join(leading) + text
    sentence_end = _SENTENCE_END.search(text)
    # No sentence end: the whole text, before any citations that close it.
    end = sentence_end.start() if sentence_end else _before_closing_citations(text)
    return f"{text[:end].rstrip()} {''.join(leading)}{text[end:]}"


def _before_closing_citations(text: str) -> int:
    """Where the text ends without its closing citations and full stop: "A [2][3]." gives 1."""
    end = len(text.rstrip(". \t\n"))
    for match in reversed(list(CITATION.finditer(text, 0, end))):
        if text[match.end() : end].strip():
            break
        end = len(text[: match.start()].rstrip())
    return end


def is_not_found(text: str) -> bool:
    """The model's abstention: NOT_FOUND alone, a reply that is mostly that marker, or the
    marker written as such anywhere in a longer reply.

    A model sometimes writes a sentence and then the marker ("… bảo đảm tiến độ. NOT_FOUND
    [1]"): the sentence is its attempt, the marker its verdict that the passages do not answer,
    and the marker must never reach a reader. Only the exact spelling counts there, so that
    "was not found" in an answer stays an answer."""
    stripped = text.strip().strip("*`\"'.").strip()
    if stripped.upper().startswith(NOT_FOUND) or _MARKER.search(text):
        return True
    return NOT_FOUND in text.upper().replace(" ", "_") and len(text) < 3 * len(NOT_FOUND)


def hold_back_marker(pieces: Iterable[str]) -> Iterator[str]:
    """Pass pieces through, except while they could still spell the NOT_FOUND marker."""
    held: str | None = ""
    for piece in pieces:
        if held is None:
            yield piece
            continue
        held += piece
        # Spelled as is_not_found reads it: any case, a space for the underscore.
        spelled = held.strip().strip("*`'\"").upper().replace(" ", "_")
        if not NOT_FOUND.startswith(spelled[: len(NOT_FOUND)]):
            yield held
            held = None
