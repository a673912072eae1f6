"""Vietnamese text handling: one canonical form for every string that is stored or compared.

- Unicode NFC, and one tone-mark placement: the traditional one (``hòa``, ``khỏe``, ``thủy``),
  which is what most Vietnamese news uses, so ``hoà`` and ``hòa`` become the same string.
- Numbers written the Vietnamese way: ``247.344`` is 247344, ``10,01%`` is 10.01.
- A cheap language guess (Vietnamese or English) for choosing the answer's language.
"""

from __future__ import annotations

import re
import unicodedata

# Combining marks that carry a Vietnamese tone (as opposed to the vowel shape marks
# circumflex U+0302, breve U+0306 and horn U+031B, which belong to the letter).
_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# Open syllables whose two-vowel nucleus takes the tone on the first vowel in the traditional
# style and on the second in the "new" style: oa, oe, uy (not after q, where u is a consonant).
_MOVABLE = re.compile(r"^(?P<onset>[^aăâeêioôơuưy]*)(?P<nucleus>oa|oe|uy)$")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")


def normalize(text: str) -> str:
    """NFC with unified tone-mark placement and tidy spaces; line breaks are kept."""
    text = unicodedata.normalize("NFC", text)
    text = _WORD.sub(lambda m: unify_tone_marks(m.group(0)), text)
    return _SPACES.sub(" ", text)


def unify_tone_marks(word: str) -> str:
    """Move the tone of an open oa/oe/uy syllable onto its first vowel (``hoà`` -> ``hòa``)."""
    decomposed = unicodedata.normalize("NFD", word)
    tones = [ch for ch in decomposed if ch in _TONES]
    if len(tones) != 1:
        return word
    bare = "".join(ch for ch in decomposed if ch not in _TONES)
    bare_nfc = unicodedata.normalize("NFC", bare)
    match = _MOVABLE.match(bare_nfc.lower())
    if match is None or match.group("onset").endswith("q"):
        return word
    position = match.start("nucleus")  # the first vowel of the nucleus takes the tone
    letters = list(bare_nfc)
    letters[position] = unicodedata.normalize("NFC", letters[position] + tones[0])
    return "".join(letters)


def strip_diacritics(text: str) -> str:
    """ASCII-folded text (``Hòa`` -> ``Hoa``, ``đ`` -> ``d``), for lenient comparisons."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# --- numbers ---------------------------------------------------------------------------------

# 247.344 / 1.783.174 (dots group thousands) and 10,01 (comma is the decimal mark).
_VI_NUMBER = re.compile(r"(?<![\w.,])(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d+))?(?![\w]|[.,]\d)")


def canonical_numbers(text: str) -> str:
    """Rewrite Vietnamese-written numbers in a canonical form: 247.344 -> 247344, 10,01 -> 10.01.

    Used for matching (lexical search, answer scoring), never for what is shown to people.
    """

    def rewrite(match: re.Match[str]) -> str:
        whole = match.group(1).replace(".", "")
        return f"{whole}.{match.group(2)}" if match.group(2) else whole

    return _VI_NUMBER.sub(rewrite, text)


def digits_of(figure: str) -> str:
    """A figure's digits alone, whatever separates them: "3, 250" and "3.250" are "3250"."""
    return "".join(c for c in figure if c.isdigit())


# --- language ---------------------------------------------------------------------------------

_VI_ONLY_LETTERS = set("ăâđêôơưĂÂĐÊÔƠƯ")
_VI_FUNCTION_WORDS = {
    "là", "của", "và", "các", "những", "được", "có", "không", "năm", "bao", "nhiêu", "ai", "gì",
    "nào", "trong", "cho", "với", "người", "đã", "này", "khi", "thì", "mấy", "đâu", "sao",
}  # fmt: skip


def guess_language(text: str) -> str:
    """``"vi"`` or ``"en"``: Vietnamese letters or function words win, anything else is English."""
    text = unicodedata.normalize("NFC", text)
    words = [w.lower() for w in _WORD.findall(text)]
    if not words:
        return "en"
    marked = sum(
        1
        for w in words
        if any(ch in _VI_ONLY_LETTERS for ch in w)
        or any(ch in _TONES for ch in unicodedata.normalize("NFD", w))
    )
    function_words = sum(1 for w in words if w in _VI_FUNCTION_WORDS)
    return "vi" if (marked + function_words) / len(words) >= 0.2 else "en"


# --- tokens -------------------------------------------------------------------------------

_TOKEN = re.compile(r"\d+(?:[.,]\d+)*%?|[^\W_]+", re.UNICODE)


def tokenize(text: str) -> list[str]:
    """Lower-cased syllables and canonical numbers of normalised text (lexical matching)."""
    text = canonical_numbers(normalize(text)).lower()
    return [tok.rstrip("%") for tok in _TOKEN.findall(text)]


def beside_capital(text: str, words: list[re.Match[str]], n: int) -> bool:
    """Whether word ``n`` of ``text`` is one space from a capitalised neighbour: part of a run
    of capitalised words (a name: "Ba Lan", "Doctor Who")."""
    word = words[n]
    for other in words[max(0, n - 1) : n + 2]:
        gap = text[min(word.end(), other.end()) : max(word.start(), other.start())]
        if other is not word and other.group(0)[0].isupper() and gap == " ":
            return True
    return False
