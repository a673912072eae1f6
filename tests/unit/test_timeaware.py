"""Time awareness: the years a text names (rag.retrieve.timeaware) and the year-aware re-ranking
of rag.retrieve.Retriever, on tiny indexes built in tmp_path."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from embeddings.fake import HashingEmbedder
from rag.index.collection import Index
from rag.ingest.articles import load_articles
from rag.retrieve.retriever import Retriever
from rag.retrieve.timeaware import (
    article_years,
    question_years,
    year_match,
    year_mentions,
    year_relevance,
)
from rag.settings import ChunkingParams, Settings

# --- year_mentions --------------------------------------------------------------------------------


def test_a_year_named_alone_weighs_one() -> None:
    assert year_mentions("Phương châm năm 2020 là “Kỷ cương”.") == {2020: 1.0}
    assert year_mentions("In 2023, the ministry chaired the review; by 1995 it existed.") == {
        2023: 1.0, 1995: 1.0,
    }  # fmt: skip


@pytest.mark.parametrize("dash", ["–", "—", "-", " – ", " - "])
def test_the_years_of_a_range_weigh_half(dash: str) -> None:
    assert year_mentions(f"Tổng kết giai đoạn 2016{dash}2020 của ngành.") == {2016: 0.5, 2020: 0.5}


def test_a_year_named_alone_as_well_as_in_a_range_weighs_one() -> None:
    text = "Giai đoạn 2016 – 2020 đã qua; năm 2020 là năm cuối."
    assert year_mentions(text) == {2016: 0.5, 2020: 1.0}
    assert year_mentions("Năm 2020 mở đầu. Giai đoạn 2016 – 2020 khép lại.") == {
        2016: 0.5,
        2020: 1.0,
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Thứ tư, 27/01/2021", {2021: 1.0}),
        ("Sáng 30/12/2020, hội nghị khai mạc.", {2020: 1.0}),
        ("Ngày 5/1/2019 và 20/12/2023.", {2019: 1.0, 2023: 1.0}),
    ],
)
def test_dates_count_as_years(text: str, expected: dict[int, float]) -> None:
    assert year_mentions(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Biên chế là 247.344 người.",
        "Có 2.020 người và 1.995 hồ sơ.",  # Vietnamese thousands, not years
        "Mã số 120201 và 20205.",  # longer numbers
        "Năm 1800 và năm 2150.",  # outside 1950-2099
        "Có 63 điểm cầu.",
        "",
    ],
)
def test_other_numbers_are_not_years(text: str) -> None:
    assert year_mentions(text) == {}


def test_question_years() -> None:
    assert question_years("Phương châm năm 2020 là gì?") == {2020}
    assert question_years("Who chaired the review in 2023?") == {2023}
    assert question_years("Đầu năm 2020, Bộ Nội vụ làm gì?") == {2020}
    assert question_years("Kết quả giai đoạn 2016-2020?") == {2016, 2020}
    assert question_years("Ai chủ trì hội nghị?") == set()


def test_year_match() -> None:
    assert year_match({2020}, "Năm 2020, phương châm là ...") == 1.0
    assert year_match({2020}, "Giai đoạn 2016 – 2020 ...") == 0.5
    assert year_match({2020}, "Năm 2021 ...") == 0.0
    assert year_match({2020, 2021}, "Giai đoạn 2016 – 2020; năm 2021 ...") == 1.0
    assert year_match(set(), "Năm 2020") == 0.0


# --- re-ranking in retrieval ----------------------------------------------------------------------


class DigitBlindEmbedder(HashingEmbedder):
    """The hashing embedder, blind to digits: texts differing only in their years are equally
    similar to any question, so only the re-ranking can tell them apart."""

    def _vector(self, text: str) -> np.ndarray:
        return super()._vector(re.sub(r"\d", " ", text))


def write_jsonl(folder: Path, records: list[dict[str, str]]) -> Path:
    path = folder / "articles.jsonl"
    path.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8"
    )
    return path


CHUNKING = ChunkingParams(700, 1)


def retriever(index: Index, embedder: HashingEmbedder, **settings: Any) -> Retriever:
    """The retriever of the default settings, with ``settings`` changed."""
    return Retriever.from_settings(index, embedder, Settings(**settings))


def build(tmp_path: Path, bodies: dict[str, str], embedder: HashingEmbedder) -> Index:
    records = [
        {"id": doc_id, "title": "Phương châm", "body": body} for doc_id, body in bodies.items()
    ]
    loaded = load_articles([write_jsonl(tmp_path, records)])
    assert not loaded.errors and len(loaded.articles) == len(bodies)
    return Index.build(loaded.articles, embedder, CHUNKING)


TWINS = {
    "y2020": "Năm 2020, ngành Nội vụ đặt phương châm hành động mới.",
    "y2021": "Năm 2021, ngành Nội vụ đặt phương châm hành động mới.",
}


def ranked(retriever: Retriever, question: str, k: int = 5) -> list[tuple[str, float]]:
    return [(p.doc_id, p.score) for p in retriever.retrieve(question, k)]


@pytest.mark.parametrize("year", [2020, 2021])
def test_the_passage_naming_the_asked_year_ranks_first(tmp_path: Path, year: int) -> None:
    embedder = DigitBlindEmbedder()
    index = build(tmp_path, TWINS, embedder)
    question = f"Phương châm hành động của ngành Nội vụ năm {year} là gì?"
    plain = dict(ranked(retriever(index, embedder, year_bonus=0.0), question))
    assert plain["y2020"] == pytest.approx(plain["y2021"], abs=1e-6)  # equally similar
    order = ranked(retriever(index, embedder, year_bonus=0.08), question)
    assert order[0][0] == f"y{year}"
    assert order[0][1] == pytest.approx(plain[f"y{year}"] + 0.08, abs=1e-5)
    assert order[1][1] == pytest.approx(plain[order[1][0]], abs=1e-5)


def test_the_bonus_is_scaled_by_how_directly_the_year_is_named(tmp_path: Path) -> None:
    bodies = {
        "alone": "Trong 2020, ngành Nội vụ đặt phương châm hành động mới.",
        "range": "Trong 2016 – 2020, ngành Nội vụ đặt phương châm hành động mới.",
        "other": "Trong 2021, ngành Nội vụ đặt phương châm hành động mới.",
    }
    embedder = DigitBlindEmbedder()
    index = build(tmp_path, bodies, embedder)
    question = "Phương châm hành động của ngành Nội vụ năm 2020?"
    plain = dict(ranked(retriever(index, embedder, year_bonus=0.0), question))
    order = ranked(retriever(index, embedder, year_bonus=0.1), question)
    assert [doc for doc, _ in order] == ["alone", "range", "other"]
    bonus = {doc: score - plain[doc] for doc, score in order}
    assert bonus == pytest.approx({"alone": 0.1, "range": 0.05, "other": 0.0}, abs=1e-5)


def test_a_year_can_lift_a_slightly_less_similar_passage_into_the_top_k(tmp_path: Path) -> None:
    bodies = {
        "y2021": "Năm 2021, ngành Nội vụ đặt phương châm hành động mới.",
        "y2020": "Năm 2020, ngành Nội vụ đặt phương châm hành động mới cho tỉnh Lạng Sơn.",
    }
    embedder = DigitBlindEmbedder()
    index = build(tmp_path, bodies, embedder)
    question = "Phương châm hành động mới của ngành Nội vụ năm 2020?"
    plain = ranked(retriever(index, embedder, year_bonus=0.0), question, k=1)
    assert plain[0][0] == "y2021"  # more similar without the year
    lifted = ranked(retriever(index, embedder, candidate_pool=20, year_bonus=0.08), question, k=1)
    assert lifted[0][0] == "y2020"
    # Re-ranking happens within the candidate pool: a pool of one has nothing to lift.
    narrow = ranked(retriever(index, embedder, candidate_pool=1, year_bonus=0.08), question, k=1)
    assert narrow[0][0] == "y2021"


def test_with_the_real_hashing_embedder_the_bonus_is_added_to_the_asked_year(
    tmp_path: Path,
) -> None:
    embedder = HashingEmbedder()
    folder = tmp_path / "txt"
    folder.mkdir()
    for doc_id, body in TWINS.items():
        (folder / f"{doc_id}.txt").write_text(f"Phương châm\n\n{body}\n", encoding="utf-8")
    loaded = load_articles([folder])
    assert len(loaded.articles) == 2, loaded.errors
    index = Index.build(loaded.articles, embedder, CHUNKING)
    question = "Phương châm năm 2021 là gì?"
    plain = dict(ranked(retriever(index, embedder, year_bonus=0.0), question))
    boosted = dict(ranked(retriever(index, embedder, year_bonus=0.08), question))
    assert boosted["y2021.txt"] - plain["y2021.txt"] == pytest.approx(0.08, abs=1e-5)
    assert boosted["y2020.txt"] == pytest.approx(plain["y2020.txt"], abs=1e-6)


def test_no_year_in_the_question_no_re_ranking(tmp_path: Path) -> None:
    embedder = DigitBlindEmbedder()
    index = build(tmp_path, TWINS, embedder)
    question = "Phương châm hành động của ngành Nội vụ là gì?"
    plain = ranked(retriever(index, embedder, year_bonus=0.0), question)
    boosted = ranked(retriever(index, embedder, year_bonus=0.08), question)
    assert dict(boosted) == pytest.approx(dict(plain), abs=1e-6)


# --- article event years --------------------------------------------------------------------------


def test_article_years_weigh_title_years_and_the_most_named_years() -> None:
    title = "Bộ Nội vụ triển khai công tác năm 2022"
    text = "Năm 2021, ngành đạt kết quả. Trong năm 2021 và 2021... Mục tiêu đến 2030."
    assert article_years(title, text) == pytest.approx({2022: 1.0, 2021: 1.0, 2030: 1 / 3})


def test_article_years_count_range_ends_half() -> None:
    title = "Tổng kết giai đoạn 2016 – 2020"
    assert article_years(title, "Giai đoạn 2016 – 2020 đã qua.") == {2016: 0.5, 2020: 0.5}


def test_the_publication_date_counts_only_when_the_text_names_no_year() -> None:
    # Published in 2022, but about 2020: the text wins over the (wrong) date.
    assert article_years("Sở Nội vụ triển khai nhiệm vụ năm 2020", "…", "2022-07-02") == {2020: 1.0}
    assert article_years("Hội nghị", "Không nêu năm nào.", "2022-07-02") == {2022: 0.5}
    assert article_years("Hội nghị", "Không nêu năm nào.", None) == {}


def test_vietnamese_thousands_are_not_article_years() -> None:
    assert article_years("Biên chế", "Có 2.020 người và 247.344 biên chế.") == {}


def test_year_relevance_takes_the_passage_first_then_half_the_article() -> None:
    about = {2020: 1.0, 2019: 0.5}
    assert year_relevance({2020}, "Năm 2020, phương châm là ...", about) == 1.0
    assert year_relevance({2020}, "Phương châm là ...", about) == 0.5  # from its article
    assert year_relevance({2019}, "Phương châm là ...", about) == 0.25
    assert year_relevance({2021}, "Phương châm là ...", about) == 0.0
    assert year_relevance(set(), "Năm 2020", about) == 0.0
    assert year_relevance({2020}, "Phương châm là ...", about, article_share=0.0) == 0.0


def test_a_passage_of_an_article_about_the_asked_year_gets_half_the_bonus(tmp_path: Path) -> None:
    """The passage itself names no year; its article's title says what year it is about."""
    embedder = DigitBlindEmbedder()
    records = [
        {"id": "about2020", "title": "Hội nghị triển khai nhiệm vụ năm 2020",
         "body": "Ngành Nội vụ đặt phương châm hành động mới."},
        {"id": "about2021", "title": "Hội nghị triển khai nhiệm vụ năm 2021",
         "body": "Ngành Nội vụ đặt phương châm hành động mới."},
    ]  # fmt: skip
    loaded = load_articles([write_jsonl(tmp_path, records)])
    index = Index.build(loaded.articles, embedder, CHUNKING)
    question = "Phương châm hành động của ngành Nội vụ năm 2021?"
    plain = dict(ranked(retriever(index, embedder, year_bonus=0.0), question))
    order = ranked(retriever(index, embedder, year_bonus=0.08), question)
    assert order[0][0] == "about2021"
    assert order[0][1] - plain["about2021"] == pytest.approx(0.04, abs=1e-5)
    assert dict(order)["about2020"] == pytest.approx(plain["about2020"], abs=1e-6)


