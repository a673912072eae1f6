"""The real models on hard negatives: one question of each class, written for this test (not
taken from a held-out set), whose year, place or person the articles name but whose fact they
do not state, checked mechanically against the articles (``eval.seed_hard``) so each stays a
hard negative; and answerable questions of the same shapes, which must still be answered."""

from __future__ import annotations

from typing import Any

import pytest

from eval.seed_hard import SeedNegative, absence_problems, negative_from_record
from eval.unanswerable import Articles
from rag.assistant import Assistant
from rag.settings import BUNDLED_ARTICLES
from rag.text import normalize

pytestmark = pytest.mark.slow

HARD_NEGATIVES = [
    {"id": "year", "question": "Phương châm hành động năm 2022 của Bộ Nội vụ là gì?",
     "absent": {"near": ["phương châm"], "with": ["2022"], "scope": "paragraph"}},
    {"id": "amount", "question": "Năm 2021, ngân sách chi cho ngành Nội vụ là bao nhiêu tỷ đồng?",
     "absent": {"near": ["tỷ", "triệu", "ngân sách", "kinh phí"], "with": ["2021"],
                "scope": "paragraph"}},
    {"id": "place", "question": "How many civil servants does Lạng Sơn province have?",
     "absent": {"near": ["công chức"], "with": ["Lạng Sơn"], "scope": "sentence"}},
    {"id": "person", "question": "Ai là Chánh Văn phòng Bộ Nội vụ năm 2020?",
     "absent": {"near": ["chánh văn phòng"], "with": ["2020"], "scope": "article"}},
    {"id": "count", "question": "Năm 2020, Bộ Nội vụ tổ chức bao nhiêu cuộc thanh tra?",
     "absent": {"near": ["thanh tra"], "with": ["2020"], "scope": "sentence"}},
]  # fmt: skip


def _negative(record: dict[str, Any]) -> SeedNegative:
    return negative_from_record({**record, "unanswerable": True, "kind": record["id"]}, "t")


def _has(text: str, expected: str) -> bool:
    return normalize(expected).lower() in normalize(text).lower()


KNOWN_MISSES = {
    # The judge measures it (the answer's source sentence names 2020, not 2022: asked_other 1),
    # but that signal's fitted weight is small (-0.97: it fires rarely on the choose half), so
    # the 2020 motto is given at about .76.
    "year": "open: the motto of another year is given (issue 28's year class)",
}


@pytest.mark.parametrize(
    "record",
    [pytest.param(r, marks=pytest.mark.xfail(reason=KNOWN_MISSES[r["id"]], strict=True))
     if r["id"] in KNOWN_MISSES else r for r in HARD_NEGATIVES],
    ids=[r["id"] for r in HARD_NEGATIVES],
)  # fmt: skip
def test_a_hard_negative_is_an_abstention_with_the_closest_passages(
    real_assistant: Assistant, record: dict[str, Any]
) -> None:
    # Still a hard negative of these articles: the fact is stated nowhere near its subject.
    assert absence_problems(_negative(record), Articles.read(BUNDLED_ARTICLES).texts) == []
    answer = real_assistant.ask(record["question"])
    assert answer.abstained, (answer.text, answer.confidence, answer.signals)
    assert answer.closest and not answer.citations  # what came closest, for the reader


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Năm 2020, Sở Nội vụ Lạng Sơn tham mưu xây dựng mấy văn bản quy phạm pháp luật?", "8"),
        ("Biên chế sự nghiệp năm 2021 là bao nhiêu người?", "1.783.174"),
        ("Ai chủ trì hội nghị tổng kết công tác năm 2023 của ngành Nội vụ?", "Trần Lưu Quang"),
        ("Phương châm hành động năm 2020 của Bộ Nội vụ là gì?",
         "Hoàn thiện thể chế, tinh gọn bộ máy, siết chặt kỷ cương"),
    ],
)  # fmt: skip
def test_answerable_questions_of_the_same_shapes_are_answered(
    real_assistant: Assistant, question: str, expected: str
) -> None:
    # Vietnamese: the judge is sure of these (confidence .7-.9 against a threshold of .59);
    # English ones score near the threshold (tests/slow/test_real_answers.py).
    answer = real_assistant.ask(question)
    assert not answer.abstained, (answer.text, answer.confidence, answer.signals)
    assert _has(answer.text, expected), answer.text
    assert answer.citations and answer.model_calls <= 1.5


def test_the_national_chair_is_not_given_for_a_provincial_connection_point(
    real_assistant: Assistant,
) -> None:
    # Whose fact is it: the national conference's chair is not the Tiền Giang point's.
    answer = real_assistant.ask("Ai chủ trì tại điểm cầu tỉnh Tiền Giang hội nghị năm 2023?")
    assert not _has(answer.text, "Trần Lưu Quang"), answer.text
    assert answer.abstained or _has(answer.text, "Nguyễn Văn Vĩnh"), answer.text
