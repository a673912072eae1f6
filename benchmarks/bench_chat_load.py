"""The chat server under load, with the real models: 1, 8 and 40 users asking at the same moment.

    python benchmarks/bench_chat_load.py [--levels 1,8,40] [--max-tokens N] [--timeout 900]

The server runs in this process on 127.0.0.1 (the load client refuses any other host); every
user asks once, so a run is bounded: at most sum(levels) requests, each with a deadline. For each
level it prints how many users were answered, turned away ("busy"), told the answer took too
long (the generator's time limit) and met an error, the wait in line and the answer time
(p50/p95, seconds, as the client saw them), how long the turned-away took to be told (at once
past the line, or after the longest wait), and the server's memory (RSS) after the level. Then
one more user checks that the server still answers, and one who closes the page mid-answer
checks that the model stops.
Questions: benchmarks/answers20.jsonl, in order.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import threading
import time
from pathlib import Path

import httpx
import psutil

from rag import Assistant
from rag.settings import Settings
from ui.app import build_app, launch
from ui.loadclient import Visit, answer_fn_index, ask, crowd, summary


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fmt(value: float | None) -> str:
    return f"{'-':>6}" if value is None else f"{value:6.1f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--levels", default="1,8,40")
    parser.add_argument("--max-tokens", type=int, help="default: RAG_MAX_NEW_TOKENS")
    parser.add_argument("--timeout", type=float, default=900.0)
    args = parser.parse_args()
    path = Path(__file__).with_name("answers20.jsonl")
    questions = [json.loads(line)["question"] for line in path.read_text("utf-8").splitlines()]
    settings = Settings()
    args.max_tokens = settings.max_new_tokens if args.max_tokens is None else args.max_tokens
    started = time.perf_counter()
    assistant = Assistant.load(settings=settings)
    assistant.warm_up()
    print(f"models loaded in {time.perf_counter() - started:.1f} s; line: 1 answering + "
          f"{settings.chat_max_waiting} waiting, longest wait {settings.chat_max_wait_s:.0f} s; "
          f"answers of at most {args.max_tokens} tokens")  # fmt: skip
    demo = build_app(assistant, settings)
    port = free_port()
    launch(demo, "127.0.0.1", port, block=False)
    url, fn_index = f"http://127.0.0.1:{port}", answer_fn_index(demo)
    process = psutil.Process()
    print(f"server RSS before: {process.memory_info().rss / 2**20:.0f} MiB\n")
    print("users answered busy slow errors  wait p50   p95  answer p50   p95  busy p50   p95"
          "  RSS MiB")  # fmt: skip
    try:
        for users in [int(n) for n in args.levels.split(",")]:
            visits = asyncio.run(
                crowd(url, fn_index, questions, users, args.timeout, args.max_tokens)
            )
            s = summary(visits)
            print(f"{users:5d} {s['answered']:8d} {s['busy']:4d} {s['too_slow']:4d} "
                  f"{s['errors']:6d}    {fmt(s['wait_p50'])} {fmt(s['wait_p95'])}      "
                  f"{fmt(s['answer_p50'])} {fmt(s['answer_p95'])}    {fmt(s['busy_p50'])} "
                  f"{fmt(s['busy_p95'])}  "
                  f"{process.memory_info().rss / 2**20:7.0f}", flush=True)  # fmt: skip
            for detail in s["error_details"]:
                print(f"      error: {detail}")
        after = asyncio.run(crowd(url, fn_index, questions, 1, args.timeout, args.max_tokens))
        print(f"\nafterwards, one user: {after[0].outcome} "
              f"(wait {after[0].wait_s:.1f} s, answer {after[0].answer_s:.1f} s)")  # fmt: skip
        print(leaving_user(url, fn_index, questions[0]))
    finally:
        demo.close()


def leaving_user(url: str, fn_index: int, question: str) -> str:
    """A user closes the page 1 s into the answer: how soon does the model stop? (The
    transformers generator decodes in a thread named "generator", in this process.)"""

    async def leave() -> Visit:
        async with httpx.AsyncClient(trust_env=False, timeout=900) as client:
            return await ask(client, url, fn_index, question, leave_after_s=1.0)

    visit = asyncio.run(leave())
    left = time.monotonic()
    while generating() and time.monotonic() - left < 60:
        time.sleep(0.05)
    stopped = (
        "still decoding after 60 s"
        if generating()
        else (f"the model stopped {time.monotonic() - left:.2f} s after the page closed")
    )
    return f"a user who closed the page 1 s into the answer: {visit.outcome}; {stopped}"


def generating() -> bool:
    return any(t.name == "generator" and t.is_alive() for t in threading.enumerate())


if __name__ == "__main__":
    main()
