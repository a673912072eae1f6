"""The chat page served with the fake models on 127.0.0.1, driven by headless Chromium.

The suite skips when Debian's Chromium is missing (`make browser` installs it); Playwright's own
browser download is never used. Sockets are re-enabled for these tests only: the server and the
browser talk over loopback TCP.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from rag.assistant import Assistant
from rag.generation.fake import FakeGenerator
from rag.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
WORD_DELAY_S = 0.03  # slow enough that the browser sees the answer arrive word by word
HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A marker, not a fixture: pytest-socket re-disables sockets at every test's setup, and
    # the server thread outlives any one test.
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.enable_socket)
            # Gradio's queue statistics use pandas options that pandas 3 deprecates: not ours.
            item.add_marker(pytest.mark.filterwarnings("ignore::DeprecationWarning:gradio"))


class SlowFakeGenerator(FakeGenerator):
    """The extractive fake, writing at a readable pace."""

    def stream(self, *args: Any, **kwargs: Any) -> Iterator[str]:
        for piece in super().stream(*args, **kwargs):
            time.sleep(WORD_DELAY_S)
            yield piece


@dataclass
class RunningApp:
    url: str
    assistant: Assistant


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.skip(f"end-to-end tests need Chromium at {CHROMIUM} (install it: make browser)")
    pytest.importorskip("playwright.sync_api", reason="end-to-end tests need playwright")
    return CHROMIUM


@pytest.fixture(scope="module")
def app(chromium: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    from ui.app import build_app, launch

    settings = Settings(
        cache_dir=tmp_path_factory.mktemp("e2e") / "cache", embedder="fake", generator="fake",
        answer_threshold=0.0,  # the judge's weights were fitted on the real reader, not the fake
    )  # fmt: skip
    assistant = Assistant.load(settings=settings, generator=SlowFakeGenerator())
    demo = build_app(assistant, settings)
    port = free_port()
    launch(demo, "127.0.0.1", port, block=False)
    try:
        yield RunningApp(f"http://127.0.0.1:{port}/", assistant)
    finally:
        demo.close()


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # launch() gives every run a fresh temporary profile (user-data-dir).
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, app: RunningApp) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(app.url)
    # The status is refreshed on load; wait for the live count, not the one built into the page.
    articles = len(app.assistant.index.articles)
    page.locator("#status").get_by_text(f"Ready · {articles} articles").wait_for()
    yield page
    context.close()
