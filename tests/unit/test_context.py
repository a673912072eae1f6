"""rag.answer.context: what the generator reads (merged, bounded), and when there is nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from embeddings.fake import HashingEmbedder
from rag.answer.context import evidence_gap, select_context
from rag.index.collection import Index
from rag.ingest.articles import Article
from rag.settings import ChunkingParams, Settings
from rag.types import Passage

WORDS = ["một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"]
LONG = Article(
    "long",
    "Bài dài",
    " ".join(f"Câu số {w} nói về công tác nội vụ của tỉnh." for w in WORDS),
    "2021-01-27",
)
OTHER = Article(
    "other", "Bài khác", "Hội nghị có 63 điểm cầu. Phó Thủ tướng chủ trì hội nghị.", None
)


@pytest.fixture(scope="module")
def index() -> Index:
    # Chunks of two sentences overlapping by one: chunk i holds sentences i and i + 1.
    return Index.build([LONG, OTHER], HashingEmbedder(64), ChunkingParams(max_chars=100, overlap=1))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(cache_dir=tmp_path / "cache", embedder="fake", generator="fake",
                    context_passages=3, context_chars=5000)  # fmt: skip


def chunks(index: Index, doc_id: str) -> list[Passage]:
    return [
        Passage(c.doc_id, c.title, c.date, c.text, 0.5, c.start, c.end)
        for c in index.chunks
        if c.doc_id == doc_id
    ]


def scored(p: Passage, score: float) -> Passage:
    return Passage(p.doc_id, p.title, p.date, p.text, score, p.start, p.end)


def test_the_fixture_has_overlapping_chunks(index: Index) -> None:
    long = chunks(index, "long")
    assert len(long) >= 6
    assert long[1].start < long[0].end  # they share a sentence


def test_overlapping_chunks_of_one_article_are_merged(index: Index, settings: Settings) -> None:
    c = chunks(index, "long")
    chosen = select_context(
        [scored(c[0], 0.9), scored(c[1], 0.7)],
        index,
        settings.context_passages,
        settings.context_chars,
    )
    assert len(chosen) == 1
    merged = chosen[0]
    assert (merged.start, merged.end) == (c[0].start, c[1].end)
    assert merged.text == LONG.text[c[0].start : c[1].end]
    assert merged.text.count("Câu số hai") == 1  # the shared sentence is read once
    assert merged.score == 0.9
    assert merged.doc_id == "long" and merged.title == "Bài dài" and merged.date == "2021-01-27"


def test_merging_keeps_the_best_score_and_the_first_position(
    index: Index, settings: Settings
) -> None:
    c = chunks(index, "long")
    o = chunks(index, "other")[0]
    chosen = select_context(
        [scored(c[2], 0.6), scored(o, 0.55), scored(c[1], 0.8)],
        index,
        settings.context_passages,
        settings.context_chars,
    )
    assert [p.doc_id for p in chosen] == ["long", "other"]
    assert (chosen[0].start, chosen[0].end) == (c[1].start, c[2].end)
    assert chosen[0].score == 0.8


def test_chunks_of_different_articles_or_far_apart_are_not_merged(
    index: Index, settings: Settings
) -> None:
    c = chunks(index, "long")
    o = chunks(index, "other")[0]
    chosen = select_context(
        [scored(c[0], 0.9), scored(c[5], 0.8), scored(o, 0.7)],
        index,
        settings.context_passages,
        settings.context_chars,
    )
    assert [(p.doc_id, p.start, p.end) for p in chosen] == [
        ("long", c[0].start, c[0].end), ("long", c[5].start, c[5].end), ("other", o.start, o.end),
    ]  # fmt: skip


def test_at_most_context_passages(index: Index, settings: Settings) -> None:
    c = chunks(index, "long")
    pool = [
        scored(c[0], 0.9),
        scored(c[3], 0.8),
        scored(c[6], 0.7),
        scored(chunks(index, "other")[0], 0.6),
    ]
    assert len(select_context(pool, index, settings.context_passages, settings.context_chars)) == 3
    two = settings.model_copy(update={"context_passages": 2})
    assert [
        p.start for p in select_context(pool, index, two.context_passages, two.context_chars)
    ] == [c[0].start, c[3].start]
    one = settings.model_copy(update={"context_passages": 1})
    assert select_context(pool, index, one.context_passages, one.context_chars) == [pool[0]]


def test_the_character_budget_is_respected(index: Index, settings: Settings) -> None:
    a = Passage("a", "A", None, "a" * 150, 0.9, 0, 150)
    b = Passage("b", "B", None, "b" * 120, 0.8, 0, 120)
    c = Passage("c", "C", None, "c" * 40, 0.7, 0, 40)
    tight = settings.model_copy(update={"context_chars": 200})
    assert select_context([a, b, c], index, tight.context_passages, tight.context_chars) == [
        a,
        c,
    ]  # b would overflow; c still fits
    wider = settings.model_copy(update={"context_chars": 300})
    assert select_context([a, b, c], index, wider.context_passages, wider.context_chars) == [
        a,
        b,
    ]  # 150 + 120 + 40 > 300


def test_a_merge_that_would_overflow_the_budget_is_skipped(
    index: Index, settings: Settings
) -> None:
    c = chunks(index, "long")
    tight = settings.model_copy(update={"context_chars": 200})
    wide = [scored(c[0], 0.9), scored(c[1], 0.8), scored(c[2], 0.7), scored(c[3], 0.6)]
    chosen = select_context(wide, index, tight.context_passages, tight.context_chars)
    assert c[2].end - c[0].start <= 200 < c[3].end - c[0].start
    assert [(p.start, p.end) for p in chosen] == [(c[0].start, c[2].end)]
    assert sum(len(p.text) for p in chosen) <= 200
    roomy = select_context(wide, index, settings.context_passages, settings.context_chars)
    assert [(p.start, p.end) for p in roomy] == [(c[0].start, c[3].end)]


def test_the_best_passage_is_kept_even_when_longer_than_the_budget(
    index: Index, settings: Settings
) -> None:
    big = Passage("x", "Lớn", None, "chữ " * 100, 0.9, 0, 400)
    small = Passage("y", "Nhỏ", None, "ngắn.", 0.8, 0, 5)
    tight = settings.model_copy(update={"context_chars": 200})
    chosen = select_context([big, small], index, tight.context_passages, tight.context_chars)
    assert chosen == [big]  # something to read; but nothing more past the budget


def test_empty_pool_gives_empty_context(index: Index, settings: Settings) -> None:
    assert select_context([], index, settings.context_passages, settings.context_chars) == []


def test_a_bridging_chunk_never_duplicates_a_sentence(index: Index, settings: Settings) -> None:
    c = chunks(index, "long")
    # c[0] = sentences 1-2, c[3] = sentences 4-5, then c[2] = sentences 3-4 joins c[0] ...
    chosen = select_context(
        [scored(c[0], 0.9), scored(c[3], 0.8), scored(c[2], 0.7)],
        index,
        settings.context_passages,
        settings.context_chars,
    )
    text = "\n".join(p.text for p in chosen)
    for w in WORDS:
        assert text.count(f"Câu số {w} ") <= 1, w  # ... and must not repeat sentence 4


# --- evidence_gap ---------------------------------------------------------------------------------


def p(text: str, score: float) -> Passage:
    return Passage("d", "t", None, text, score, 0, len(text))


def test_no_gap_when_relevant_and_the_year_is_named() -> None:
    pool = [p("Phương châm năm 2020 là “Kỷ cương”.", 0.5), p("Khác.", 0.1)]
    assert evidence_gap("Phương châm năm 2020 là gì?", pool, 0.2) is None
    assert evidence_gap("Phương châm là gì?", pool, 0.2) is None


def test_gap_when_the_collection_is_empty() -> None:
    assert evidence_gap("Phương châm năm 2020 là gì?", [], 0.2) == "the collection is empty"


def test_gap_when_nothing_is_similar_enough() -> None:
    pool = [p("Phương châm năm 2020.", 0.15), p("Khác.", 0.1)]
    gap = evidence_gap("Phương châm năm 2020 là gì?", pool, 0.2)
    assert gap is not None and "0.150" in gap and "0.200" in gap
    assert evidence_gap("Phương châm năm 2020 là gì?", pool, 0.15) is None  # at the threshold: fine


def test_gap_when_no_passage_names_the_asked_year() -> None:
    pool = [p("Phương châm năm 2020 là “Kỷ cương”.", 0.9), p("Năm 2021 tuyển 1.250 người.", 0.8)]
    gap = evidence_gap("Phương châm năm 2019 là gì?", pool, 0.2)
    assert gap is not None and "2019" in gap
    # Any related passage naming it will do, even the weakest, even inside a range.
    assert evidence_gap("Năm 2021 tuyển bao nhiêu?", pool, 0.2) is None
    ranged = [*pool, p("Giai đoạn 2016 – 2019 đã tinh giản biên chế.", 0.3)]
    assert evidence_gap("Phương châm năm 2019 là gì?", ranged, 0.2) is None


# --- places no related passage names ------------------------------------------------------


def place_passage(text: str, score: float = 0.7) -> Passage:
    return Passage("p", "Sở Nội vụ tổng kết năm 2021", None, text, score, 0, len(text))


def test_a_question_about_a_province_no_related_passage_names_is_a_gap() -> None:
    pool = [place_passage("Năm 2021, tỉnh Lạng Sơn tinh giản 149 trường hợp.")]
    gap = evidence_gap("Năm 2021 tỉnh Quảng Ninh tinh giản bao nhiêu trường hợp?", pool, 0.2)
    assert gap == "no related passage names Quảng Ninh"
    assert evidence_gap("Năm 2021 tỉnh Lạng Sơn tinh giản bao nhiêu trường hợp?", pool, 0.2) is None


def test_a_province_written_without_diacritics_is_the_same_province() -> None:
    pool = [place_passage("Năm 2021, tỉnh Lạng Sơn tinh giản 149 trường hợp.")]
    assert evidence_gap("How many people did Lang Son streamline in 2021?", pool, 0.2) is None
    assert evidence_gap("How many did Ha Giang streamline in 2021?", pool, 0.2) is not None


def test_one_province_of_several_named_is_enough() -> None:
    pool = [place_passage("Năm 2021, tỉnh Lạng Sơn tinh giản 149 trường hợp.")]
    assert evidence_gap("Lạng Sơn và Cao Bằng tinh giản bao nhiêu năm 2021?", pool, 0.2) is None


def test_a_common_word_that_spells_a_province_in_lowercase_is_not_one() -> None:
    pool = [place_passage("Năm 2021, ngành Nội vụ giữ vững ổn định.")]
    assert evidence_gap("Năm 2021 ngành Nội vụ giữ hòa bình thế nào?", pool, 0.2) is None
