"""The checks a reply must pass before it is given as an answer.

A reply becomes a ``Draft`` (its text, the passages it cites, what was asked); each check is a
small named function that returns why the draft cannot be given, or None. The first reason
found makes the answer an abstention (or, for the checks in ``RETRY_ON``, a second, narrower
attempt: ``rag.answer.retry``).

Grounding is positive: an answer stands when the key facts it adds to the question (figures,
years and dates, names, quoted titles and mottos; ``rag.answer.facts``) are found in the
passages, compared after normalisation. Facts found nowhere count against it only where they
matter: an invented figure or Vietnamese name, or an ungrounded fact of the kind the question
asks for. A date the model adds around a grounded answer does not throw the answer away.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from rag.answer.facts import Evidence, Fact, answering_kinds, asked_kinds, judged, key_facts
from rag.answer.grounding import says_nothing, support, supporting_passages
from rag.answer.markup import without_citations
from rag.answer.reply import ParsedReply
from rag.answer.sources import place_conflict, role_conflict, source_year_conflict
from rag.types import Passage

# Below this share of its new words found in a passage, an answer with no figure, name or
# quote is not grounded (the share ``supporting_passages`` uses to cite).
MIN_WORD_SUPPORT = 0.5

# How close in meaning an answer is to each context passage (its best sentence's cosine to the
# answer): given by the assistant, which has the embedder; words cannot tell across languages.
Meaning = Callable[[str], list[float]]
MEANING_OFF = 1.01  # above any cosine: no answer is grounded by meaning


@dataclass(frozen=True)
class Draft:
    """A parsed reply, about to be checked."""

    question: str  # as searched: a follow-up made standalone
    language: str
    text: str
    cited: list[int]  # indices into ``context``
    context: list[Passage]
    not_found: bool = False
    meaning: Meaning | None = field(default=None, repr=False, compare=False)
    # An English answer with no figure, name or quote that a passage holds stands when it is
    # at least this close in meaning to a passage (set by the assistant from the settings).
    min_meaning: float = MEANING_OFF
    evidence: Evidence = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        texts = [f"{p.title}\n{p.date or ''}\n{p.text}" for p in self.context]
        object.__setattr__(self, "evidence", Evidence(texts))

    @property
    def cited_passages(self) -> list[Passage]:
        return [self.context[i] for i in self.cited]

    @cached_property
    def facts(self) -> list[Fact]:
        """The key facts: what the answer states that the question does not."""
        return key_facts(self.text, self.question)

    def where(self, fact: Fact) -> list[int]:
        """The context passages that hold ``fact``."""
        return self.evidence.holds(fact)

    @cached_property
    def close_in_meaning(self) -> list[int]:
        """For an English answer: the passages at least ``min_meaning`` close to it in meaning,
        closest first (at most two); empty for Vietnamese, compared word for word."""
        if self.language != "en" or self.meaning is None or not self.text:
            return []
        scores = self.meaning(" ".join(without_citations(self.text).split()))
        ranked = sorted(range(len(scores)), key=lambda i: -scores[i])
        return [i for i in ranked if scores[i] >= self.min_meaning][:2]


def draft_from_reply(
    reply: ParsedReply,
    question: str,
    language: str,
    context: list[Passage],
    meaning: Meaning | None = None,
    min_meaning: float = MEANING_OFF,
) -> Draft:
    """The reply as a draft citing the passages that hold its facts.

    A reply that forgot to cite, or cites passages holding none of its facts, cites the
    passages that hold them (the model's numbers are often off when it read several
    passages); without facts, the passages that visibly support its words, or (English) those
    closest to it in meaning.
    """
    draft = Draft(question, language, reply.text, list(reply.cited), context, reply.not_found,
                  meaning, min_meaning)  # fmt: skip
    if not draft.text:
        return draft
    holders = _holders(draft)
    if holders:
        cited = [i for i in draft.cited if i in holders] or holders[:2]
    elif draft.cited:
        return draft
    else:
        cited = supporting_passages(draft.text, context, question=question, language=language)
        cited = cited or draft.close_in_meaning
    if cited == draft.cited or not cited:
        return draft
    text = " ".join(without_citations(draft.text).split()).replace(" .", ".")
    text += "".join(f" [{n}]" for n in range(1, len(cited) + 1))
    return Draft(question, language, text, cited, context, reply.not_found, meaning, min_meaning)


def _holders(draft: Draft) -> list[int]:
    """Passages holding the draft's facts, most facts first."""
    counts: dict[int, int] = {}
    for fact in draft.facts:
        for i in draft.where(fact):
            counts[i] = counts.get(i, 0) + 1
    return sorted(counts, key=lambda i: (-counts[i], i))


Check = Callable[[Draft], str | None]


def said_not_found(draft: Draft) -> str | None:
    return "the model found no answer" if draft.not_found or not draft.text else None


def restates_question(draft: Draft) -> str | None:
    if says_nothing(draft.text, draft.question):
        return f"the reply adds nothing to the question: {draft.text[:200]!r}"
    return None


