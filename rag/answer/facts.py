"""The key facts of an answer (figures, years and dates, names, quoted titles and mottos) and
where the passages hold them.

An answer is grounded positively: it stands when what it adds to the question is found in
the passages. Everything is compared after one normalisation (``folded``): NFC, one tone-mark
placement, case folded, spaces tidied; names and quotes are also tried without diacritics, so
an English reply that writes "Nguyen Van A" still finds "Nguyễn Văn A". Figures are compared as
bare digits, so 3.250 = 3,250 = 3250, and "3, 250" (a model's spacing of 3.250) is one figure
when the passages hold that figure.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from rag.answer.markup import without_citations
from rag.answer.numbers import number_words, word_value
from rag.text import beside_capital, normalize

Kind = Literal["figure", "year", "date", "name", "quote"]

# A figure: digit groups joined by "." or "," (optionally followed by one space, the way a model
# may space "3.250" as "3, 250"), or a bare run of digits.
_FIGURE = re.compile(r"(?<![\w])\d{1,3}(?:[.,] ?\d{3})+(?![\d])|\d+(?:[.,]\d+)*")
# A day and a month that can be one ("16/16 nhiệm vụ" is a share, not a date).
_DAY, _MONTH = r"(?:0?[1-9]|[12]\d|3[01])", r"(?:0?[1-9]|1[0-2])(?!\d)"
_DATE = re.compile(
    rf"\b(?:ngày )?{_DAY}(?:/| tháng ){_MONTH}(?:(?:/| năm )\d{{2,4}})?\b"
    r"|\b\d{4}-\d{2}-\d{2}\b|\bngày \d{1,2}\b|\btháng \d{1,2}(?:/| năm )\d{4}",
    re.IGNORECASE,
)
_YEAR = re.compile(r"^(?:1[89]|20)\d\d$")
_WORD = re.compile(r"[^\W\d_]+")
_QUOTE = re.compile(r"“([^”\n]{2,200})”|\"([^\"\n]{2,200})\"|«([^»\n]{2,200})»")
_VIETNAMESE = re.compile(r"[^\x00-\x7f]")
_POINTERS = re.compile(r"\b(?:passages?|pages?|paragraphs?|đoạn|trang)\s+\d+", re.IGNORECASE)
_TRIM = " \t.,;:!?()[]'\"“”«»"
# The numbers of a list the reply is written as ("1. ...", "2) ...", "(3) ..."): not figures.
_LIST_MARKER = re.compile(r"(?m)^[ \t]*\(?\d{1,2}[.)][ \t]+|(?<!\w)\(\d{1,2}\)[ \t]")
# A list written on one line ("như sau: 1. Muhammad ... 2. Abu ..."): a number and a stop that
# is not part of a larger number or a decimal. Only a run counting 1, 2, ... is taken for markers,
# so a lone "2. " ending a sentence stays a figure.
_INLINE_MARKER = re.compile(r"(?<![\w.,])(\d{1,2})[.)][ \t]+(?=\S)")
# Where a sentence starts: its first word is capitalised whatever it is.
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\n]\s*|[\"“(\[]\s*)$")


@dataclass(frozen=True)
class Fact:
    kind: Kind
    text: str  # as the answer writes it


def folded(text: str) -> str:
    """Normalised, case-folded text with single spaces: what facts are compared in."""
    return " ".join(normalize(text).casefold().split())


def bare(text: str) -> str:
    """Folded text without diacritics (đ as d): for names a reply writes without them."""
    decomposed = unicodedata.normalize("NFD", folded(text).replace("đ", "d"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def digits(number: str) -> str:
    return re.sub(r"\D", "", number)


def facts_of(answer: str) -> list[Fact]:
    """The facts an answer states, in order: dates, figures, quotes, names.

    Citation markers, pointers into the sources ("passage 2") and the numbers of a list are not
    facts; a small count written as a word ("bốn", "nine") is a figure (``rag.answer.numbers``).
    A name is a run of two or more capitalised words starting at the first word with
    Vietnamese letters (English titles before it are not part of it), or at the word before it
    when that is the run's last; an ASCII-only run ("Nguyen Van A") counts as a name too, and
    so does one capitalised ASCII word inside a sentence ("DuMont", "Tyndale"), but those are
    only judged where found (``judged``).
    """
    text = _POINTERS.sub(" ", without_citations(normalize(answer)))
    text = without_inline_list(_LIST_MARKER.sub(" ", text))
    found: list[Fact] = []
    for match in _DATE.finditer(text):
        found.append(Fact("date", match.group(0)))
    undated = _DATE.sub(" ", text)
    for match in _FIGURE.finditer(undated):
        number = match.group(0)
        kind: Kind = "year" if _YEAR.match(number) else "figure"
        found.append(Fact(kind, number))
    found.extend(Fact("figure", word) for word, _ in number_words(undated))
    for match in _QUOTE.finditer(text):
        quoted = next(g for g in match.groups() if g is not None).strip(_TRIM)
        if quoted:
            found.append(Fact("quote", quoted))
    unquoted = _QUOTE.sub(" ", text)
    for words in _capitalised_runs(unquoted):
        first = next((i for i, w in enumerate(words) if _VIETNAMESE.search(w)), 0)
        # A foreign name whose only accented word is its last ("Ferenc Deák") keeps the word
        # before it. The compromise: an English title before a one-word name ("Minister Đạt")
        # is kept too, and is then looked up with the name.
        found.append(Fact("name", " ".join(words[min(first, len(words) - 2) :])))
    found.extend(Fact("name", word) for word in _single_names(unquoted))
    return found


def without_inline_list(text: str) -> str:
    """The text without the numbers of a list written inline, when they count up from 1."""
    expected, spans = 1, []
    for match in _INLINE_MARKER.finditer(text):
        if int(match.group(1)) == expected:
            spans.append(match.span())
            expected += 1
    if len(spans) < 2:  # one "1. " alone is as likely a figure ending a sentence
        return text
    for start, end in reversed(spans):
        text = f"{text[:start]} {text[end:]}"
    return text


def _single_names(text: str) -> list[str]:
    """Capitalised ASCII words of three letters or more, alone inside a sentence."""
    words = list(_WORD.finditer(text))
    names = []
    for n, match in enumerate(words):
        word = match.group(0)
        if len(word) < 3 or not word[0].isupper() or _VIETNAMESE.search(word):
            continue
        if _SENTENCE_START.search(text[: match.start()]):
            continue
        if not beside_capital(text, words, n):  # a run is a name of its own
            names.append(word)
    return names


def _capitalised_runs(text: str) -> list[list[str]]:
    """Runs of two or more capitalised words separated by single spaces."""
    runs: list[list[str]] = []
    current: list[str] = []
    last_end = -2
    for match in _WORD.finditer(text):
        word = match.group(0)
        if word[0].isupper() and (not current or text[last_end : match.start()] == " "):
            current.append(word)
        else:
            if len(current) >= 2:
                runs.append(current)
            current = [word] if word[0].isupper() else []
        last_end = match.end()
    if len(current) >= 2:
        runs.append(current)
    return runs


class Evidence:
    """Texts (passages, or the question) in the forms facts are looked up in."""

    def __init__(self, texts: list[str]) -> None:
        self.folded = [folded(t) for t in texts]
        self.bare = [bare(t) for t in texts]
        self.numbers = [
            {digits(n) for n in re.findall(r"\d+(?:[.,]\d+)*", t)}
            | {str(value) for _, value in number_words(t)}
            for t in texts
        ]

    def holds(self, fact: Fact) -> list[int]:
        """Indices of the texts that hold the fact."""
        return [i for i in range(len(self.folded)) if self._held_by(i, fact)]

    def _held_by(self, i: int, fact: Fact) -> bool:
        if fact.kind in ("figure", "year"):
            return self._figure_in(i, fact.text)
        if fact.kind == "date":
            parts = re.findall(r"\d+", fact.text)
            return all(str(int(p)) in {n.lstrip("0") for n in self.numbers[i]} for p in parts)
        if fact.kind == "name":
            return any(self._phrase_in(i, variant) for variant in name_variants(fact.text))
        return self._phrase_in(i, fact.text)

    def _figure_in(self, i: int, number: str) -> bool:
        if (word_value(number) or digits(number)) in self.numbers[i]:
            return True
        # "3, 250" that is not 3250 here: two figures, each of which must be found.
        parts = re.split(r"[.,] ", number)
        return len(parts) > 1 and all(digits(p) in self.numbers[i] for p in parts)

    def _phrase_in(self, i: int, phrase: str) -> bool:
        wanted = _spaced(folded(phrase))
        if not wanted:
            return False
        return f" {wanted} " in f" {_spaced(self.folded[i])} " or (
            f" {_spaced(bare(phrase))} " in f" {_spaced(self.bare[i])} "
        )


def name_variants(name: str) -> list[str]:
    """The name, then without its leading words, down to two: capitalised words before a name
    may have joined it (a sentence's first word, "Bà", an English title)."""
    words = name.split()
    return [" ".join(words[k:]) for k in range(max(1, len(words) - 1))]


def _spaced(text: str) -> str:
    """Punctuation as spaces, so a phrase matches whole words only."""
    return " ".join(re.sub(r"[^\w%]+", " ", text).split())


def key_facts(answer: str, question: str) -> list[Fact]:
    """The facts the answer adds: those the question does not already hold."""
    asked = Evidence([question])
    return [f for f in facts_of(answer) if not asked.holds(f)]


def judged(fact: Fact) -> bool:
    """Whether a fact found nowhere counts against the answer.

    Figures, years and dates always, but for a count written as a word ("two sides", found only
    to ground an answer); names and quotes only when they contain Vietnamese letters: an
    English answer's capitalised words or quoted translation are its own words.
    """
    if fact.kind == "figure":
        return word_value(fact.text) is None
    if fact.kind in ("year", "date"):
        return True
    return bool(_VIETNAMESE.search(fact.text))


# What a question asks for: the kind of fact that must be grounded for the answer to stand.
_ASKS = {
    "figure": re.compile(
        r"\b(?:bao nhiêu|mấy|số lượng|tỷ lệ|tỉ lệ|how (?:many|much|long|old|far|large)"
        r"|what (?:percentage|proportion|number|share))\b",
        re.IGNORECASE,
    ),
    "year": re.compile(
        r"\b(?:năm nào|năm bao nhiêu|khi nào|bao giờ|thời điểm nào|ngày nào|ngày bao nhiêu"
        r"|when|what year|which year|what date|what day|in what (?:year|decade|century)s?)\b",
        re.IGNORECASE,
    ),
    "name": re.compile(r"(?:^|\W)(?:ai|người nào|who|whom|whose)(?:\W|$)", re.IGNORECASE),
}


def asked_kinds(question: str) -> set[Kind]:
    """The kinds of fact a question asks for ("bao nhiêu" a figure, "khi nào" a year or date,
    "ai" a name); empty when it asks for something else (a motto, a reason, a place)."""
    text = _without_names(normalize(question))
    kinds: set[Kind] = {kind for kind, pattern in _ASKS.items() if pattern.search(text)}  # type: ignore[misc]
    if "year" in kinds:
        kinds.add("date")
    return kinds


# What answers a question that asks for a kind of fact (a date may be written "30 December").
_ANSWERING: dict[Kind, set[Kind]] = {
    "figure": {"figure", "year"},
    "year": {"year", "date", "figure"},
    "date": {"year", "date", "figure"},
    "name": {"name"},
}


def answering_kinds(question: str) -> set[Kind]:
    """The kinds of fact that can answer the question; empty when it asks for no kind."""
    return set().union(*(_ANSWERING[k] for k in asked_kinds(question)))


def _without_names(question: str) -> str:
    """The question with names blanked out, so that a question word in a name ("Doctor Who",
    "Ai Cập") does not read as asking: a capitalised word joined to another capitalised one."""
    words = list(_WORD.finditer(question))
    chars = list(question)
    for n, match in enumerate(words):
        if match.group(0)[0].isupper() and beside_capital(question, words, n):
            chars[match.start() : match.end()] = " " * (match.end() - match.start())
    return "".join(chars)
