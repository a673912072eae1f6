"""rag.ingest.chunking: splitting sentences, packing them into bounded, overlapping chunks."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest

from rag.ingest.articles import Article, load_articles
from rag.ingest.chunking import Chunk, chunk_article, chunk_articles, split_sentences
from rag.settings import ChunkingParams


def sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in split_sentences(text)]


@pytest.fixture(scope="module")
def bundled() -> list[Article]:
    from rag.settings import BUNDLED_ARTICLES

    return load_articles([BUNDLED_ARTICLES]).articles


def synthetic(count: int = 30, doc_id: str = "doc.txt") -> Article:
    body = " ".join(f"Câu số {n} nói về hoạt động của ngành nội vụ." for n in range(count))
    return Article(doc_id=doc_id, title="Tiêu đề", text=body, date="2021-01-27")


# --- split_sentences -----------------------------------------------------------------------------


def test_split_on_sentence_ends() -> None:
    assert sentences("Hà Nội có nhiều người! Còn gì nữa? Không. 2023 là năm bản lề.") == [
        "Hà Nội có nhiều người!",
        "Còn gì nữa?",
        "Không.",
        "2023 là năm bản lề.",
    ]


def test_abbreviations_do_not_split() -> None:
    assert sentences("TP. Hồ Chí Minh và TS. Nguyễn Văn A tham dự. Sau đó họ về.") == [
        "TP. Hồ Chí Minh và TS. Nguyễn Văn A tham dự.",
        "Sau đó họ về.",
    ]


def test_single_initial_does_not_split() -> None:
    assert sentences("Ông H. Nguyễn phát biểu. Hội nghị kết thúc.") == [
        "Ông H. Nguyễn phát biểu.",
        "Hội nghị kết thúc.",
    ]


def test_vietnamese_numbers_do_not_split() -> None:
    assert sentences("Tỉnh có 247.344 người và 1.783.174 hộ. Tỷ lệ là 10,01%.") == [
        "Tỉnh có 247.344 người và 1.783.174 hộ.",
        "Tỷ lệ là 10,01%.",
    ]


def test_closing_quote_stays_with_its_sentence() -> None:
    assert sentences("Phương châm là “Đoàn kết, kỷ cương.” Năm 2023 đạt nhiều kết quả.") == [
        "Phương châm là “Đoàn kết, kỷ cương.”",
        "Năm 2023 đạt nhiều kết quả.",
    ]


def test_paragraph_breaks_always_split() -> None:
    text = "Đoạn một không có dấu chấm\n\nđoạn hai viết thường\n \nĐoạn ba."
    assert sentences(text) == ["Đoạn một không có dấu chấm", "đoạn hai viết thường", "Đoạn ba."]


def test_spans_are_trimmed_and_in_order() -> None:
    text = "  Câu một.   Câu hai.\n\n  Câu ba.  "
    spans = split_sentences(text)
    assert [text[a:b] for a, b in spans] == ["Câu một.", "Câu hai.", "Câu ba."]
    assert spans == sorted(spans)
    assert all(a < b for a, b in spans)


def test_empty_text_has_no_sentences() -> None:
    assert split_sentences("") == []
    assert split_sentences(" \n\n ") == []


def test_multi_letter_initials_do_not_split() -> None:
    assert sentences("Tác giả N.B. Hùng viết bài. Bài đăng năm 2022.") == [
        "Tác giả N.B. Hùng viết bài.",
        "Bài đăng năm 2022.",
    ]


def test_full_stop_before_lowercase_word_does_not_split() -> None:
    # Same text with a plain lowercase letter and with an accented one must split alike.
    assert len(split_sentences("Số liệu là 3 km. ở đó có 5 xã.")) == len(
        split_sentences("Số liệu là 3 km. o đó có 5 xã.")
    )


# --- chunk_article -------------------------------------------------------------------------------


@pytest.mark.parametrize("max_chars", [100, 250, 700, 2000])
@pytest.mark.parametrize("overlap", [0, 1])
def test_chunks_are_exact_slices_within_the_size_limit(
    bundled: list[Article], max_chars: int, overlap: int
) -> None:
    for article in bundled:
        chunks = chunk_article(article, max_chars, overlap)
        assert chunks, article.doc_id
        for chunk in chunks:
            assert chunk.text == article.text[chunk.start : chunk.end]
            assert 0 < len(chunk.text) <= max_chars
            assert chunk.text == chunk.text.strip()
        starts = [c.start for c in chunks]
        assert starts == sorted(set(starts))  # strictly moving forward


@pytest.mark.parametrize("max_chars", [100, 250, 700])
@pytest.mark.parametrize("overlap", [0, 1, 2])
def test_every_sentence_is_covered(bundled: list[Article], max_chars: int, overlap: int) -> None:
    for article in bundled:
        chunks = chunk_article(article, max_chars, overlap)
        for start, end in split_sentences(article.text):
            if end - start <= max_chars:
                assert any(c.start <= start and end <= c.end for c in chunks), (
                    article.doc_id,
                    article.text[start:end],
                )
            else:  # a cut sentence: every character of it is in some chunk
                covered: set[int] = set()
                for c in chunks:
                    covered.update(range(max(c.start, start), min(c.end, end)))
                assert all(i in covered for i in range(start, end) if not article.text[i].isspace())


def test_no_overlap_when_overlap_is_zero(bundled: list[Article]) -> None:
    for article in bundled:
        chunks = chunk_article(article, 300, overlap=0)
        for before, after in pairwise(chunks):
            assert after.start >= before.end


def test_consecutive_chunks_share_one_sentence_when_overlap_is_one() -> None:
    article = synthetic(30)
    spans = split_sentences(article.text)
    chunks = chunk_article(article, max_chars=200, overlap=1)
    assert len(chunks) > 3
    for before, after in pairwise(chunks):
        assert after.start < before.end  # they overlap...
        shared = [s for s in spans if after.start <= s[0] and s[1] <= before.end]
        assert len(shared) == 1  # ...by exactly one sentence
        assert after.end > before.end  # and the next chunk brings something new


def test_overlap_two_shares_two_sentences() -> None:
    article = synthetic(30)
    spans = split_sentences(article.text)
    chunks = chunk_article(article, max_chars=300, overlap=2)
    for before, after in pairwise(chunks):
        shared = [s for s in spans if after.start <= s[0] and s[1] <= before.end]
        assert len(shared) == 2


def test_bundled_consecutive_chunks_overlap_when_there_is_room(bundled: list[Article]) -> None:
    for article in bundled:
        chunks = chunk_article(article, 2000, overlap=1)
        for before, after in pairwise(chunks):
            assert after.start < before.end < after.end


def test_no_chunk_lies_inside_the_previous_one(bundled: list[Article]) -> None:
    for article in bundled:
        chunks = chunk_article(article, 700, overlap=1)
        for before, after in pairwise(chunks):
            assert after.end > before.end, (article.doc_id, before.chunk_id, after.chunk_id)


def test_no_redundant_chunk_minimal() -> None:
    parts = [
        "A" + "a" * 98 + ".",
        "B" + "b" * 98 + ".",
        "C" + "c" * 298 + ".",
        "D" + "d" * 298 + ".",
    ]
    article = Article("x", "t", " ".join(parts))
    chunks = chunk_article(article, max_chars=520, overlap=1)
    assert [c.text for c in chunks] == [" ".join(parts[:3]), parts[3]]


def test_a_sentence_longer_than_max_chars_is_cut() -> None:
    clauses = [f"mệnh đề số {n} nói về công tác cán bộ của tỉnh" for n in range(20)]
    text = "Mở đầu, " + ", ".join(clauses) + "."
    article = Article("long.txt", "Dài", text)
    assert len(split_sentences(text)) == 1
    chunks = chunk_article(article, max_chars=150, overlap=0)
    assert len(chunks) > 1
    assert all(len(c.text) <= 150 for c in chunks)
    assert all(c.text == text[c.start : c.end] for c in chunks)
    assert chunks[0].start == 0 and chunks[-1].end == len(text)
    assert all(c.text.endswith(",") for c in chunks[:-1])  # cut at clause boundaries
    assert "".join(c.text for c in chunks).replace(" ", "") == text.replace(" ", "")


def test_a_word_longer_than_max_chars_is_cut_hard() -> None:
    text = "x" * 250
    chunks = chunk_article(Article("w", "t", text), max_chars=100, overlap=0)
    assert [len(c.text) for c in chunks] == [100, 100, 50]
    assert "".join(c.text for c in chunks) == text


def test_chunk_ids_are_unique_and_chunks_know_their_article(bundled: list[Article]) -> None:
    chunks = chunk_articles(bundled, ChunkingParams(700, 1))
    assert len({c.chunk_id for c in chunks}) == len(chunks)
    by_doc = {a.doc_id: a for a in bundled}
    for chunk in chunks:
        assert isinstance(chunk, Chunk)
        article = by_doc[chunk.doc_id]
        assert chunk.chunk_id.startswith(f"{article.doc_id}#")
        assert chunk.title == article.title
        assert chunk.date == article.date


def test_short_article_is_one_chunk() -> None:
    article = Article("s.txt", "Ngắn", "Một câu. Hai câu.\n\nBa câu.", date=None)
    (chunk,) = chunk_article(article, 700, 1)
    assert (chunk.chunk_id, chunk.start, chunk.end, chunk.text) == (
        "s.txt#0",
        0,
        len(article.text),
        article.text,
    )
    assert chunk.date is None


def test_chunking_is_deterministic(articles_dir: Path) -> None:
    first = chunk_articles(load_articles([articles_dir]).articles, ChunkingParams(500, 1))
    second = chunk_articles(load_articles([articles_dir]).articles, ChunkingParams(500, 1))
    assert first == second
