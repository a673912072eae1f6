"""Names quoted as the passages write them.

A small model shortens or trims the names it copies: "Sân bay Los Angeles" for the passage's
"Sân bay quốc tế Los Angeles", "Luật Nam Phi" for "Đạo luật Trường học Nam Phi". A capitalised
run of the answer that no passage holds, but whose words one passage's phrase holds in the same
order with a few words inserted in one place (no punctuation between), is replaced by that
phrase. The answer's words must look like a name: capitalised, but for the second. Only one
phrase may qualify, across all passages: two candidates are a guess, and the answer is left as
the model wrote it (the checks then judge it as before).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from rag.answer.facts import Evidence, Fact, folded
from rag.answer.reply import ParsedReply, parse_reply
from rag.text import normalize
from rag.types import Passage

_WORD = re.compile(r"[^\W_]+")
# At most this many passage words between the answer's words: "quốc tế", "Truyền hình".
MAX_INSERTED = 3
MAX_SPAN = 7  # words of the answer that may stand for one name (a title and a full name)
MAX_LEFT = 2  # words a name may start before the passage's first matching word


@dataclass(frozen=True)
class _Word:
    text: str
    folded: str
    start: int
    end: int


def read_reply(raw: str, passages: list[Passage]) -> ParsedReply:
    """The model's reply to a prompt holding ``passages``, parsed (``parse_reply``), with the
    names it shortened given as those passages write them."""
    reply = parse_reply(raw, len(passages))
    return replace(reply, text=exact_names(reply.text, passages)) if reply.text else reply


def exact_names(answer: str, passages: list[Passage]) -> str:
    """The answer with each shortened name replaced by the one phrase of a passage it stands
    for; unchanged when no name needs it or the phrase is not unique."""
    texts = [normalize(p.text) for p in passages]
    evidence = Evidence(texts)
    words_of = [_words(t) for t in texts]
    answer = normalize(answer)
    parts, copied = [], 0  # the answer up to ``copied`` is in ``parts``
    for span in _spans(answer, _words(answer)):  # earliest and longest first
        if span[0].start < copied:  # inside a name already replaced
            continue
        phrase = answer[span[0].start : span[-1].end]
        if evidence.holds(Fact("quote", phrase)):  # the whole phrase, not its last words
            continue
        found = {
            folded(p): p
            for text, words in zip(texts, words_of, strict=True)
            for p in _phrases(span, text, words)
        }
        if len(found) == 1:
            parts += [answer[copied : span[0].start], next(iter(found.values()))]
            copied = span[-1].end
    return "".join(parts) + answer[copied:]


def _words(text: str) -> list[_Word]:
    return [_Word(m.group(0), folded(m.group(0)), m.start(), m.end()) for m in _WORD.finditer(text)]


def _spans(text: str, words: list[_Word]) -> list[list[_Word]]:
    """Word spans that may be a name: from a capitalised word opening a run of capitalised
    words to one closing a run, two to ``MAX_SPAN`` words, within a sentence; the longest
    for each start, in order of their starts."""
    spans: list[list[_Word]] = []
    for a in range(len(words)):
        if not _capital(words, a) or (_capital(words, a - 1) and _joined(words, a - 1)):
            continue
        # A name's words are capitalised, but for its second ("Sân bay", "Bộ trưởng"): a span
        # with other lowercase words is a clause ("Elway đã dẫn dắt Broncos"), not a name.
        ends = []
        for b in range(a + 1, min(len(words), a + MAX_SPAN)):
            if not _joined(words, b - 1) or (not _capital(words, b) and b != a + 1):
                break
            if _capital(words, b) and not (_capital(words, b + 1) and _joined(words, b)):
                ends.append(b)
        if ends:
            spans.append(words[a : ends[-1] + 1])
    return spans


def _phrases(run: list[_Word], text: str, words: list[_Word]) -> list[str]:
    """Phrases of ``text`` holding the run's words in order, a few words inserted, starting
    earlier where the passage's first matching word is not capitalised ("Đạo luật ...")."""
    wanted = [w.folded for w in run]
    found = []
    for i, word in enumerate(words):
        if word.folded != wanted[0]:
            continue
        end = _subsequence_end(wanted, words, i)  # at most MAX_INSERTED words inserted
        if end is None:
            continue
        start = i
        while not _capital(words, start) and i - start < MAX_LEFT and _joined(words, start - 1):
            start -= 1
        if not _capital(words, start):
            continue
        if all(_joined(words, k) for k in range(start, end)):  # no comma, no sentence break
            found.append(text[words[start].start : words[end].end])
    return found


def _subsequence_end(wanted: list[str], words: list[_Word], start: int) -> int | None:
    """Index of the passage word that completes ``wanted`` from ``start`` with the passage's
    extra words in one place ("Sân bay [quốc tế] Los Angeles"), at most ``MAX_INSERTED`` of
    them; None when there is no such phrase."""
    for cut in range(1, len(wanted)):  # wanted[:cut], the inserted words, then wanted[cut:]
        if [w.folded for w in words[start : start + cut]] != wanted[:cut]:
            break
        for inserted in range(1, MAX_INSERTED + 1):
            rest = start + cut + inserted
            if [w.folded for w in words[rest : rest + len(wanted) - cut]] == wanted[cut:]:
                return rest + len(wanted) - cut - 1
    return None


def _capital(words: list[_Word], i: int) -> bool:
    """Whether there is a word ``i`` and it starts with a capital."""
    return 0 <= i < len(words) and words[i].text[:1].isupper()


def _joined(words: list[_Word], i: int) -> bool:
    """Whether words ``i`` and ``i + 1`` exist and are one character apart (a space, or the
    hyphen of "Lạt-ma"): the same phrase."""
    return 0 <= i < len(words) - 1 and words[i + 1].start - words[i].end == 1
