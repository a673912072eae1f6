"""The chat page in a real browser: streaming, sources, follow-ups, adding articles."""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from .conftest import RunningApp

NEW_ARTICLE = """Hội thảo bảo tồn cá voi xanh tại Đà Nẵng

Ngày 5/3/2024, Sở Khoa học tổ chức hội thảo bảo tồn cá voi xanh tại Đà Nẵng với 120 đại biểu.

Ông Nguyễn Văn Minh, Giám đốc Sở Khoa học, chủ trì hội thảo bảo tồn cá voi xanh.
"""


def ask(page: Any, question: str) -> None:
    page.locator("#question textarea").fill(question)
    page.locator("#ask").click()


def bot_messages(page: Any) -> Any:
    return page.locator('#chat [data-testid="bot"]')


def wait_for_answer(page: Any, count: int) -> str:
    """The text of answer number ``count`` once finished (its sources line has arrived)."""
    answer = bot_messages(page).nth(count - 1)
    answer.get_by_text("Sources:").wait_for()
    return str(answer.inner_text())


def indexed_articles(page: Any) -> int:
    status = page.locator("#status").inner_text()
    return int(re.search(r"(\d+) articles", status).group(1))  # type: ignore[union-attr]


def upload(page: Any, *files: Path) -> str:
    page.get_by_text("Add articles").click()
    note = page.locator("#upload-note")
    page.locator("#upload input[type=file]").set_input_files([str(f) for f in files])
    note.get_by_text(re.compile("Added|Refused")).first.wait_for()
    return str(note.inner_text())


def test_an_answer_streams_in_then_shows_its_sources(page: Any) -> None:
    page.get_by_text("Ai chủ trì hội nghị năm 2022?").click()  # an example fills the box
    expect(page.locator("#question textarea")).to_have_value("Ai chủ trì hội nghị năm 2022?")
    page.locator("#question textarea").fill("Ai chủ trì hội nghị năm 2021?")
    page.locator("#ask").click()
    seen: list[str] = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not page.locator("#sources .rag-source").count():
        if bot_messages(page).count():
            seen.append(bot_messages(page).first.inner_text())
        time.sleep(0.02)
    text = wait_for_answer(page, 1)
    partial = [s for s in seen if s.strip() not in ("", "…") and "Sources:" not in s]
    assert len(set(partial)) >= 2, f"no streaming seen: {seen[:5]}"
    assert "Bộ Nội vụ tổ chức Hội nghị trực tuyến tổng kết công tác năm 2021" in text
    card = page.locator("#sources .rag-source").first
    assert "Bộ Nội vụ triển khai công tác năm 2022" in card.inner_text()
    assert "2022-01-12" in card.inner_text()
    assert card.locator("mark").count() > 0
    # Sources beside the answer: the panel is to the right of the chat, at the same height.
    chat, sources = page.locator("#chat").bounding_box(), page.locator("#sources").bounding_box()
    assert sources["x"] >= chat["x"] + chat["width"] - 1
    assert sources["y"] < chat["y"] + chat["height"]
    page.screenshot(path=os.path.join(tempfile.gettempdir(), "chat_page.png"), full_page=True)


def test_a_follow_up_shows_the_searched_question_and_clear_resets(page: Any) -> None:
    ask(page, "Ai chủ trì hội nghị năm 2021?")
    wait_for_answer(page, 1)
    ask(page, "And in 2023?")
    text = wait_for_answer(page, 2)
    assert "Searched for: Ai chủ trì hội nghị năm 2023?" in text
    assert "Trần Lưu Quang" in text
    assert "2023-12-20" in page.locator("#sources").inner_text()
    page.locator("#clear").click()
    bot_messages(page).first.wait_for(state="detached")
    assert "appear here" in page.locator("#sources").inner_text()


def test_an_uploaded_article_can_be_asked_about_at_once(
    page: Any, app: RunningApp, tmp_path: Path
) -> None:
    article = tmp_path / "ca_voi_xanh.txt"
    article.write_text(NEW_ARTICLE, encoding="utf-8")
    before = indexed_articles(page)
    note = upload(page, article)
    assert "Added 1 article: Hội thảo bảo tồn cá voi xanh tại Đà Nẵng" in note
    page.locator("#status").get_by_text(f"{before + 1} articles").wait_for()
    ask(page, "Ai chủ trì hội thảo bảo tồn cá voi xanh?")
    assert "Nguyễn Văn Minh" in wait_for_answer(page, 1)
    assert "Hội thảo bảo tồn cá voi xanh tại Đà Nẵng" in page.locator("#sources").inner_text()


def test_a_broken_file_is_refused_and_the_index_is_unchanged(
    page: Any, app: RunningApp, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    garbled = tmp_path / "garbled.txt"
    garbled.write_bytes(b"\xff\xfe\xfa not utf-8 \xc3\x28")
    before = (len(app.assistant.index.articles), len(app.assistant.index))
    shown = indexed_articles(page)
    note = upload(page, empty, garbled)
    assert "Refused empty.txt: file is empty" in note
    assert "Refused garbled.txt: not UTF-8 text" in note
    assert "The index is unchanged." in note
    assert str(tmp_path) not in note and "/tmp" not in note
    assert indexed_articles(page) == shown
    assert (len(app.assistant.index.articles), len(app.assistant.index)) == before
