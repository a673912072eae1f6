"""The chat server under load, short form, with the fake models: many users at the same moment on
127.0.0.1 get an answer or a "busy" reply, never an error, and a user who closes the page
mid-answer stops the model. (The full measurement: benchmarks/bench_chat_load.py.)"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from rag.assistant import Assistant
from rag.settings import Settings
from tests.recording import QUESTION, RecordingGenerator
from ui.app import build_app, launch
from ui.chat import ChatPage
from ui.loadclient import answer_fn_index, ask, crowd, summary

pytestmark = [
    pytest.mark.enable_socket,
    pytest.mark.filterwarnings("ignore::DeprecationWarning:gradio"),
]
WAITING = 3


@dataclass
class Server:
    url: str
    fn_index: int
    generator: RecordingGenerator
    page: ChatPage


def start(demo: Any, **options: Any) -> int:
    """Serve the page on a free loopback port, in the background; the port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    launch(demo, "127.0.0.1", port, block=False, **options)
    return port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    settings = Settings(
        cache_dir=tmp_path_factory.mktemp("load") / "cache", embedder="fake", generator="fake",
        chat_max_waiting=WAITING,
    )  # fmt: skip
    generator = RecordingGenerator(delay_s=0.02)
    demo = build_app(Assistant.load(settings=settings, generator=generator), settings)
    port = start(demo)
    page = demo.fns[answer_fn_index(demo)].fn.__self__  # the bound ChatPage.respond
    try:
        yield Server(f"http://127.0.0.1:{port}", answer_fn_index(demo), generator, page)
    finally:
        demo.close()


def test_a_crowd_is_answered_or_turned_away_quickly_and_the_server_answers_afterwards(
    server: Server,
) -> None:
    visits = asyncio.run(crowd(server.url, server.fn_index, [QUESTION], users=16, timeout_s=60))
    figures = summary(visits)
    assert figures["errors"] == 0, figures["error_details"]
    assert figures["answered"] == WAITING + 1 and figures["busy"] == 16 - (WAITING + 1)
    # Turned away at once: sooner than the typical answered user got their answer. (Ratios,
    # not seconds: the machine may be busy with other work.)
    answered = sorted(v.wait_s + v.answer_s for v in visits if v.outcome == "answered")
    assert figures["busy_p95"] < answered[len(answered) // 2]
    after = asyncio.run(crowd(server.url, server.fn_index, [QUESTION], users=1, timeout_s=30))
    assert [v.outcome for v in after] == ["answered"]


def test_a_user_who_closes_the_page_mid_answer_stops_the_model(server: Server) -> None:
    server.generator.stopped_early.clear()
    finished = server.generator.finished

    async def leave() -> str:
        async with httpx.AsyncClient(trust_env=False) as client:
            visit = await ask(client, server.url, server.fn_index, QUESTION, leave_after_s=0.05)
            return visit.outcome

    assert asyncio.run(leave()) == "left"
    assert server.generator.stopped_early.wait(10)  # Gradio closed the handler: model stopped
    deadline = time.monotonic() + 10
    while len(server.page.gate) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(server.page.gate) == 0 and server.generator.finished == finished


def test_the_load_client_refuses_servers_other_than_loopback() -> None:
    with pytest.raises(ValueError, match="loopback"):
        asyncio.run(crowd("http://example.org:7860", 0, ["q"], users=1, timeout_s=1))


def test_the_server_refuses_an_upload_over_the_bound_while_receiving_it(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    settings = Settings(
        cache_dir=tmp_path_factory.mktemp("upload") / "cache", embedder="fake", generator="fake",
        upload_max_bytes=10_000,
    )  # fmt: skip
    demo = build_app(Assistant.load(settings=settings), settings)
    port = start(demo, max_upload_bytes=settings.upload_max_bytes)
    try:
        url = f"http://127.0.0.1:{port}/gradio_api/upload"
        with httpx.Client(trust_env=False) as client:
            big = client.post(url, files={"files": ("big.jsonl", b"x" * 50_000)})
            small = client.post(url, files={"files": ("small.jsonl", b"x" * 5_000)})
    finally:
        demo.close()
    assert big.status_code == 413 and small.status_code == 200


def test_a_user_asks_with_the_settings_passages_and_answer_length(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The load client restates no default of its own: it sends the page's (the settings')."""
    sent: list[list[Any]] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content)["data"])
        return httpx.Response(503)

    async def one(**options: Any) -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as client:
            await ask(client, "http://127.0.0.1:1", 0, QUESTION, **options)

    monkeypatch.setenv("RAG_CONTEXT_PASSAGES", "4")
    monkeypatch.setenv("RAG_MAX_NEW_TOKENS", "96")
    asyncio.run(one())
    asyncio.run(one(max_tokens=64))
    assert sent == [[QUESTION, None, 4, 96], [QUESTION, None, 4, 64]]
