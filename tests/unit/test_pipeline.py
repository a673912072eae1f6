"""rag.Assistant: the default index, the search contract, adding documents."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from embeddings.fake import HashingEmbedder
from rag.assistant import Assistant
from rag.errors import QuestionError
from rag.index.collection import Index
from rag.index.folder import MANIFEST
from rag.index.stores.faiss_store import FaissStore
from rag.settings import Settings
from rag.types import Passage

A001 = "001_eb33f2e5ca9e7309.txt"
A002 = "002_9a983ff685051e77.txt"
A003 = "003_16e7c6cf24d0288c.txt"
A004 = "004_f6d78a68113691fd.txt"


@pytest.fixture
def assistant(settings: Settings, fake_embedder: HashingEmbedder) -> Assistant:
    return Assistant.load(settings=settings, embedder=fake_embedder)


@pytest.fixture
def articles_copy(tmp_path: Path, articles_dir: Path) -> Path:
    copy = tmp_path / "articles"
    shutil.copytree(articles_dir, copy)
    return copy


# --- the default index ---------------------------------------------------------------------------


def test_default_index_is_built_under_the_cache_dir_then_reused(
    settings: Settings, fake_embedder: HashingEmbedder
) -> None:
    folder = settings.resolved_index_dir
    assert folder.is_relative_to(settings.cache_dir)
    assert not folder.exists()
    first = Assistant.load(settings=settings, embedder=fake_embedder)
    assert (folder / MANIFEST).is_file()
    build_calls = fake_embedder.calls
    assert build_calls > 0
    assert len(first.index.articles) == 5

    second = Assistant.load(settings=settings, embedder=fake_embedder)
    assert fake_embedder.calls == build_calls  # loaded, nothing embedded again
    assert second.index.chunks == first.index.chunks
    assert second.index.extra["fingerprint"] == first.index.extra["fingerprint"]


def test_default_index_is_rebuilt_when_the_articles_change(
    settings: Settings, articles_copy: Path
) -> None:
    settings = settings.model_copy(update={"articles_dir": articles_copy})
    embedder = HashingEmbedder(256)
    assert len(Assistant.load(settings=settings, embedder=embedder).index.articles) == 5
    calls = embedder.calls
    assert len(Assistant.load(settings=settings, embedder=embedder).index.articles) == 5
    assert embedder.calls == calls  # unchanged: reused

    (articles_copy / A004).unlink()
    rebuilt = Assistant.load(settings=settings, embedder=embedder)
    assert embedder.calls > calls
    assert A004 not in rebuilt.index.articles
    assert len(rebuilt.index.articles) == 4

    calls = embedder.calls
    path = articles_copy / A002
    path.write_text(
        path.read_text(encoding="utf-8") + "\nThêm một câu mới năm 2025.\n", encoding="utf-8"
    )
    edited = Assistant.load(settings=settings, embedder=embedder)
    assert embedder.calls > calls
    assert "Thêm một câu mới năm 2025." in edited.index.articles[A002].text


def test_default_index_is_rebuilt_when_chunking_changes(
    settings: Settings, fake_embedder: HashingEmbedder
) -> None:
    first = Assistant.load(settings=settings, embedder=fake_embedder)
    calls = fake_embedder.calls
    smaller = settings.model_copy(update={"chunk_max_chars": 300})
    second = Assistant.load(settings=smaller, embedder=fake_embedder)
    assert fake_embedder.calls > calls
    assert len(second.index) > len(first.index)
    assert max(len(c.text) for c in second.index.chunks) <= 300


def test_damaged_default_index_is_rebuilt(
    settings: Settings, fake_embedder: HashingEmbedder
) -> None:
    Assistant.load(settings=settings, embedder=fake_embedder)
    (settings.resolved_index_dir / "chunks.jsonl").write_text("garbage\n", encoding="utf-8")
    calls = fake_embedder.calls
    assistant = Assistant.load(settings=settings, embedder=fake_embedder)
    assert fake_embedder.calls > calls
    assert len(assistant.index.articles) == 5
    Index.load(settings.resolved_index_dir, fake_embedder.model_id)  # repaired on disk


def test_default_index_of_another_format_version_is_rebuilt(
    settings: Settings, fake_embedder: HashingEmbedder
) -> None:
    Assistant.load(settings=settings, embedder=fake_embedder)
    path = settings.resolved_index_dir / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["format_version"] = 0  # an index written by an older release
    path.write_text(json.dumps(manifest), encoding="utf-8")
    assistant = Assistant.load(settings=settings, embedder=fake_embedder)
    assert len(assistant.index.articles) == 5


def test_load_an_explicit_index_folder(
    assistant: Assistant, tmp_path: Path, settings: Settings, fake_embedder: HashingEmbedder
) -> None:
    folder = tmp_path / "explicit"
    assistant.index.save(folder)
    calls = fake_embedder.calls
    loaded = Assistant.load(folder, settings, embedder=fake_embedder)
    assert fake_embedder.calls == calls
    assert loaded.index.chunks == assistant.index.chunks


# --- search --------------------------------------------------------------------------------------


def test_search_returns_passages_best_first(assistant: Assistant) -> None:
    passages = assistant.search("Bộ Nội vụ tổng kết công tác năm 2021", k=5)
    assert len(passages) == 5
    for passage in passages:
        assert isinstance(passage, Passage)
        article = assistant.index.articles[passage.doc_id]
        assert passage.title == article.title
        assert passage.date == article.date
        assert passage.text == article.text[passage.start : passage.end]
        assert isinstance(passage.score, float)
        assert -1.0 <= passage.score <= 1.0 + 1e-6
    # The order is the fused (dense + BM25) one; ``score`` stays the dense cosine (+ year bonus),
    # so it need not decrease along the list.
    assert passages == assistant.retriever.retrieve("Bộ Nội vụ tổng kết công tác năm 2021", 5)
    assert set(passages[0].to_dict()) == {
        "doc_id",
        "title",
        "date",
        "text",
        "score",
        "start",
        "end",
    }


def test_search_k_larger_than_the_index_returns_every_chunk(assistant: Assistant) -> None:
    passages = assistant.search("nội vụ", k=10_000)
    assert len(passages) == len(assistant.index)
    assert len({(p.doc_id, p.start) for p in passages}) == len(assistant.index)


@pytest.mark.parametrize("k", [0, -1])
def test_search_k_below_one_is_a_question_error(assistant: Assistant, k: int) -> None:
    with pytest.raises(QuestionError):
        assistant.search("nội vụ", k=k)


@pytest.mark.parametrize("question", ["", "   ", "\n\t "])
def test_empty_question_is_a_question_error(assistant: Assistant, question: str) -> None:
    with pytest.raises(QuestionError, match="empty"):
        assistant.search(question)


def test_too_long_question_is_a_question_error(assistant: Assistant) -> None:
    limit = assistant.settings.max_question_chars
    assert assistant.search("a" * limit, k=1)  # at the limit: fine
    with pytest.raises(QuestionError, match=f"{limit:,}"):
        assistant.search("a" * (limit + 1))


def test_index_without_chunks_finds_nothing(
    settings: Settings, fake_embedder: HashingEmbedder
) -> None:
    empty = Index(fake_embedder.model_id, FaissStore(fake_embedder.dimension), settings.chunking())
    assert Assistant(empty, fake_embedder, settings).search("Phương châm năm 2020 là gì?") == []


@pytest.mark.parametrize(
    ("question", "doc_id"),
    [
        ("phương châm hành động Đoàn kết, kỷ cương, gương mẫu, đổi mới, sáng tạo, hiệu quả", A003),
        ("Phó Thủ tướng Trần Lưu Quang chủ trì hội nghị tổng kết năm 2023", A003),
        ("Sở Nội vụ Khánh Hòa nhận bằng khen", A004),
        ("bầu cử đại biểu Quốc hội khóa XV", A004),
        ("Lạng Sơn 51/226 ĐVHC", A002),
        ("Phương châm hành động năm 2020 là gì?", A001),
    ],
)
def test_vietnamese_question_finds_the_article_that_shares_its_words(
    assistant: Assistant, question: str, doc_id: str
) -> None:
    assert assistant.search(question, k=3)[0].doc_id == doc_id


def test_question_spelling_variants_find_the_same_passages(assistant: Assistant) -> None:
    import unicodedata

    canonical = assistant.search("Sở Nội vụ Khánh Hòa nhận bằng khen", k=5)
    assert assistant.search("Sở Nội vụ Khánh Hoà nhận bằng khen", k=5) == canonical
    assert (
        assistant.search(unicodedata.normalize("NFD", "Sở Nội vụ Khánh Hòa nhận bằng khen"), k=5)
        == canonical
    )


# --- add_documents -------------------------------------------------------------------------------

NEW_ARTICLE = (
    "Thứ hai, 15/01/2024\n\n"
    "Hội thảo về chuyển đổi số tại Đà Lạt\n\n"
    "Sáng 15-1, tại thành phố Đà Lạt, hội thảo khoa học về chuyển đổi số trong ngành lâm nghiệp "
    "đã diễn ra với sự tham gia của 120 chuyên gia về rừng thông.\n\n"
    "Các chuyên gia lâm nghiệp thống nhất xây dựng bản đồ số cho rừng thông Đà Lạt.\n"
)


def test_add_documents_makes_a_new_article_searchable(assistant: Assistant, tmp_path: Path) -> None:
    path = tmp_path / "new.txt"
    path.write_text(NEW_ARTICLE, encoding="utf-8")
    before = len(assistant.index)
    result = assistant.add_documents([path])
    assert result.errors == []
    assert [a.doc_id for a in result.articles] == ["new.txt"]
    assert len(assistant.index) > before
    top = assistant.search("chuyển đổi số lâm nghiệp rừng thông Đà Lạt", k=1)[0]
    assert top.doc_id == "new.txt"
    assert top.date == "2024-01-15"
    assert top.title == "Hội thảo về chuyển đổi số tại Đà Lạt"


def test_add_documents_reports_a_broken_file_and_leaves_the_index_unchanged(
    assistant: Assistant, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.txt"
    broken.write_bytes(b"\xff\xfe\x00 not utf-8 \xc3")
    chunks_before = list(assistant.index.chunks)
    articles_before = dict(assistant.index.articles)
    result = assistant.add_documents([broken])
    assert result.articles == []
    assert len(result.errors) == 1
    assert "broken.txt" in str(result.errors[0])
    assert assistant.index.chunks == chunks_before
    assert assistant.index.articles == articles_before
    assert len(assistant.index.store) == len(chunks_before)


def test_add_documents_with_good_and_broken_files_adds_the_good_one(
    assistant: Assistant, tmp_path: Path
) -> None:
    folder = tmp_path / "incoming"  # not tmp_path itself: the cache (an index) lives there
    folder.mkdir()
    (folder / "new.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    (folder / "empty.txt").write_text("", encoding="utf-8")
    result = assistant.add_documents([folder])
    assert [a.doc_id for a in result.articles] == ["new.txt"]
    assert [Path(e.path).name for e in result.errors] == ["empty.txt"]
    assert "new.txt" in assistant.index.articles
