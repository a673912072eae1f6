"""A bounded load client for the chat server: simulated users asking at the same moment, over
Gradio's queue protocol, as the page does (join the queue, then read the event stream).

Only a loopback server can be targeted, every user asks exactly once, and every request has a
deadline, so a run is bounded in count and in time. For each user it records what they saw:
an answer (with the time spent waiting in line and the time the answer took), a "busy" reply,
"too slow" (the model's own time limit, a friendly reply), or an error (an HTTP error status, a
Gradio error event, a reply we never write, no reply by the client's deadline).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import httpx

from rag.settings import Settings

from .chat import BUSY, SOMETHING_WRONG, TOO_SLOW

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_WAITING = "*Waiting for your turn"


@dataclass(frozen=True)
class Visit:
    """What one simulated user saw."""

    outcome: str  # "answered", "busy", "too slow" (the model's time limit) or "error"
    wait_s: float  # from asking until their turn came (or until turned away)
    answer_s: float  # from their turn until the finished answer (0 if none)
    detail: str = ""


def answer_fn_index(demo: Any) -> int:
    """The index of the page's answering event (the one the question box triggers)."""
    return next(i for i, fn in demo.fns.items() if fn.concurrency_id == "answer")


async def ask(
    client: httpx.AsyncClient,
    base_url: str,
    fn_index: int,
    question: str,
    *,
    leave_after_s: float | None = None,
    timeout_s: float = 600.0,
    max_tokens: int | None = None,
) -> Visit:
    """One user asks once; with ``leave_after_s``, they close the page that long after their
    answer starts being written. The passages and the answer length are the page's own
    defaults, the settings' (``RAG_CONTEXT_PASSAGES``, ``RAG_MAX_NEW_TOKENS``), unless
    ``max_tokens`` is given."""
    settings = Settings()
    tokens = settings.max_new_tokens if max_tokens is None else max_tokens
    session = uuid.uuid4().hex[:12]
    body = {"data": [question, None, settings.context_passages, tokens], "fn_index": fn_index,
            "session_hash": session, "event_data": None, "trigger_id": None,
            "simple_format": True}  # fmt: skip
    start = time.monotonic()
    try:
        async with asyncio.timeout(timeout_s):
            joined = await client.post(f"{base_url}/gradio_api/queue/join", json=body)
            if joined.status_code != 200:
                return Visit("error", time.monotonic() - start, 0.0, f"HTTP {joined.status_code}")
            return await _follow(client, base_url, session, start, leave_after_s)
    except TimeoutError:
        return Visit("error", time.monotonic() - start, 0.0, f"no reply within {timeout_s:.0f} s")
    except httpx.HTTPError as error:
        return Visit("error", time.monotonic() - start, 0.0, f"{type(error).__name__}: {error}")


async def _follow(
    client: httpx.AsyncClient, base_url: str, session: str, start: float, leave: float | None
) -> Visit:
    turn: float | None = None
    url = f"{base_url}/gradio_api/queue/data?session_hash={session}"
    async with client.stream("GET", url) as events:
        if events.status_code != 200:
            return Visit("error", time.monotonic() - start, 0.0, f"HTTP {events.status_code}")
        async for line in events.aiter_lines():
            if not line.startswith("data:"):
                continue
            message = json.loads(line[5:])
            kind = message.get("msg")
            if kind not in ("process_generating", "process_completed"):
                continue
            if not message.get("success", True):
                return Visit("error", time.monotonic() - start, 0.0, str(message.get("output")))
            reply = _last_reply(message)
            now = time.monotonic()
            if turn is None and reply is not None and not reply.startswith(_WAITING):
                turn = now
            if leave is not None and turn is not None and now - turn >= leave:
                return Visit("left", turn - start, now - turn, "closed the page mid-answer")
            if kind == "process_completed":
                return _visit(reply, start, turn, now)
    return Visit("error", time.monotonic() - start, 0.0, "the event stream ended early")


def _last_reply(message: dict[str, Any]) -> str | None:
    data = (message.get("output") or {}).get("data") or [None]
    chat = data[0] or []
    last = chat[-1] if chat else None
    if not isinstance(last, dict) or last.get("role") != "assistant":
        return None
    content = last.get("content")
    if isinstance(content, list):  # Gradio 6 sends a message as a list of typed parts
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return str(content)


def _visit(reply: str | None, start: float, turn: float | None, end: float) -> Visit:
    if reply == BUSY:
        return Visit("busy", end - start, 0.0)
    if reply == TOO_SLOW:  # the generator's time limit: a friendly reply, counted apart
        return Visit("too slow", (turn or end) - start, end - (turn or end))
    if reply is None or reply == SOMETHING_WRONG or reply.startswith(_WAITING):
        return Visit("error", end - start, 0.0, f"reply: {reply!r}")
    turn = turn or end
    return Visit("answered", turn - start, end - turn)


async def crowd(
    base_url: str,
    fn_index: int,
    questions: Sequence[str],
    users: int,
    timeout_s: float,
    max_tokens: int | None = None,
) -> list[Visit]:
    """``users`` users ask at the same moment (question i modulo the list), each once."""
    host = urlparse(base_url).hostname
    if host not in LOOPBACK:
        raise ValueError(f"the load client only targets loopback servers, not {host!r}")
    limits = httpx.Limits(max_connections=2 * users + 4)
    timeout = httpx.Timeout(timeout_s, connect=10.0)
    async with httpx.AsyncClient(limits=limits, timeout=timeout, trust_env=False) as client:
        jobs = [
            ask(
                client,
                base_url,
                fn_index,
                questions[i % len(questions)],
                timeout_s=timeout_s,
                max_tokens=max_tokens,
            )
            for i in range(users)
        ]
        return list(await asyncio.gather(*jobs))


def summary(visits: Sequence[Visit]) -> dict[str, Any]:
    """Counts per outcome, and medians and 95th percentiles of the waits and answer times."""

    def pct(values: list[float], q: int) -> float | None:
        if not values:
            return None
        return values[0] if len(values) == 1 else statistics.quantiles(values, n=100)[q - 1]

    answered = [v for v in visits if v.outcome == "answered"]
    busy = sorted(v.wait_s for v in visits if v.outcome == "busy")
    waits = sorted(v.wait_s for v in answered)
    times = sorted(v.answer_s for v in answered)
    return {
        "users": len(visits), "answered": len(answered), "busy": len(busy),
        "too_slow": sum(v.outcome == "too slow" for v in visits),
        "errors": sum(v.outcome == "error" for v in visits),
        "wait_p50": pct(waits, 50), "wait_p95": pct(waits, 95),
        "answer_p50": pct(times, 50), "answer_p95": pct(times, 95),
        "busy_p50": pct(busy, 50), "busy_p95": pct(busy, 95),
        "error_details": sorted({v.detail for v in visits if v.outcome == "error"})[:5],
    }  # fmt: skip
