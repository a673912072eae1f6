"""Whose fact is it: the sentence a fact comes from, compared with what the question names.

A figure, a name or a motto taken from the right passage can still answer another question:
the 2021 motto offered for 2020, the vice-chair named as the chair, the national chair named
for a provincial connection point, a provincial count for the national one. The fact's source
sentences are the sentences of the context that hold it; when every one of them is about
another year, another place, or gives the name another rank, the fact is someone else's.
"""

from __future__ import annotations

import itertools
import re

from rag.answer.facts import Evidence, Fact, asked_kinds, folded, name_variants
from rag.ingest.chunking import split_sentences
from rag.retrieve.timeaware import question_years, year_mentions
from rag.text import normalize
from rag.types import Passage


def source_sentences(fact: Fact, passages: list[Passage]) -> list[str]:
    """The sentences of the passages that hold ``fact``."""
    found: list[str] = []
    for passage in passages:
        sentences = [passage.text[a:b] for a, b in split_sentences(passage.text)]
        found.extend(sentences[j] for j in Evidence(sentences).holds(fact))
    return found


def source_year_conflict(question: str, facts: list[Fact], passages: list[Passage]) -> int | None:
    """The other year the answer's facts belong to, or None.

    Only for a question that names a year and does not ask for one (an answer whose value is
    itself a year, "by 2035", is judged by what it says, not by which year its sentence
    names). None as soon as one fact has a source sentence naming an asked year or no year.
    """
    asked = question_years(question)
    if not asked or asked_kinds(question) & {"year", "date"}:
        return None
    other: set[int] = set()
    for fact in (f for f in facts if f.kind not in ("year", "date")):
        for sentence in source_sentences(fact, passages):
            years = set(year_mentions(sentence))
            if not years or years & asked:
                return None
            other |= years
    return max(other) if other else None


# --- whose fact: roles ("Chủ tịch" is not "Phó Chủ tịch") and places (a province, the nation) ---

_VI_ROLES = (
    "Tổng Bí thư|Chủ tịch|Thủ tướng|Bộ trưởng|Thứ trưởng|Giám đốc|Bí thư|Chủ nhiệm|Trưởng ban"
    "|Tổng cục trưởng|Cục trưởng|Vụ trưởng|Chánh án|Viện trưởng|Hiệu trưởng|Tổng thư ký"
)
_VI_ROLE = re.compile(rf"(?<!\w)(Phó\s+)?({_VI_ROLES})(?!\w)", re.IGNORECASE)
# English role words in a question, as the Vietnamese roles they translate.
_EN_ROLES = {
    "prime minister": "thủ tướng", "chairman": "chủ tịch", "chairwoman": "chủ tịch",
    "chairperson": "chủ tịch", "chair": "chủ tịch", "president": "chủ tịch",
    "minister": "bộ trưởng", "director": "giám đốc", "secretary": "bí thư",
}  # fmt: skip
_EN_ROLE = re.compile(
    rf"\b(deputy |vice[- ])?({'|'.join(sorted(_EN_ROLES, key=len, reverse=True))})\b",
    re.IGNORECASE,
)
_PLACE = re.compile(
    r"(?<!\w)(?:tỉnh|thành phố|TP\.?|huyện|quận|thị xã|điểm cầu)\s+"
    r"((?:[A-ZĐÀ-Ỹ][^\s,.;:()?!\"“”]*)(?:\s+[A-ZĐÀ-Ỹ][^\s,.;:()?!\"“”]*)*)"
)
_NATIONAL = re.compile(
    r"(?<!\w)(?:toàn quốc|cả nước|trung ương|nationwide|national|whole country)(?!\w)",
    re.IGNORECASE,
)

# A question asking which place: the place named beside the answer is the answer, not a sign
# that the fact belongs to another place than the one asked about.
_ASKS_PLACE = re.compile(
    r"(?<!\w)(?:ở đâu|tại đâu|nơi nào|(?:tỉnh|thành phố|quận|huyện|xã|địa phương|nước|vùng) nào"
    r"|where|(?:which|what) (?:province|city|district|county|state|country|town|region|place))"
    r"(?!\w)",
    re.IGNORECASE,
)

