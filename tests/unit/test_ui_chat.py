"""ui.chat.ChatPage and ui.loader with the fake models: answering, errors, adding articles."""

from __future__ import annotations

import logging
import threading
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from rag.answer.prompting import CLOSEST_HEADING
from rag.assistant import Assistant
from rag.errors import DocumentError
from rag.generation.fake import FakeGenerator
from rag.ingest.articles import LoadResult
from rag.settings import Settings
from ui import render
from ui.chat import FAILED_TO_LOAD, SOMETHING_WRONG, STILL_LOADING, ChatPage, Conversation
from ui.loader import AssistantLoader

QUESTION = "Ai chủ trì hội nghị năm 2021?"
NEW_ARTICLE = """Hội thảo bảo tồn cá voi xanh tại Đà Nẵng

Ngày 5/3/2024, Sở Khoa học tổ chức hội thảo bảo tồn cá voi xanh tại Đà Nẵng với 120 đại biểu.

Ông Nguyễn Văn Minh, Giám đốc Sở Khoa học, chủ trì hội thảo bảo tồn cá voi xanh.
"""


@pytest.fixture
def generator() -> FakeGenerator:
    return FakeGenerator()


@pytest.fixture
def assistant(settings: Settings, generator: FakeGenerator) -> Assistant:
    return Assistant.load(settings=settings, generator=generator)


@pytest.fixture
def page(assistant: Assistant, settings: Settings) -> ChatPage:
    return ChatPage(AssistantLoader.ready(assistant), settings)


def ask(page: ChatPage, question: str, conv: Conversation | None = None, **knobs: Any) -> list:
    outputs = list(page.respond(question, conv, knobs.get("passages", 3), knobs.get("tokens", 320)))
    assert outputs, "the handler must always yield"
    return outputs


class Progress:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, dict[str, Any]]] = []

    def __call__(self, value: Any, **kwargs: Any) -> None:
        self.calls.append((value, kwargs))


# --- answering -------------------------------------------------------------------------------


def test_the_answer_streams_then_shows_cleaned_text_and_sources(page: ChatPage) -> None:
    outputs = ask(page, QUESTION)
    first_chat, first_panel, conv, box = outputs[0]
    assert first_chat[0] == {"role": "user", "content": render.escape_markdown(QUESTION)}
    assert first_chat[-1]["content"] == "…"
    assert "Searching" in first_panel
    assert box == ""  # the question box is emptied at once
    streamed = [chat[-1]["content"] for chat, *_ in outputs[1:-1]]
    assert len(streamed) > 3 and all(len(a) < len(b) for a, b in pairwise(streamed))
    chat, panel, conv, _ = outputs[-1]
    assert "Bộ Nội vụ tổ chức Hội nghị trực tuyến tổng kết công tác năm 2021" in chat[-1]["content"]
    assert "**Sources:** [1] Bộ Nội vụ triển khai công tác năm 2022" in chat[-1]["content"]
    assert 'class="rag-source"' in panel and "<mark>" in panel
    assert conv.sources[len(chat) - 1] == panel
    assert page.sources_of(conv, len(chat) - 1) == panel
    assert conv.turns == [(QUESTION, conv.turns[0][1])]


def test_a_follow_up_uses_the_history_and_shows_the_searched_question(page: ChatPage) -> None:
    conv = ask(page, QUESTION)[-1][2]
    chat, panel, conv, _ = ask(page, "And in 2023?", conv)[-1]
    assert len(chat) == 4
    assert chat[-1]["content"].startswith("*Searched for:* Ai chủ trì hội nghị năm 2023?")
    assert "Trần Lưu Quang" in chat[-1]["content"]
    assert "2023-12-20" in panel
    assert conv.turns[-1][0] == "Ai chủ trì hội nghị năm 2023?"


