"""rag.answer.focus: the context cut down to the sentences closest to the question."""

from __future__ import annotations

import numpy as np

from embeddings.fake import HashingEmbedder
from rag.answer.focus import GAP, focus_context
from rag.retrieve.rerank import SentenceReranker
from rag.types import Passage

EMBEDDER = HashingEmbedder(256)
SOURCE = SentenceReranker(EMBEDDER, cache_size=0)

TEXT = (
    "Trời mưa to ở miền Bắc. Giá xăng tăng nhẹ trong tuần. "
    "Năm 2021 biên chế công chức là 244.000 người. Con số này giảm so với năm trước. "
    "Cá bơi dưới sông. Lúa trổ bông ngoài đồng. Đường phố đông xe buổi sáng."
)
QUESTION = "Biên chế công chức năm 2021 là bao nhiêu người?"


def passage(doc_id: str, text: str, start: int = 100) -> Passage:
    return Passage(doc_id, f"Bài {doc_id}", "2021-12-30", text, 0.7, start, start + len(text))


def focus(passages: list[Passage], budget: int, neighbours: int = 1) -> list[Passage]:
    return focus_context(passages, EMBEDDER.embed_query(QUESTION), SOURCE, budget, neighbours)


def test_the_answering_sentence_is_kept_with_its_neighbours_and_the_rest_cut() -> None:
    [focused] = focus([passage("a", TEXT)], budget=160)
    assert "244.000 người" in focused.text
    assert "Giá xăng tăng nhẹ" in focused.text  # the sentence before
    assert "Con số này giảm" in focused.text  # the sentence after
    assert "Đường phố" not in focused.text
    assert focused.text.startswith(GAP.lstrip()) and focused.text.endswith(GAP.rstrip())


def test_offsets_still_point_at_the_kept_words_in_the_article() -> None:
    original = passage("a", TEXT, start=1000)
    [focused] = focus([original], budget=120)
    first = TEXT.index("Giá xăng")
    assert focused.start == 1000 + first
    assert focused.end == 1000 + TEXT.index("Cá bơi") - 1
    assert (focused.title, focused.date, focused.score) == (original.title, original.date, 0.7)


def test_the_budget_bounds_what_is_kept_but_the_best_sentence_always_stays() -> None:
    [tight] = focus([passage("a", TEXT)], budget=10, neighbours=0)
    assert tight.text.strip(" …") == "Năm 2021 biên chế công chức là 244.000 người."
    [window] = focus([passage("a", TEXT)], budget=10)  # with its neighbours, and nothing more
    assert "Giá xăng" in window.text and "Con số" in window.text
    assert "Cá bơi" not in window.text and "Trời mưa" not in window.text
    [loose] = focus([passage("a", TEXT)], budget=10_000)
    assert loose.text == TEXT  # everything fits: nothing cut, no gap mark


def test_without_neighbours_only_the_closest_sentences_are_read() -> None:
    [focused] = focus([passage("a", TEXT)], budget=50, neighbours=0)
    assert focused.text.strip(" …") == "Năm 2021 biên chế công chức là 244.000 người."


def test_a_passage_left_with_nothing_is_dropped_and_the_others_keep_their_order() -> None:
    unrelated = passage("z", "Cá bơi dưới sông. Lúa trổ bông ngoài đồng.")
    answer = passage("a", TEXT)
    focused = focus([unrelated, answer], budget=120)
    assert [p.doc_id for p in focused] == ["a"]
    both = focus([unrelated, answer], budget=10_000)
    assert [p.doc_id for p in both] == ["z", "a"]


def test_separate_runs_of_sentences_are_joined_by_a_gap_mark() -> None:
    text = (
        "Biên chế công chức năm 2021 giảm. Cá bơi dưới sông. Lúa trổ bông ngoài đồng. "
        "Đường phố đông xe. Trời nắng. Con số là 244.000 người, năm 2021."
    )
    [focused] = focus([passage("a", text)], budget=80, neighbours=0)
    assert GAP in focused.text
    assert focused.text.split(GAP)[0] == "Biên chế công chức năm 2021 giảm."


class Unsplittable:
    """A source that split the passage otherwise: its rows do not match the sentences."""

    def sentence_vectors(self, passage: Passage) -> np.ndarray:
        return np.zeros((1, 256), dtype=np.float32)


def test_a_passage_the_source_cannot_score_is_read_whole() -> None:
    original = passage("a", TEXT)
    focused = focus_context([original], EMBEDDER.embed_query(QUESTION), Unsplittable(), 50)
    assert focused == [original]
