"""Real data nobody here wrote: XQuAD questions against the Vietnamese paragraphs (open book).

A seeded sample keeps it to a few minutes on a CPU: the paragraphs of the first articles are
the collection, and questions about them are asked in Vietnamese and in the parallel English.
The full benchmark is ``benchmarks/bench_retrieval.py`` and ``python -m eval.xquad_benchmark``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.corpus import write_paragraphs
from eval.datasets import QAItem, load_dataset, select_items
from eval.xquad import XQUAD_EN, XQUAD_VI, cross_lingual_items
from rag.assistant import Assistant
from rag.index.default import build_index
from rag.settings import Settings

pytestmark = pytest.mark.slow

ARTICLES = 10  # of 48: 50 paragraphs
QUESTIONS = 40  # per language, the same ids


@pytest.fixture(scope="module")
def xquad(real_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    if not XQUAD_VI.exists():
        pytest.skip(f"XQuAD is not at {XQUAD_VI} (see ../shared/data/README.md)")
    dataset = load_dataset(XQUAD_VI, language="vi")
    titles = list(dict.fromkeys(p.title for p in dataset.paragraphs))[:ARTICLES]
    paragraphs = [p for p in dataset.paragraphs if p.title in titles]
    source = tmp_path_factory.mktemp("xquad") / "paragraphs.jsonl"
    write_paragraphs(paragraphs, source)
    base = Assistant.load(settings=real_settings)  # for its embedder, loaded once
    chunking = real_settings.chunking()
    index, _ = build_index([source], base.embedder, chunking)
    return Assistant(index, base.embedder, real_settings)


def questions(assistant: Assistant, language: str) -> list[QAItem]:
    vietnamese = [
        i
        for i in load_dataset(XQUAD_VI, language="vi").items
        if i.source in assistant.index.articles
    ]
    chosen = {i.id for i in select_items(vietnamese, sample=QUESTIONS, seed=1)}
    items = vietnamese if language == "vi" else list(cross_lingual_items(XQUAD_VI, XQUAD_EN))
    return [i for i in items if i.id in chosen]


def hits(assistant: Assistant, items: list[QAItem], at: int) -> float:
    found = sum(i.source in [p.doc_id for p in assistant.search(i.question, at)] for i in items)
    return found / len(items)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_questions_find_their_paragraph(xquad: Assistant, language: str) -> None:
    items = questions(xquad, language)
    assert len(items) == QUESTIONS
    assert hits(xquad, items, 5) >= 0.9
    assert hits(xquad, items, 1) >= 0.75


def test_hybrid_is_no_worse_than_dense_alone_on_vietnamese(xquad: Assistant) -> None:
    items = questions(xquad, "vi")
    dense_only = xquad.with_settings(fusion_lexical_weight=0.0)
    assert hits(xquad, items, 1) >= hits(dense_only, items, 1)


def test_english_questions_are_served_by_the_dense_side(xquad: Assistant) -> None:
    items = questions(xquad, "en")[:10]
    dense_only = xquad.with_settings(fusion_lexical_weight=0.0, fusion_lexical_weight_en=0.0)
    for item in items:
        assert [p.doc_id for p in xquad.search(item.question, 5)] == [
            p.doc_id for p in dense_only.search(item.question, 5)
        ]


def test_the_collection_is_the_sampled_paragraphs(xquad: Assistant, tmp_path: Path) -> None:
    assert len(xquad.index.articles) == ARTICLES * 5
    xquad.index.save(tmp_path / "index")
    assert (tmp_path / "index" / "lexical").is_dir()
