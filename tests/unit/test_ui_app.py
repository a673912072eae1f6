"""ui.app: the page is built around a given Assistant, and ``serve`` opens it before loading."""

from __future__ import annotations

import threading
from typing import Any

import gradio as gr
import pytest

import ui.app
from rag.assistant import Assistant
from rag.settings import Settings
from ui.loader import AssistantLoader


def test_build_app_uses_the_given_assistant_and_a_bounded_queue(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    assistant = Assistant.load(settings=settings)

    def no_models(*_: Any, **__: Any) -> Any:
        raise AssertionError("build_app must not build models")

    monkeypatch.setattr(Assistant, "load", no_models)
    demo = ui.app.build_app(assistant, settings)
    assert isinstance(demo, gr.Blocks)
    assert demo._queue.max_size == ui.app.QUEUE_SIZE
    assert demo._queue.default_concurrency_limit == 1
    answering = next(fn for fn in demo.fns.values() if fn.concurrency_id == "answer")
    assert answering.concurrency_limit == ui.app.HANDLERS  # the Gate, not Gradio, says "busy"
    assert demo.api_open is False


def test_serve_opens_the_page_before_the_assistant_has_loaded(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    warmed: list[bool] = []
    real = Assistant.load(settings=settings)

    def slow_load(index_dir: Any, given: Settings) -> Assistant:
        assert index_dir == "my-index" and given is settings
        release.wait(5)
        return real

    seen: dict[str, Any] = {}

    def fake_build(loader: AssistantLoader, given: Settings) -> str:
        seen["loader"] = loader
        return "the page"

    def fake_launch(demo: Any, host: str, port: int, max_upload_bytes: int) -> None:
        assert max_upload_bytes == settings.upload_max_bytes
        seen.update(demo=demo, host=host, port=port, state=seen["loader"].state)

    monkeypatch.setattr(Assistant, "load", staticmethod(slow_load))
    monkeypatch.setattr(real, "warm_up", lambda: warmed.append(True))
    monkeypatch.setattr(ui.app, "build_app", fake_build)
    monkeypatch.setattr(ui.app, "launch", fake_launch)
    ui.app.serve(settings, index_dir="my-index", host="127.0.0.1", port=7999)
    assert seen["state"] == "loading"  # the page was up while the assistant was loading
    assert (seen["demo"], seen["host"], seen["port"]) == ("the page", "127.0.0.1", 7999)
    release.set()
    assert seen["loader"].wait(5)
    assert seen["loader"].assistant is real and warmed == [True]
