"""The line in front of the models (ui.gate) and the chat handler's use of it: one answer at a
time, a bounded line, "busy" at once beyond it, and a user who leaves frees their place and
the CPU."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from rag.assistant import Assistant
from rag.generation.fake import FakeGenerator
from rag.settings import Settings
from tests.recording import QUESTION, RecordingGenerator
from ui.chat import BUSY, ChatPage
from ui.gate import Gate
from ui.loader import AssistantLoader


def page_with(settings: Settings, generator: FakeGenerator, **overrides: Any) -> ChatPage:
    settings = settings.model_copy(update=overrides)
    assistant = Assistant.load(settings=settings, generator=generator)
    return ChatPage(AssistantLoader.ready(assistant), settings)


def last_reply(output: Any) -> str:
    return str(output[0][-1]["content"])


# --- the gate ---------------------------------------------------------------------------------


def test_the_gate_serves_in_order_and_refuses_beyond_its_line() -> None:
    gate = Gate(max_waiting=2)
    first, second, third = gate.enter(), gate.enter(), gate.enter()
    assert first and second and third
    assert gate.enter() is None  # one served, two waiting: full
    assert first.wait(0) and not second.wait(0.01) and third.ahead == 2
    third.leave()  # a waiting ticket can leave; the line shortens
    assert len(gate) == 2 and gate.enter() is not None
    first.leave()
    assert second.wait(1) and second.waited_s >= 0.01


def test_a_waiting_ticket_is_served_as_soon_as_the_one_before_it_leaves() -> None:
    gate = Gate(max_waiting=1)
    first, second = gate.enter(), gate.enter()
    assert first and second
    threading.Timer(0.05, first.leave).start()
    assert second.wait(5)
    assert 0.04 < second.waited_s < 2


def test_the_gate_refuses_at_once_when_the_expected_wait_is_too_long() -> None:
    gate = Gate(max_waiting=10, max_wait_s=1.0)
    first = gate.enter()
    assert first is not None
    time.sleep(0.3)
    first.leave()
    assert gate.turn_s is not None and 0.25 < gate.turn_s < 1.0
    turn = gate.turn_s
    admitted = [gate.enter() for _ in range(10)]
    expected = int(1.0 // turn) + 1  # the one served at once, then as many as fit in 1 s
    assert [t is not None for t in admitted] == [True] * expected + [False] * (10 - expected)


# --- the handler --------------------------------------------------------------------------------


def test_past_the_line_a_user_gets_a_busy_reply_at_once_and_keeps_the_question(
    settings: Settings,
) -> None:
    generator = RecordingGenerator()
    page = page_with(settings, generator, chat_max_waiting=0)
    holder = page.gate.enter()  # someone is being answered
    assert holder is not None
    started = time.monotonic()
    outputs = list(page.respond(QUESTION, None, 3, 64))
    assert time.monotonic() - started < 0.5
    assert last_reply(outputs[-1]) == BUSY
    assert outputs[-1][3] == QUESTION  # still in the box, to send again
    assert generator.calls == [] and len(page.gate) == 1
    holder.leave()
    assert last_reply(list(page.respond(QUESTION, None, 3, 64))[-1]) != BUSY


def test_a_waiting_user_sees_their_place_then_gets_the_answer(settings: Settings) -> None:
    page = page_with(settings, RecordingGenerator())
    holder = page.gate.enter()
    assert holder is not None
    threading.Timer(1.5, holder.leave).start()
    replies = [last_reply(out) for out in page.respond(QUESTION, None, 3, 64)]
    assert "*Waiting for your turn: 1 question ahead of yours…*" in replies
    assert "Sources:" in replies[-1] and len(page.gate) == 0


def test_a_user_waiting_longer_than_the_limit_is_told_busy(settings: Settings) -> None:
    page = page_with(settings, RecordingGenerator(), chat_max_wait_s=0.5)
    holder = page.gate.enter()
    outputs = list(page.respond(QUESTION, None, 3, 64))
    assert last_reply(outputs[-1]) == BUSY and outputs[-1][3] == QUESTION
    assert len(page.gate) == 1  # only the holder
    assert holder is not None


def test_a_user_who_leaves_while_waiting_leaves_the_line(settings: Settings) -> None:
    page = page_with(settings, RecordingGenerator())
    holder = page.gate.enter()
    replies = page.respond(QUESTION, None, 3, 64)
    for output in replies:
        if last_reply(output).startswith("*Waiting"):
            break
    assert len(page.gate) == 2
    replies.close()  # what Gradio does when the page is closed
    assert len(page.gate) == 1
    assert holder is not None


def test_a_user_who_leaves_mid_answer_stops_the_model(settings: Settings) -> None:
    generator = RecordingGenerator(delay_s=0.01)
    page = page_with(settings, generator)
    replies = page.respond(QUESTION, None, 3, 64)
    for _ in range(4):  # the question, "…", then the first words of the answer
        next(replies)
    assert generator.started.is_set()
    replies.close()
    assert generator.stopped_early.is_set() and generator.finished == 0
    assert len(page.gate) == 0  # the next user is served at once


def test_uploads_wait_in_the_same_line_and_are_refused_when_it_is_full(
    settings: Settings, tmp_path: Any
) -> None:
    page = page_with(settings, RecordingGenerator(), chat_max_waiting=0)
    holder = page.gate.enter()
    article = tmp_path / "new.txt"
    article.write_text("A title\n\nA body about the ministry in 2024.", encoding="utf-8")
    note = page.add_files([str(article)], lambda *a, **k: None)
    assert "busy" in note and "Added" not in note
    assert holder is not None
    holder.leave()
    assert "Added 1 article" in page.add_files([str(article)], lambda *a, **k: None)


@pytest.mark.parametrize("question", [None, 42, ["q"]])
def test_the_handler_takes_a_question_that_is_not_text_as_none(
    settings: Settings, question: Any
) -> None:
    page = page_with(settings, RecordingGenerator())
    outputs = list(page.respond(question, None, 3, 64))
    assert outputs[-1][0] == [] and len(page.gate) == 0
