"""Ask the chat page a question with the real models and save a screenshot of the answer.

    python benchmarks/chat_screenshot.py ["What was the 2020 motto of the Ministry…?"]
        [--out eval-out/chat.png]

Serves the page on a free loopback port exactly as ``rag serve`` does (the page comes up at
once, the models load behind it), drives it with Debian's headless Chromium, waits for the
answer and its sources, and prints what the page shows: the answer, the searched question, the
source titles. Needs ``make browser``.
"""

from __future__ import annotations

import argparse
import re
import socket
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

from rag.assistant import Assistant
from rag.settings import Settings
from ui.app import build_app, launch
from ui.loader import AssistantLoader

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
QUESTION = "What was the 2020 motto of the Ministry of Home Affairs?"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("question", nargs="?", default=QUESTION)
    parser.add_argument("--out", type=Path, default=Path("eval-out/chat.png"))
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for the answer")
    args = parser.parse_args()

    settings = Settings()

    def load() -> Assistant:
        assistant = Assistant.load(settings=settings)
        assistant.warm_up()
        return assistant

    demo = build_app(AssistantLoader(load).start(), settings)
    port = _free_port()
    launch(demo, "127.0.0.1", port, block=False)
    try:
        _ask_and_capture(f"http://127.0.0.1:{port}/", args.question, args.out, args.timeout)
    finally:
        demo.close()


def _ask_and_capture(url: str, question: str, out: Path, timeout: float) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(timeout * 1000)
        page.goto(url)
        # "Ready · N articles" once the models are loaded (the loading text says "ready" too).
        page.locator("#status").get_by_text(re.compile(r"Ready · \d+ articles")).wait_for()
        page.locator("#question textarea").fill(question)
        started = time.perf_counter()
        page.locator("#ask").click()
        answer = page.locator('#chat [data-testid="bot"]').last
        text = _settled_text(answer, timeout)
        seconds = time.perf_counter() - started
        out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out), full_page=True)
        print(f"answered in {seconds:.1f} s; screenshot: {out}")
        print("--- answer ---\n" + text)
        print("--- sources panel ---\n" + page.locator("#sources").inner_text()[:1500])
        browser.close()


def _settled_text(answer: Any, timeout: float, quiet_s: float = 20.0) -> str:
    """The answer's text once it has stopped changing (streamed, then replaced by the final
    message with its sources, an abstention, or a message about an error)."""
    deadline = time.monotonic() + timeout
    last, since = "", time.monotonic()
    while time.monotonic() < deadline:
        text = str(answer.inner_text()) if answer.count() else ""
        if text != last:
            last, since = text, time.monotonic()
        elif text.strip() not in ("", "…") and time.monotonic() - since >= quiet_s:
            return text
        time.sleep(0.5)
    return last


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


if __name__ == "__main__":
    main()
