"""Hard negatives: a question asked with its own paragraph left out of the collection."""

from __future__ import annotations

from pathlib import Path

from test_eval_heldout import write_xquad

from embeddings.fake import HashingEmbedder
from eval.datasets import Paragraph, QAItem
from eval.hard_negatives import WithoutTheirParagraphs, absent_items, is_absent
from eval.heldout import build_sets
from eval.splits import HALVES, half_of, origin_id
from rag.assistant import Assistant
from rag.generation.fake import FakeGenerator
from rag.index.collection import Index
from rag.ingest.articles import Article
from rag.settings import Settings

PARAGRAPHS = [
    Paragraph("p1", "Warsaw", "Warszawa nằm bên sông Vistula, thủ đô của Ba Lan."),
    Paragraph("p2", "Warsaw", "Thành phố Warszawa có khoảng 1,7 triệu dân và nhiều công viên."),
    Paragraph("p3", "Oxygen", "Oxy do Carl Wilhelm Scheele tìm ra; số hiệu nguyên tử 8."),
]


def item(qid: str, source: str, *answers: str) -> QAItem:
    return QAItem(qid, f"Câu hỏi {qid}?", tuple(answers), source=source, language="vi")


def test_a_question_whose_answer_is_only_in_its_own_paragraph_becomes_absent() -> None:
    chosen = absent_items(
        [item("a", "p2", "1,7 triệu"), item("b", "p1", "Warszawa"), item("c", "p3", "8"),
         item("d", "p9", "x"), QAItem("e", "?", (), unanswerable=True, source="p1")],
        PARAGRAPHS,
    )  # fmt: skip
    # "Warszawa" is also in p2 (the rest of the article): the collection would still hold it.
    assert [origin_id(i.id) for i in chosen] == ["a", "c"]
    first = chosen[0]
    assert is_absent(first.id) and first.unanswerable and first.answers == ()
    assert first.source == "p2" and first.question == "Câu hỏi a?"
    assert half_of(first.id) == half_of("a")  # split with its origin


def assistant_over_paragraphs(settings: Settings) -> Assistant:
    articles = [Article(p.id, p.title, p.text) for p in PARAGRAPHS]
    embedder = HashingEmbedder()
    index = Index.build(articles, embedder, settings.chunking())
    return Assistant(index, embedder, settings, FakeGenerator())


def test_without_articles_never_returns_them_and_keeps_the_rest_in_order(tmp_path: Path) -> None:
    settings = Settings(cache_dir=tmp_path, embedder="fake", generator="fake")
    assistant = assistant_over_paragraphs(settings)
    question = "Warszawa có bao nhiêu dân?"
    everything = assistant.search(question, 3)
    gone = everything[0].doc_id
    without = assistant.without_articles([gone])
    kept = without.search(question, 3)
    assert gone not in {p.doc_id for p in kept}
    assert [p.doc_id for p in kept] == [p.doc_id for p in everything if p.doc_id != gone]
    assert [p.doc_id for p in assistant.search(question, 3)] == [p.doc_id for p in everything]
    answer = without.ask(question)
    assert all(c.doc_id != gone for c in [*answer.citations, *answer.closest])


def test_the_wrapper_leaves_out_each_absent_questions_own_paragraph(tmp_path: Path) -> None:
    settings = Settings(cache_dir=tmp_path, embedder="fake", generator="fake")
    assistant = assistant_over_paragraphs(settings)
    absent = absent_items([QAItem("a", "Warszawa có bao nhiêu dân?", ("1,7 triệu",),
                                  source="p2", language="vi")], PARAGRAPHS)  # fmt: skip
    asked = WithoutTheirParagraphs(assistant, absent)
    assert "p2" not in {p.doc_id for p in asked.search(absent[0].question, 3)}
    assert "p2" in {p.doc_id for p in asked.search("Thành phố có công viên không?", 3)}


def test_the_held_out_sets_hold_the_absent_questions_of_their_half(tmp_path: Path) -> None:
    xquad_dir = write_xquad(tmp_path / "xquad")
    for half in HALVES:
        sets = build_sets(half, xquad_dir=xquad_dir).sets
        for language in ("vi", "en"):
            answerable = {i.id for i in sets[f"xquad-{language}"]}
            absent = sets[f"xquad-{language}-absent"]
            assert all(i.unanswerable and is_absent(i.id) for i in absent)
            assert {origin_id(i.id) for i in absent} <= answerable  # the same questions, 1:1
            assert all(half_of(i.id) == half for i in absent)
    every = [
        i for half in HALVES for i in build_sets(half, xquad_dir=xquad_dir).sets["xquad-vi-absent"]
    ]
    assert every  # the fixture's answers occur only in their own paragraph