# --- the fused order and the dense score ----------------------------------------------------------


def test_bm25_finds_an_exact_number_the_dense_side_cannot_see(tmp_path: Path) -> None:
    """The digit-blind embedder finds the three passages equally similar; BM25 sees 247.344.
    The score stays the dense cosine, so the evidence gate keeps its meaning."""
    embedder = DigitBlindEmbedder()
    bodies = {
        "a": "Số đại biểu là 120.500 người.",
        "b": "Số đại biểu là 247.344 người.",
        "c": "Số đại biểu là 98.000 người.",
    }
    index = build(tmp_path, bodies, embedder)
    question = "Biên chế 247.344?"
    dense_only = {"fusion_lexical_weight": 0.0, "fusion_lexical_weight_en": 0.0}
    plain = ranked(retriever(index, embedder, year_bonus=0.0, **dense_only), question)
    hybrid = ranked(retriever(index, embedder, year_bonus=0.0), question)
    assert hybrid[0][0] == "b"
    assert dict(hybrid) == pytest.approx(dict(plain), abs=1e-6)  # same cosines, new order


def test_passages_found_by_bm25_alone_get_their_dense_cosine(tmp_path: Path) -> None:
    embedder = HashingEmbedder()
    bodies = {f"d{n}": f"Văn bản số {n} về chủ đề khác hẳn." for n in range(6)}
    bodies["target"] = "Ông Trần Lưu Quang chủ trì hội nghị."
    index = build(tmp_path, bodies, embedder)
    question = "Trần Lưu Quang"
    narrow = retriever(index, embedder, candidate_pool=1, year_bonus=0.0)
    query = embedder.embed_query(question)
    for passage in narrow.retrieve(question, 3):
        position = next(i for i, c in enumerate(index.chunks) if c.doc_id == passage.doc_id)
        assert passage.score == pytest.approx(float(index.similarities(query, [position])[0]))


def test_english_questions_weigh_bm25_less(tmp_path: Path) -> None:
    embedder = HashingEmbedder()
    index = build(tmp_path, TWINS, embedder)
    fused = retriever(index, embedder, fusion_lexical_weight=1.0, fusion_lexical_weight_en=0.0)
    assert fused._lexical_weight("What was the motto in 2020?") == 0.0
    assert fused._lexical_weight("Phương châm năm 2020 là gì?") == 1.0
