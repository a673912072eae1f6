"""Sentence chunking: passages of whole sentences, bounded in size, overlapping by a sentence.

Every chunk keeps the character span it covers in its article's ``text``, so a citation can
point back at the exact words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from rag.ingest.articles import Article
from rag.settings import ChunkingParams

# Abbreviations after which a full stop does not end a sentence (Vietnamese and English).
_ABBREVIATIONS = {
    "tp", "tt", "ts", "ths", "pgs", "gs", "bs", "ks", "ls", "th", "q", "p", "st", "mr", "mrs",
    "ms", "dr", "prof", "no", "vs", "etc", "e.g", "i.e", "v.v", "tr", "sđd", "nxb", "ubnd",
}  # fmt: skip
# A sentence ends at . ! ? … (and closing quotes/brackets) followed by space and a capital,
# a digit or an opening quote; or at the end of a paragraph.
_BOUNDARY = re.compile(r"[.!?…]+[”\"')\]]*(?=\s+[\"“(\[]?(?P<next>\w))")


@dataclass(frozen=True)
class Chunk:
    """A passage of an article, with where it sits in the article's text."""

    chunk_id: str
    doc_id: str
    title: str
    date: str | None
    text: str
    start: int
    end: int


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans (start, end) in ``text``; paragraphs (blank-line separated) always split."""
    spans: list[tuple[int, int]] = []
    for para_start, para_end in _paragraph_spans(text):
        start = para_start
        for match in _BOUNDARY.finditer(text, para_start, para_end):
            end = match.end()
            following = match.group("next")
            if not (following.isupper() or following.isdigit()):
                continue
            if _ends_with_abbreviation(text, start, match.start()):
                continue
            spans.append(_trimmed(text, start, end))
            start = end
        if text[start:para_end].strip():
            spans.append(_trimmed(text, start, para_end))
    return [s for s in spans if s[1] > s[0]]


def chunk_article(article: Article, max_chars: int, overlap: int) -> list[Chunk]:
    """Pack an article's sentences into chunks of at most ``max_chars`` characters.

    Consecutive chunks share their last/first ``overlap`` sentences, so a fact that straddles a
    boundary is whole in at least one chunk. A sentence longer than ``max_chars`` is cut at
    clause boundaries (``;`` then ``,``) and, failing that, between words.
    """
    pieces = [p for s in split_sentences(article.text) for p in _fit(article.text, s, max_chars)]
    chunks: list[Chunk] = []
    for number, (start, end) in enumerate(_pack(pieces, max_chars, overlap)):
        chunks.append(
            Chunk(
                chunk_id=f"{article.doc_id}#{number}",
                doc_id=article.doc_id,
                title=article.title,
                date=article.date,
                text=article.text[start:end],
                start=start,
                end=end,
            )
        )
    return chunks


def chunk_articles(articles: Iterable[Article], params: ChunkingParams) -> list[Chunk]:
    return [c for a in articles for c in chunk_article(a, params.max_chars, params.overlap)]


def _pack(pieces: list[tuple[int, int]], max_chars: int, overlap: int) -> Iterator[tuple[int, int]]:
    first = 0
    while first < len(pieces):
        last = first
        while last + 1 < len(pieces) and pieces[last + 1][1] - pieces[first][0] <= max_chars:
            last += 1
        yield pieces[first][0], pieces[last][1]
        if last + 1 >= len(pieces):
            return
        # Start the next chunk `overlap` pieces back, but always move forward.
        first = max(first + 1, last + 1 - overlap)
        # ...dropping overlap that would not leave room for the next new piece.
        while first <= last and pieces[last + 1][1] - pieces[first][0] > max_chars:
            first += 1


def _fit(text: str, span: tuple[int, int], max_chars: int) -> list[tuple[int, int]]:
    start, end = span
    if end - start <= max_chars:
        return [span]
    for separator in (";", ","):
        cut = text.rfind(separator, start, start + max_chars)
        if cut > start + max_chars // 3:
            return [
                _trimmed(text, start, cut + 1),
                *_fit(text, _trimmed(text, cut + 1, end), max_chars),
            ]
    cut = text.rfind(" ", start, start + max_chars)
    cut = cut if cut > start else start + max_chars
    return [_trimmed(text, start, cut), *_fit(text, _trimmed(text, cut, end), max_chars)]


def _paragraph_spans(text: str) -> Iterator[tuple[int, int]]:
    start = 0
    for match in re.finditer(r"\n\s*\n", text):
        yield start, match.start()
        start = match.end()
    yield start, len(text)


def _ends_with_abbreviation(text: str, start: int, dot: int) -> bool:
    word = re.search(r"([\w.]+)$", text[start:dot])
    if word is None:
        return False
    token = word.group(1).lower()
    # Initials such as "N.B" or "H." are not sentence ends either.
    if token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha()):
        return True
    return re.fullmatch(r"(?:[^\W\d_]\.)+[^\W\d_]", token) is not None


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