def test_the_settings_apply_to_one_request_only(
    page: ChatPage, assistant: Assistant, generator: FakeGenerator
) -> None:
    ask(page, QUESTION, passages=1, tokens=32)
    prompt = generator.calls[-1][-1]["content"]
    assert "[1] " in prompt and "[2] " not in prompt
    ask(page, QUESTION, passages=99, tokens=10**9)  # out of range: clamped, not trusted
    assert "[2] " in generator.calls[-1][-1]["content"]  # more than one again
    assert assistant.settings.context_passages == 3  # the shared settings never change
    assert assistant.settings.max_new_tokens == Settings.model_fields["max_new_tokens"].default


def test_answer_length_bounds_the_streamed_words(page: ChatPage) -> None:
    question = "Biên chế công chức năm 2021 là bao nhiêu?"  # a 90-word extract
    short = ask(page, question, tokens=32)
    long = ask(page, question, tokens=1024)
    assert len(short) - 2 == 32  # minus the first and the final output
    assert len(long) - 2 == 90


def test_an_abstention_is_shown_as_a_note(page: ChatPage) -> None:
    chat, panel, *_ = ask(page, "Giá vàng hôm nay ở Hà Nội là bao nhiêu?")[-1]
    first, *rest = chat[-1]["content"].split("\n\n")
    assert first == "*Không tìm thấy thông tin này trong các bài viết.*"
    assert "rag-abstained" in panel
    # The hashing embedder finds passages above the evidence bar: listed once per article, as
    # the closest passages, never as sources.
    assert rest == [] or rest[0].startswith(f"**{CLOSEST_HEADING['vi']}**")
    assert "Sources" not in chat[-1]["content"]
    if rest:
        titles = rest[0].split("** ", 1)[1].split("; ")
        assert len(titles) == len(set(titles))


def test_empty_and_too_long_questions_get_a_friendly_message(
    page: ChatPage, settings: Settings
) -> None:
    chat, *_ = ask(page, "   ")[-1]
    assert chat == []
    too_long = "x" * (settings.max_question_chars + 1)
    chat, panel, conv, _ = ask(page, too_long)[-1]
    assert chat[-1]["content"].startswith("That question is too long")
    assert len(chat[0]["content"]) <= settings.max_question_chars + 1  # shown shortened
    assert panel == render.EMPTY_SOURCES
    assert conv.turns == []


