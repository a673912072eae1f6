"""The checks a reply must pass before it is given as an answer.

A reply becomes a ``Draft`` (its text, the passages it cites, what was asked); each check is a
small named function that returns why the draft cannot be given, or None. The first reason
found makes the answer an abstention. Order matters only for which reason is logged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rag.answer.grounding import (
    other_year_source,
    says_nothing,
    supporting_passages,
    unsupported_figures,
    unsupported_names,
)
from rag.answer.reply import ParsedReply
from rag.types import Passage


@dataclass(frozen=True)
class Draft:
    """A parsed reply, about to be checked."""

    question: str  # as searched: a follow-up made standalone
    language: str
    text: str
    cited: list[int]  # indices into ``context``
    context: list[Passage]
    not_found: bool = False

    @property
    def cited_passages(self) -> list[Passage]:
        return [self.context[i] for i in self.cited]


def draft_from_reply(
    reply: ParsedReply, question: str, language: str, context: list[Passage]
) -> Draft:
    """The reply as a draft; a reply that forgot to cite cites what visibly supports it."""
    text, cited = reply.text, list(reply.cited)
    if text and not cited:
        cited = supporting_passages(text, context, question=question, language=language)
        text += "".join(f" [{n}]" for n in range(1, len(cited) + 1))
    return Draft(question, language, text, cited, context, reply.not_found)


Check = Callable[[Draft], str | None]


def said_not_found(draft: Draft) -> str | None:
    return "the model found no answer" if draft.not_found or not draft.text else None


def restates_question(draft: Draft) -> str | None:
    if says_nothing(draft.text, draft.question):
        return f"the reply adds nothing to the question: {draft.text[:200]!r}"
    return None


def cites_nothing(draft: Draft) -> str | None:
    return "the reply cites no passage and matches none" if not draft.cited else None


def invented_figures(draft: Draft) -> str | None:
    """A figure found in no passage (nor in the question) was made up, not quoted."""
    invented = unsupported_figures(draft.text, draft.question, draft.context)
    return f"figures found in no passage: {invented}" if invented else None


def invented_names(draft: Draft) -> str | None:
    """A Vietnamese name found in no passage (nor in the question) was made up."""
    invented = unsupported_names(draft.text, draft.question, draft.context)
    return f"names found in no passage: {invented}" if invented else None


def from_another_year(draft: Draft) -> str | None:
    """The answer comes from a sentence about another year than the one asked."""
    year = other_year_source(draft.text, draft.question, draft.cited_passages)
    return f"the answer comes from a sentence about {year}" if year is not None else None


CHECKS: tuple[Check, ...] = (
    said_not_found,
    restates_question,
    cites_nothing,
    invented_figures,
    invented_names,
    from_another_year,
)


def first_failure(draft: Draft, checks: Sequence[Check] = CHECKS) -> str | None:
    """The reason of the first check the draft fails, or None if it passes them all."""
    return next((reason for check in checks if (reason := check(draft)) is not None), None)
