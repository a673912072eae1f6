"""ui.render and the small pure helpers of ui.chat: escaping, link stripping, highlighting."""

from __future__ import annotations

import re

from rag.answer.prompting import CLOSEST_HEADING
from rag.types import Answer, Passage
from ui import render
from ui.chat import MAX_TURNS, clamp, remember, shorten


def passage(text: str = "Bộ Nội vụ tổ chức hội nghị năm 2021.", **changes: object) -> Passage:
    fields: dict[str, object] = dict(
        doc_id="a.txt", title="Bộ Nội vụ triển khai công tác", date="2022-01-12",
        text=text, score=0.5, start=0, end=len(text),
    )  # fmt: skip
    fields.update(changes)
    return Passage(**fields)  # type: ignore[arg-type]


def answer(text: str = "Bộ Nội vụ tổ chức hội nghị. [1]", **changes: object) -> Answer:
    fields: dict[str, object] = dict(
        question="Ai tổ chức?", text=text, abstained=False, language="vi",
        citations=[passage()], searched_question=None,
    )  # fmt: skip
    fields.update(changes)
    return Answer(**fields)  # type: ignore[arg-type]


# --- escaping and cleaning the answer --------------------------------------------------------


def test_escape_markdown_shows_markup_literally() -> None:
    escaped = render.escape_markdown("**bold** [x](http://a.b) <img src=x> #1")
    assert "<" not in escaped
    assert r"\*\*bold\*\*" in escaped
    assert r"\[x\]\(http://a\.b\)" in escaped
    assert r"\#1" in escaped


def test_safe_answer_removes_images_and_html() -> None:
    text = 'Kết quả ![pixel](http://t.example/p.png) tốt <img src="http://t.example/x"> [1]'
    cleaned = render.safe_answer(text)
    assert cleaned == "Kết quả tốt [1]"


def test_safe_answer_unwraps_links_unless_they_point_to_a_source() -> None:
    text = "Xem [bài gốc](https://news.example/a) và [đây](javascript:alert(1)) [1]"
    cleaned = render.safe_answer(text, allowed_urls=["https://news.example/a"])
    assert "[bài gốc](https://news.example/a)" in cleaned
    assert "javascript" not in cleaned
    assert "đây" in cleaned
    assert "](" not in render.safe_answer(text)  # no source has that address: text only


def test_safe_answer_drops_bare_urls_and_reference_links() -> None:
    text = "Xem www.evil.example hoặc https://evil.example/x nhé [1]\n[1]: https://evil.example"
    cleaned = render.safe_answer(text)
    assert "evil" not in cleaned
    assert cleaned.startswith("Xem hoặc nhé [1]")


def test_safe_answer_escapes_a_half_streamed_tag_and_keeps_citations() -> None:
    assert render.safe_answer("Năm 2021 [1][2]. <img src=x") == "Năm 2021 [1][2]. &lt;img src=x"
    assert render.safe_answer("a < b & c") == "a &lt; b &amp; c"


# --- highlighting ----------------------------------------------------------------------------


def test_highlight_marks_the_words_the_answer_repeats() -> None:
    text = "Sáng 12-1, Bộ Nội vụ tổ chức hội nghị. Năm nay của bộ có 247.344 biên chế."
    html = render.highlight(text, "Bộ Nội vụ tổ chức hội nghị với 247.344 biên chế [1].")
    marks = re.findall(r"<mark>(.*?)</mark>", html)
    assert marks == ["Bộ Nội vụ tổ chức hội nghị", "247.344 biên chế"]
    assert "của" not in "".join(marks)  # a lone shared syllable is not support


def test_highlight_ignores_case_and_unicode_composition() -> None:
    decomposed = "BO\u0323\u0302 NO\u0323\u0302I VU\u0323"  # "BỘ NỘI VỤ", combining marks
    html = render.highlight("Bộ Nội Vụ họp.", decomposed)
    assert html.startswith("<mark>Bộ Nội Vụ</mark>")


def test_highlight_escapes_the_passage() -> None:
    html = render.highlight('<script>alert("x")</script> Bộ Nội vụ', "Bộ Nội vụ")
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert html.endswith("<mark>Bộ Nội vụ</mark>")