def test_unexpected_errors_are_logged_not_shown(
    page: ChatPage, assistant: Assistant, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    def broken(*_: Any, **__: Any) -> Any:
        raise OSError("/secret/path/vectors.faiss is unreadable")

    monkeypatch.setattr(type(assistant.retriever), "search", broken)  # every view's retriever
    with caplog.at_level(logging.ERROR, logger="ui.chat"):
        chat, *_ = ask(page, QUESTION)[-1]
    assert chat[-1]["content"] == SOMETHING_WRONG
    assert "/secret/path" in caplog.text  # the server log keeps the details


def test_questions_while_loading_get_a_still_loading_message(
    settings: Settings, assistant: Assistant
) -> None:
    release = threading.Event()

    def slow_load() -> Assistant:
        release.wait(5)
        return assistant

    loader = AssistantLoader(slow_load).start()
    page = ChatPage(loader, settings)
    assert loader.state == "loading"
    assert page.status().startswith("**Loading**")
    chat, *_ = ask(page, QUESTION)[-1]
    assert chat[-1]["content"] == STILL_LOADING
    assert "still loading" in page.add_files(["a.txt"], Progress())
    release.set()
    assert loader.wait(5)
    assert loader.state == "ready"
    assert page.status().startswith("**Ready** · 5 articles")


def test_a_failed_load_is_reported_without_details(settings: Settings, caplog: Any) -> None:
    def fail() -> Assistant:
        raise RuntimeError("model file /models/x.gguf is corrupt")

    loader = AssistantLoader(fail).start()
    assert loader.wait(5)
    page = ChatPage(loader, settings)
    assert loader.state == "failed"
    assert FAILED_TO_LOAD in page.status() and "/models" not in page.status()
    assert ask(page, QUESTION)[-1][0][-1]["content"] == FAILED_TO_LOAD
    assert "corrupt" in caplog.text


# --- adding articles -------------------------------------------------------------------------


def test_an_added_article_is_searchable_at_once(
    page: ChatPage, assistant: Assistant, tmp_path: Path
) -> None:
    path = tmp_path / "ca_voi.txt"
    path.write_text(NEW_ARTICLE, encoding="utf-8")
    before = len(assistant.index.articles)
    progress = Progress()
    message = page.add_files([str(path)], progress)
    assert message.startswith("**Added 1 article:** Hội thảo bảo tồn cá voi xanh tại Đà Nẵng")
    assert len(assistant.index.articles) == before + 1
    assert progress.calls[-1][0][0] == progress.calls[-1][0][1]  # (done, total): finished
    assert f"{before + 1} articles" in page.status()
    chat, panel, *_ = ask(page, "Ai chủ trì hội thảo bảo tồn cá voi xanh?")[-1]
    assert "Nguyễn Văn Minh" in chat[-1]["content"]
    assert "Hội thảo bảo tồn cá voi xanh tại Đà Nẵng" in panel


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "file is empty"),
        ("utf16.txt", "Hà Nội".encode("utf-16"), "not UTF\\-8 text"),
        ("notes.pdf", b"%PDF-1.4", "only \\.txt and \\.jsonl files"),
        ("bad.jsonl", b"{not json\n", "no article could be read"),
    ],
)
def test_a_bad_file_is_refused_and_the_index_is_unchanged(
    page: ChatPage, assistant: Assistant, tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    before = (len(assistant.index.articles), len(assistant.index))
    message = page.add_files([str(path)], Progress())
    assert f"**Refused** {render.escape_markdown(name)}" in message
    assert reason in message
    assert message.endswith("The index is unchanged.")
    assert str(tmp_path) not in message  # a file name, never a server path
    assert (len(assistant.index.articles), len(assistant.index)) == before


def test_adding_an_article_again_replaces_it_and_says_so(
    page: ChatPage, assistant: Assistant, tmp_path: Path
) -> None:
    path = tmp_path / "ca_voi.txt"
    path.write_text(NEW_ARTICLE, encoding="utf-8")
    page.add_files([str(path)], Progress())
    count = (len(assistant.index.articles), len(assistant.index))
    path.write_text(NEW_ARTICLE.replace("120 đại biểu", "150 đại biểu"), encoding="utf-8")
    message = page.add_files([str(path)], Progress())
    replaced = render.escape_markdown("ca_voi.txt")
    assert f"**Replaced** the earlier version of: {replaced}" in message
    assert (len(assistant.index.articles), len(assistant.index)) == count
    assert "150 đại biểu" in assistant.index.articles["ca_voi.txt"].text


def test_an_uploaded_article_is_still_there_after_a_restart(
    page: ChatPage, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "ca_voi.txt"
    path.write_text(NEW_ARTICLE, encoding="utf-8")
    assert page.add_files([str(path)], Progress()).startswith("**Added 1 article:**")
    restarted = Assistant.load(settings=settings, generator=FakeGenerator())  # a new server
    assert restarted.search("hội thảo bảo tồn cá voi xanh Đà Nẵng", k=1)[0].doc_id == "ca_voi.txt"


def test_refusals_and_failures_never_show_server_paths(
    page: ChatPage, assistant: Assistant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    upload = tmp_path / "gradio" / "3f2a" / "x.txt"
    problem = DocumentError(str(upload), f"cannot open {upload} (permission denied)")
    monkeypatch.setattr(assistant, "add_documents", lambda *_, **__: LoadResult(errors=[problem]))
    message = page.add_files([str(upload)], Progress())
    assert message.startswith(r"**Refused** x\.txt: cannot open x\.txt")
    assert str(tmp_path) not in message

    def broken(*_: Any, **__: Any) -> Any:
        raise OSError(f"disk full writing {tmp_path}/index")

    monkeypatch.setattr(assistant, "add_documents", broken)
    message = page.add_files([str(upload)], Progress())
    assert message == "Sorry, these files could not be added. The index is unchanged."
