"""A second reading in the passages' language, written back in the question's.

A 1.5B model asked an English question about Vietnamese passages reads them worse when it must
also translate as it goes: on the choose half of XQuAD (60 English questions, same contexts,
greedy) its first reply held the gold answer 34 times when asked to answer in English, and 44
times when asked to answer in Vietnamese. So when an English reply fails a check, the question
is read again in the passages' language, where the model copies words, and that draft goes
through every check word for word. Only then is it written in English, in a short call that
sees the checked answer and not the passages.

That call is checked too. The English text is given alone when it keeps the grounded facts
that answer: every quoted title or motto, and the facts of the kind the question asks for (a
name for "who", a figure for "how many"; when it asks for no kind and quotes nothing, every
figure, year, date and Vietnamese name). When it lost one (left a figure out, translated a
name), the checked Vietnamese words follow it, so nothing checked is lost; when it adds a
figure of its own or is not English, only the checked words are given, introduced in English.

Why only after a failure: reading every English question in Vietnamese first (measured on the
choose half, 100 questions) held the gold span in .540 of the answers against .470, but the
English texts alone held it in 35 against 47: the gain was the Vietnamese words shown beside
them, and English answers that were right were lost in translation. As a second reading it
keeps the English replies that pass (.530, the English texts 48) and turns most abstentions
into answers. The compromise: a failed English reply costs two more calls, and a reader may
get Vietnamese words to go with, or instead of, an English sentence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.answer.facts import Evidence, Fact, answering_kinds, facts_of, judged
from rag.answer.markup import CITATION, citation_numbers, without_citations
from rag.answer.prompting import defuse
from rag.answer.reply import parse_reply
from rag.generation.base import ChatMessage
from rag.text import guess_language
from rag.types import Passage

RENDER_TOKENS = 128  # one to three sentences, and the Vietnamese names quoted in them
_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"|«[^»]*»")  # Vietnamese words an English text quotes
# Enough of the passages to tell their language, without reading them all.
_SAMPLE_CHARS = 2000

_RENDER_SYSTEM = """You write the answer to a reader's English question, in English, from an answer already written in Vietnamese from news articles.
Say what the Vietnamese answer says, briefly, and nothing more. Do not mention the Vietnamese answer.
Copy every number, date and citation mark like [1] exactly.
Write names of people and places as the Vietnamese answer writes them. Quote Vietnamese titles, mottos and names of organisations in the original Vietnamese, in quotation marks, followed by an English translation in parentheses."""  # noqa: E501

_WORDS_ALONE = "The articles say, in Vietnamese: {words}"
_WORDS_AFTER = "{text}\n\nIn the article's words: {words}"


def reading_language(question_language: str, passages: Sequence[Passage]) -> str:
    """The language to read the passages in: theirs when an English question meets
    Vietnamese passages; otherwise the question's."""
    if question_language != "en" or not passages:
        return question_language
    sample = " ".join(p.text for p in passages)[:_SAMPLE_CHARS]
    return guess_language(sample)


def written_language(text: str) -> str:
    """The language a reply is written in; the Vietnamese words it quotes and the names it
    gives ("Deputy Prime Minister Trần Lưu Quang chaired it") do not count."""
    words = _QUOTED.sub(" ", text).split()
    return guess_language(" ".join(w for w in words if not w.lstrip("([“\"'")[:1].isupper()))


def rendering_messages(question: str, answer: str) -> list[ChatMessage]:
    """Ask for the checked Vietnamese answer in English (the passages are not shown again)."""
    user = (
        f"Question: {defuse(question)}\nVietnamese answer: {defuse(answer)}\n"
        "(Write the English answer, keeping the citation marks.)"
    )
    return [{"role": "system", "content": _RENDER_SYSTEM}, {"role": "user", "content": user}]


def rendered_text(
    raw: str, answer: str, grounded: Sequence[Fact], cited: int, question: str = ""
) -> str:
    """What to give for the checked ``answer``, from the model's English text ``raw``.

    ``grounded`` are the facts of the checked answer that its passages hold. The English text
    is given alone when it keeps those that answer the ``question`` (``answering``); when it
    lost one (a figure left out, a name translated), the checked words follow it, so that
    nothing checked is lost; when it is not English or adds a figure that neither the checked
    answer nor the question holds, the checked words alone are given, introduced in English.
    Citation marks are kept when they point at one of the ``cited`` passages; without any,
    the answer's own marks are put at the end.
    """
    reply = parse_reply(raw, cited)
    text, words = reply.text, _checked_words(answer, cited)
    added = added_figures(text, f"{answer}\n{question}")
    if reply.not_found or not text or written_language(text) != "en" or added:
        return _WORDS_ALONE.format(words=words)
    if not reply.cited:
        text = f"{text.rstrip()}{_marks(answer, cited)}"
    if lost_facts(text, answering(grounded, question)):
        return _WORDS_AFTER.format(text=text, words=words)
    return text


def answering(grounded: Sequence[Fact], question: str) -> list[Fact]:
    """The facts the English text must keep: the quotes, and those of the kind the question
    asks for (a name for "who", a figure for "how many"); when it asks for no kind, the
    quotes if there are any (a motto, a title), and otherwise all. A year or a name around
    the answer ("the 2023 conference", "Bộ Nội vụ") may be worded freely."""
    kinds = answering_kinds(question)
    if not kinds and not any(f.kind == "quote" for f in grounded):
        return list(grounded)
    return [f for f in grounded if f.kind in kinds or f.kind == "quote"]


def lost_facts(text: str, grounded: Sequence[Fact]) -> list[str]:
    """The grounded facts that ``text`` no longer holds (word counts may change language)."""
    held = Evidence([without_citations(text)])
    return [f.text for f in grounded if judged(f) and not held.holds(f)]


def added_figures(text: str, answer: str) -> list[str]:
    """Figures, years and dates of ``text`` that ``answer`` does not hold."""
    source = Evidence([without_citations(answer)])
    return [
        f.text
        for f in facts_of(text)
        if f.kind in ("figure", "year", "date") and judged(f) and not source.holds(f)
    ]


def _checked_words(answer: str, cited: int) -> str:
    words = " ".join(without_citations(answer).split()).rstrip(" .")
    return f"“{words}”{_marks(answer, cited)}."


def _marks(answer: str, cited: int) -> str:
    groups = CITATION.findall(answer)
    numbers = dict.fromkeys(n for group in groups for n in citation_numbers(group))
    kept = [n for n in numbers if 1 <= n <= cited] or list(range(1, cited + 1))
    return " " + "".join(f"[{n}]" for n in kept) if kept else ""
