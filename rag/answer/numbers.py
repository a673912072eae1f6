"""Small counts written as words ("bốn trường", "nine countries"): figures too.

A passage may write "chín quốc gia" where the model writes "9 quốc gia", or an English answer
"four schools" for the passage's "bốn trường"; compared as digits alone, a right count is "found
in no passage". So counts written as words are read as their value, in the answer and in the
passages, in both languages.

Compromises, stated once:
- "một"/"one" are left out: they are articles far more often than counts ("một số", "one of").
- "năm" is left out: it is "year" far more often than "five" ("năm 2020", "3 năm").
- A capitalised number word joined to another capitalised word is part of a name ("Ba Lan",
  "Hai Bà Trưng"), not a count.
"""

from __future__ import annotations

import re

from rag.text import beside_capital, normalize

NUMBER_WORDS: dict[str, int] = {
    "hai": 2, "ba": 3, "bốn": 4, "sáu": 6, "bảy": 7, "tám": 8, "chín": 9, "mười": 10,
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
_WORD = re.compile(r"[^\W\d_]+")


def number_words(text: str) -> list[tuple[str, int]]:
    """The counts written as words in ``text``, as (word as written, value), in order."""
    text = normalize(text)
    words = list(_WORD.finditer(text))
    found = []
    for n, match in enumerate(words):
        word = match.group(0)
        value = NUMBER_WORDS.get(word.casefold())
        if value is None:
            continue
        if word[0].isupper() and beside_capital(text, words, n):
            continue
        found.append((word, value))
    return found


def word_value(text: str) -> str | None:
    """The digits of a count written as one word ("bốn" → "4"), or None."""
    value = NUMBER_WORDS.get(normalize(text).strip().casefold())
    return None if value is None else str(value)
