"""Uploads are bounded: bytes per file (a 1 GB file, a gzip bomb), articles per upload,
characters per article; each refusal says which bound, and none exhausts memory."""

from __future__ import annotations

import gzip
import json
import tracemalloc
from pathlib import Path

import pytest

from embeddings.fake import HashingEmbedder
from rag.assistant import Assistant
from rag.generation.fake import FakeGenerator
from rag.ingest.articles import load_articles
from rag.ingest.limits import UploadLimits, articles_within, files_within
from rag.settings import Settings
from ui.chat import ChatPage
from ui.loader import AssistantLoader

LIMITS = UploadLimits(max_bytes=100_000, max_articles=3, max_article_chars=2_000)


def record(n: int, chars: int = 200) -> str:
    body = ("Bộ Nội vụ họp bàn về biên chế năm 2024. " * (chars // 40 + 1))[:chars]
    return json.dumps({"id": f"up-{n}", "title": f"Bài {n}", "body": body}, ensure_ascii=False)


def jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_1_gb_file_is_refused_from_its_size_without_being_read(tmp_path: Path) -> None:
    huge = tmp_path / "huge.jsonl"
    with huge.open("wb") as handle:  # sparse: no disk is used
        handle.truncate(1 << 30)
    tracemalloc.start()
    kept, refused = files_within([huge], LIMITS)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert kept == [] and [e.reason for e in refused] == [
        "the file is 1,073,741,824 bytes; the limit is 100,000"
    ]
    assert peak < 1 << 20


def test_a_gzip_bomb_is_refused_after_reading_no_more_than_the_limit(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.jsonl.gz"
    with gzip.open(bomb, "wb", compresslevel=9) as handle:
        for _ in range(64):  # 64 MiB of one line, about 64 KiB on disk
            handle.write(b"\0" * (1 << 20))
    assert bomb.stat().st_size < LIMITS.max_bytes
    tracemalloc.start()
    kept, refused = files_within([bomb], LIMITS)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert kept == []
    assert refused[0].reason == "the file decompresses to more than 100,000 bytes, the limit"
    assert peak < 8 << 20


def test_small_files_and_folders_pass_and_a_small_gzip_is_read(tmp_path: Path) -> None:
    small = jsonl(tmp_path / "a.jsonl", [record(1)])
    packed = tmp_path / "b.jsonl.gz"
    packed.write_bytes(gzip.compress((record(2) + "\n").encode()))
    folder = tmp_path / "more"
    folder.mkdir()
    jsonl(folder / "c.jsonl", [record(3)])
    kept, refused = files_within([small, packed, folder, tmp_path / "missing.txt"], LIMITS)
    assert refused == []
    assert kept == [small, packed, folder / "c.jsonl", tmp_path / "missing.txt"]


def test_an_upload_with_too_many_articles_adds_none(tmp_path: Path) -> None:
    loaded = load_articles([jsonl(tmp_path / "many.jsonl", [record(n) for n in range(5)])])
    result = articles_within(loaded, LIMITS)
    assert result.articles == []
    assert [e.reason for e in result.errors] == [
        "the upload holds 5 articles; at most 3 can be added at once, so none were added"
    ]


def test_an_article_over_the_length_limit_is_refused_and_the_others_kept(tmp_path: Path) -> None:
    lines = [record(1), record(2, chars=5_000), record(3)]
    result = articles_within(load_articles([jsonl(tmp_path / "mixed.jsonl", lines)]), LIMITS)
    assert [a.doc_id for a in result.articles] == ["up-1", "up-3"]
    (error,) = result.errors
    assert error.path == "up-2"
    assert error.reason.startswith("the article is 5,00") and "the limit is 2,000" in error.reason


@pytest.fixture
def page(settings: Settings) -> ChatPage:
    settings = settings.model_copy(
        update={"upload_max_bytes": 100_000, "upload_max_articles": 3, "article_max_chars": 2_000}
    )
    assistant = Assistant.load(
        settings=settings, embedder=HashingEmbedder(), generator=FakeGenerator()
    )
    return ChatPage(AssistantLoader.ready(assistant), settings)


def test_the_chat_names_each_bound_an_upload_broke(page: ChatPage, tmp_path: Path) -> None:
    before = len(page.loader.assistant.index.articles)  # type: ignore[union-attr]
    big = tmp_path / "big.jsonl"
    with big.open("wb") as handle:
        handle.truncate(200_000)
    many = jsonl(tmp_path / "many.jsonl", [record(n) for n in range(10, 15)])
    note = page.add_files([str(big), str(many)], lambda *a, **k: None)
    assert "**Refused** big\\.jsonl: the file is 200,000 bytes; the limit is 100,000" in note
    assert "at most 3 can be added at once, so none were added" in note
    assert "The index is unchanged." in note
    assert len(page.loader.assistant.index.articles) == before  # type: ignore[union-attr]
    long = jsonl(tmp_path / "long.jsonl", [record(20), record(21, chars=3_000)])
    note = page.add_files([str(long)], lambda *a, **k: None)
    assert note.startswith("**Added 1 article:**")
    assert "up\\-21: the article is 3,00" in note