def cites_nothing(draft: Draft) -> str | None:
    return "the reply cites no passage and matches none" if not draft.cited else None


def no_grounded_fact(draft: Draft) -> str | None:
    """Nothing the answer adds is found in a passage: no fact, or (for an answer without
    figures, names or quotes) under half of its new words, or for an English one, no passage
    close to it in meaning."""
    if any(draft.where(f) for f in draft.facts):
        return None
    if not any(judged(f) for f in draft.facts):
        best = max((support(draft.text, p, draft.question) for p in draft.context), default=0.0)
        if best >= MIN_WORD_SUPPORT or draft.close_in_meaning:
            return None
    return f"no fact of the reply is found in a passage: {draft.text[:200]!r}"


def asked_fact_not_grounded(draft: Draft) -> str | None:
    """The fact the question asks for (a figure, a year, a name) is found in no passage."""
    kinds = asked_kinds(draft.question)
    if "figure" in kinds:
        kinds |= {"year"}
    missing = [f.text for f in draft.facts if f.kind in kinds and judged(f) and not draft.where(f)]
    return f"the asked {'/'.join(sorted(kinds))} is in no passage: {missing}" if missing else None


def lacks_asked_fact(draft: Draft) -> str | None:
    """The question asks for a figure, a date or a name, and the answer gives none that a
    passage holds (a person offered for "vào ngày nào", a word for "bao nhiêu")."""
    kinds = asked_kinds(draft.question)
    if not kinds:
        return None
    answering = answering_kinds(draft.question)
    if any(f.kind in answering and draft.where(f) for f in draft.facts):
        return None
    return f"the reply gives no {'/'.join(sorted(kinds))} found in a passage"


def invented_figures(draft: Draft) -> str | None:
    """A figure (not a year or date, which a model adds around an answer, nor a count written
    as a word) found nowhere."""
    invented = [
        f.text for f in draft.facts if f.kind == "figure" and judged(f) and not draft.where(f)
    ]
    return f"figures found in no passage: {invented}" if invented else None


def invented_names(draft: Draft) -> str | None:
    """A Vietnamese name or quotation found in no passage was made up or garbled."""
    invented = [
        f.text
        for f in draft.facts
        if f.kind in ("name", "quote") and judged(f) and not draft.where(f)
    ]
    return f"names or quotes found in no passage: {invented}" if invented else None


def from_another_year(draft: Draft) -> str | None:
    """The answer's facts come only from sentences about another year than the one asked."""
    year = source_year_conflict(draft.question, draft.facts, draft.context)
    return f"the answer comes from a sentence about {year}" if year is not None else None


def wrong_role(draft: Draft) -> str | None:
    """A name the passages give the asked role only as deputy ("Phó Chủ tịch" for "Chủ tịch"),
    or the other way round."""
    return role_conflict(draft.question, draft.facts, draft.context)


def wrong_place(draft: Draft) -> str | None:
    """A fact the passages say of another place (or of the nation) than the question names."""
    return place_conflict(draft.question, draft.facts, draft.context)


CHECKS: tuple[Check, ...] = (
    said_not_found,
    restates_question,
    cites_nothing,
    no_grounded_fact,
    asked_fact_not_grounded,
    lacks_asked_fact,
    invented_figures,
    invented_names,
    from_another_year,
    wrong_role,
    wrong_place,
)
# Failures that a narrower second attempt may repair: the model found nothing, echoed the
# question, wrote something none of whose facts can be found (a paraphrased title), or took
# someone else's fact (another role or place) from a passage that may also hold the right one.
RETRY_ON: frozenset[Check] = frozenset(
    {said_not_found, restates_question, cites_nothing, no_grounded_fact, asked_fact_not_grounded,
     lacks_asked_fact, wrong_role, wrong_place}
)  # fmt: skip


# Failures that are a weak sign, not proof, of a wrong answer: the kind of fact a question
# asks for is read from its wording, and "ai"/"who" may ask for a group ("the owner"),
# "khi nào"/"when" for a condition. Such a failure asks for a second attempt; when that gives
# nothing, a first reply that passes every other check stands if retrieval is strong (the
# assistant's bar for a second attempt), and the abstention stands otherwise.
SOFT: frozenset[Check] = frozenset({lacks_asked_fact})


def stands_without(draft: Draft, check: Check) -> bool:
    """Whether the draft failed only a soft check: it passes every other one."""
    others = [c for c in CHECKS if c is not check]
    return check in SOFT and first_failure(draft, others) is None


def first_failure(draft: Draft, checks: Sequence[Check] = CHECKS) -> str | None:
    """The reason of the first check the draft fails, or None if it passes them all."""
    failed = failing_check(draft, checks)
    return None if failed is None else failed[1]


def failing_check(draft: Draft, checks: Sequence[Check] = CHECKS) -> tuple[Check, str] | None:
    """The first check the draft fails, with its reason."""
    for check in checks:
        if (reason := check(draft)) is not None:
            return check, reason
    return None