Role = tuple[bool, str]  # (deputy, the role as folded Vietnamese)


def question_role(question: str) -> Role | None:
    """The role a question asks about: ("Phó Chủ tịch" -> (True, "chủ tịch")), or None."""
    if match := _VI_ROLE.search(question):
        return bool(match.group(1)), folded(match.group(2))
    if match := _EN_ROLE.search(question):
        return bool(match.group(1)), _EN_ROLES[match.group(2).lower()]
    return None


def roles_beside(name: str, sentence: str) -> set[Role]:
    """The roles written next to a name in a sentence: the one just before it, and those in
    the comma-separated words just after it ("Nguyễn Văn A, Phó Bí thư, Chủ tịch UBND")."""
    text = folded(sentence)
    at, wanted = next(
        ((at, v) for v in map(folded, name_variants(name)) if (at := text.find(v)) >= 0),
        (-1, ""),
    )
    if at < 0:
        return set()
    before = text[max(0, at - 60) : at]
    after = re.split(r"[;:]|\s(?:đã|là|có|chủ trì|phát biểu)\s", text[at + len(wanted) :])[0][:80]
    found = [m for m in _VI_ROLE.finditer(before)][-1:] + list(_VI_ROLE.finditer(after))
    return {(bool(m.group(1)), folded(m.group(2))) for m in found}


def role_conflict(question: str, facts: list[Fact], passages: list[Passage]) -> str | None:
    """A name given for a role the passages give it only as deputy ("Phó Chủ tịch" for "Chủ
    tịch", or the reverse), or only another role (a Deputy Prime Minister for the Minister).

    Judged only when the sentences holding the name write roles next to it.
    """
    asked = question_role(question)
    if asked is None:
        return None
    for fact in (f for f in facts if f.kind == "name"):
        roles = set().union(*(roles_beside(fact.text, s) for s in source_sentences(fact, passages)))
        if roles and asked not in roles:
            given = ", ".join(sorted(f"{'phó ' if deputy else ''}{role}" for deputy, role in roles))
            wanted = f"{'phó ' if asked[0] else ''}{asked[1]}"
            return f"{fact.text} is {given} in the passages, not {wanted}"
    return None


def places(text: str) -> set[str]:
    """The places a text names after a place word ("tỉnh Lạng Sơn", "điểm cầu Hà Nội")."""
    found = set()
    for match in _PLACE.finditer(normalize(text)):
        # The pattern's letter range also holds lowercase letters ("đã", "được"): a name is
        # the run of words that really start with a capital.
        words = list(itertools.takewhile(lambda w: w[:1].isupper(), match.group(1).split()))
        if words:
            found.add(folded(" ".join(words)))
    return found


def place_conflict(question: str, facts: list[Fact], passages: list[Passage]) -> str | None:
    """The answer's fact is said of another place than the question names.

    The question names a place (a province, a connection point) or the nation; a fact whose
    source sentences name only other places, or the national level, and never the asked one,
    belongs to someone else. Sentences naming no place are not judged, nor are questions that
    ask which place.
    """
    if _ASKS_PLACE.search(normalize(question)):
        return None
    context = " ".join(p.text for p in passages)
    asked = places(question) | {p for p in places(context) if p in folded(question)}
    national = bool(_NATIONAL.search(question))
    if not asked and not national:
        return None
    for fact in facts:
        sentences = source_sentences(fact, passages)
        if not sentences:
            continue
        sides = {_side(s, asked) for s in sentences} - {None}
        if not sides or "asked" in sides:
            continue
        if asked:
            return f"{fact.text} is said of another place than {', '.join(sorted(asked))}"
        if national and sides == {"other"}:
            return f"{fact.text} is said of a province, not of the whole country"
    return None


def _side(sentence: str, asked: set[str]) -> str | None:
    """Whose a sentence's facts are: the asked place, another, the nation, or unknown (None)."""
    named = places(sentence)
    text = folded(sentence)
    if named & asked or any(p in text for p in asked):
        return "asked"
    if named:
        return "other"
    return "national" if _NATIONAL.search(sentence) else None
