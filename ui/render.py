"""Pure helpers that turn answers and passages into safe Markdown and HTML for the page.

Everything shown comes from a model, a user or an uploaded article, so all of it is untrusted:
text is escaped, and the only markup on the page is ours (the source cards, and <mark> around
the words of a passage that the answer repeats).
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Iterable

from rag.answer.markup import (
    BARE_URL,
    HTML_TAG,
    MD_IMAGE,
    MD_LINK,
    MD_REF_DEF,
    without_citations,
)
from rag.answer.prompting import CLOSEST_HEADING
from rag.text import normalize
from rag.types import Answer, Passage

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")

ABSTAINED_NOTE = {
    "en": "No passage in the articles answers this question, so no answer was given.",
    "vi": "Không có đoạn nào trong các bài viết trả lời câu hỏi này, nên không có câu trả lời.",
}
EMPTY_SOURCES = '<div class="rag-note">The passages an answer cites appear here.</div>'


# --- Markdown for the chat ------------------------------------------------------------------


def escape_markdown(text: str) -> str:
    """Show text literally in a Markdown message (a user's question, a title)."""
    escaped = _MD_SPECIAL.sub(r"\\\1", text)
    return escaped.replace("&", "&amp;").replace("<", "&lt;")


def safe_answer(text: str, allowed_urls: Iterable[str] = ()) -> str:
    """Answer text as Markdown without images, HTML, or links other than to the sources.

    Applied to the streamed raw text too: a model could write a tracking image or a phishing
    link, and it would be shown before the final (cleaned) text replaces it.
    """
    allowed = {url for url in allowed_urls if url}
    text = MD_IMAGE.sub("", text)
    text = MD_REF_DEF.sub("", text)
    kept: list[str] = []

    def unlink(match: re.Match[str]) -> str:
        label, url = match.group(1), match.group(2)
        if url in allowed:
            kept.append(f"[{escape_markdown(label)}]({url})")
            return f"\x00{len(kept) - 1}\x00"  # set aside, so the steps below leave it alone
        return label

    text = MD_LINK.sub(unlink, text)
    text = HTML_TAG.sub("", text)
    text = BARE_URL.sub(lambda m: m.group(0) if m.group(0) in allowed else "", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = re.sub(r"[ \t]{2,}", " ", text).strip()
    return re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m.group(1))], text)


def answer_message(answer: Answer, allowed_urls: Iterable[str] = ()) -> str:
    """The chat message of a finished answer: searched question, text, and its sources."""
    parts = []
    if answer.searched_question:
        parts.append(f"*Searched for:* {escape_markdown(answer.searched_question)}")
    text = safe_answer(answer.text, allowed_urls)
    parts.append(f"*{text}*" if answer.abstained else text)
    if answer.abstained and answer.closest:
        nearest = "; ".join(
            dict.fromkeys(  # one mention per article
                f"{escape_markdown(p.title)} ({escape_markdown(p.date or 'undated')})"
                for p in answer.closest
            )
        )
        parts.append(f"**{CLOSEST_HEADING.get(answer.language, CLOSEST_HEADING['en'])}** {nearest}")
    if answer.citations:
        cited = "; ".join(
            f"[{n}] {escape_markdown(p.title)} ({escape_markdown(p.date or 'undated')})"
            for n, p in enumerate(answer.citations, start=1)
        )
        parts.append(f"**Sources:** {cited}")
    return "\n\n".join(parts)


# --- HTML for the sources panel -------------------------------------------------------------


def _key(word: str) -> str:
    return normalize(word).casefold()  # NFC, and one place for tone marks (hoà = hòa)


def supporting_spans(passage: str, answer: str) -> list[tuple[int, int]]:
    """Character spans of ``passage`` that the answer repeats.

    A word counts when it and a neighbour appear side by side in the answer too, or when it is
    a figure of two or more characters: single shared syllables ("của", "năm") would otherwise
    light up the whole passage.
    """
    answer = normalize(without_citations(answer))  # NFC first: combining marks split words
    said = [_key(w) for w in _WORD.findall(answer)]
    pairs = set(itertools.pairwise(said))
    figures = {w for w in said if len(w) > 1 and any(c.isdigit() for c in w)}
    tokens = list(_WORD.finditer(passage))
    keys = [_key(t.group()) for t in tokens]
    marked = [k in figures for k in keys]
    for i in range(len(tokens) - 1):
        if (keys[i], keys[i + 1]) in pairs:
            marked[i] = marked[i + 1] = True
    spans: list[tuple[int, int]] = []
    for token, on in zip(tokens, marked, strict=True):
        if not on:
            continue
        gap = passage[spans[-1][1] : token.start()] if spans else None
        if gap is not None and len(gap) <= 3 and "\n" not in gap:
            spans[-1] = (spans[-1][0], token.end())  # one <mark> for a run of words
        else:
            spans.append((token.start(), token.end()))
    return spans


def highlight(passage: str, answer: str) -> str:
    """The passage as escaped HTML, the words the answer repeats wrapped in <mark>."""
    out, last = [], 0
    for start, end in supporting_spans(passage, answer):
        out.append(html.escape(passage[last:start]))
        out.append(f"<mark>{html.escape(passage[start:end])}</mark>")
        last = end
    out.append(html.escape(passage[last:]))
    return "".join(out)


def source_card(number: int, passage: Passage, answer_text: str) -> str:
    date = html.escape(passage.date or "undated")
    return (
        f'<article class="rag-source">'
        f'<header><span class="rag-num">[{number}]</span> '
        f'<span class="rag-title">{html.escape(passage.title)}</span></header>'
        f'<div class="rag-date">{date}</div>'
        f'<blockquote class="rag-passage">{highlight(passage.text, answer_text)}</blockquote>'
        f"</article>"
    )


def render_sources(answer: Answer) -> str:
    """The sources panel for one answer; an abstention is a neutral note, not an error."""
    if answer.abstained or not answer.citations:
        note = ABSTAINED_NOTE.get(answer.language, ABSTAINED_NOTE["en"])
        shown = f'<div class="rag-note rag-abstained">{html.escape(note)}</div>'
        if answer.closest:  # for the reader to check: numbered apart from citations
            heading = CLOSEST_HEADING.get(answer.language, CLOSEST_HEADING["en"])
            shown += f'<div class="rag-note">{html.escape(heading)}</div>'
            shown += "".join(source_card(n, p, "") for n, p in enumerate(answer.closest, 1))
        return shown
    return "".join(source_card(n, p, answer.text) for n, p in enumerate(answer.citations, start=1))


def note(text: str) -> str:
    return f'<div class="rag-note">{html.escape(text)}</div>'