def test_supporting_spans_of_unrelated_text_are_empty() -> None:
    assert render.supporting_spans("Trời hôm nay đẹp.", "Biên chế năm 2021 [1]") == []


# --- rendering sources and messages ----------------------------------------------------------


def test_render_sources_shows_title_date_and_highlighted_passage() -> None:
    html = render.render_sources(answer())
    assert "[1]" in html
    assert "Bộ Nội vụ triển khai công tác" in html
    assert "2022-01-12" in html
    assert "<mark>" in html


def test_render_sources_escapes_titles_and_says_undated() -> None:
    bad = passage(title="<b onmouseover=x>T</b>", date=None)
    html = render.render_sources(answer(citations=[bad]))
    assert "<b " not in html
    assert "&lt;b onmouseover=x&gt;" in html
    assert "undated" in html


def test_an_abstention_is_a_neutral_note() -> None:
    abstained = answer(text="Không tìm thấy thông tin này.", abstained=True, citations=[])
    html = render.render_sources(abstained)
    assert 'class="rag-note rag-abstained"' in html
    assert render.ABSTAINED_NOTE["vi"] in html
    assert "error" not in html.lower()
    message = render.answer_message(abstained)
    assert message == "*Không tìm thấy thông tin này.*"


def test_an_abstention_shows_the_closest_passages_apart_from_citations() -> None:
    near = passage("Năm 2021, Bộ Nội vụ tổ chức hội nghị <b>trực tuyến</b>.", title="Hội nghị 2021")
    abstained = answer(text="Không tìm thấy thông tin này.", abstained=True, citations=[],
                       closest=[near])  # fmt: skip
    html = render.render_sources(abstained)
    assert render.ABSTAINED_NOTE["vi"] in html and CLOSEST_HEADING["vi"] in html
    assert html.count('class="rag-source"') == 1 and "&lt;b&gt;trực tuyến" in html
    assert "<mark" not in html  # nothing of it is an answer's words
    message = render.answer_message(abstained)
    assert message.startswith("*Không tìm thấy thông tin này.*")
    assert f"**{CLOSEST_HEADING['vi']}** Hội nghị 2021 (2022\\-01\\-12)" in message
    assert "Sources" not in message


def test_answer_message_names_the_searched_question_and_sources() -> None:
    message = render.answer_message(answer(searched_question="Ai chủ trì năm 2023?"))
    searched, text, sources = message.split("\n\n")
    assert searched == r"*Searched for:* Ai chủ trì năm 2023?"
    assert text == "Bộ Nội vụ tổ chức hội nghị. [1]"
    assert sources == r"**Sources:** [1] Bộ Nội vụ triển khai công tác (2022\-01\-12)"


# --- history and bounds ----------------------------------------------------------------------


def test_remember_keeps_the_searched_question_for_the_next_follow_up() -> None:
    first = remember([], answer(question="Ai chủ trì năm 2021?"))
    assert first == [("Ai chủ trì năm 2021?", "Bộ Nội vụ tổ chức hội nghị. [1]")]
    follow_up = answer(question="And in 2023?", searched_question="Ai chủ trì năm 2023?")
    second = remember(first, follow_up)
    assert [q for q, _ in second] == ["Ai chủ trì năm 2021?", "Ai chủ trì năm 2023?"]


def test_remember_is_bounded() -> None:
    turns: list[tuple[str, str]] = []
    for n in range(MAX_TURNS + 5):
        turns = remember(turns, answer(question=f"q{n}"))
    assert len(turns) == MAX_TURNS
    assert turns[-1][0] == f"q{MAX_TURNS + 4}"


def test_clamp_and_shorten() -> None:
    assert clamp(99, (1, 8), 3) == 8
    assert clamp(0, (1, 8), 3) == 1
    assert clamp("5", (1, 8), 3) == 5
    assert clamp(None, (1, 8), 3) == 3
    assert shorten("abcdef", 3) == "abc…"
    assert shorten("abc", 3) == "abc"


def test_highlight_matches_either_tone_mark_placement() -> None:
    assert render.highlight("Hòa bình lâu dài.", "hoà bình") == "<mark>Hòa bình</mark> lâu dài."
