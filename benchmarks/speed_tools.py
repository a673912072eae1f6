"""Measuring tools shared by the speed benchmarks: timed streams, token counts, memory, stats.

Nothing here changes what is measured: ``RecordingGenerator`` passes every piece through as it
comes and only notes when it came.
"""

from __future__ import annotations

import json
import os
import resource
import threading
import time
from collections.abc import Generator as Stream
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.generation.base import ChatMessage, FirstToken, Generator, ReplyScore, observed
from rag.text import normalize

_PAGE = os.sysconf("SC_PAGE_SIZE")


def load_questions(path: Path, limit: int | None = None) -> list[dict[str, Any]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    items = [json.loads(line) for line in lines if line.strip()]
    return items[:limit] if limit else items


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); nan for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def holds(text: str, key: str) -> bool:
    """The text holds one of the key's `|`-separated spellings (case and Unicode form aside)."""
    text = normalize(text).lower()
    return any(normalize(alt).lower() in text for alt in key.split("|"))


def judged_right(item: dict[str, Any], text: str, abstained: bool) -> bool:
    if item["unanswerable"]:
        return abstained
    return not abstained and all(holds(text, key) for key in item["keys"])


def cpu_summary() -> str:
    """The CPU's model name and the matrix extensions that set prefill speed (AMX, AVX-512
    bf16/VNNI): times on machines that differ here are not comparable."""
    try:
        info = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "unknown CPU"
    name = next((line.split(":", 1)[1].strip() for line in info.splitlines()
                 if line.startswith("model name")), "unknown CPU")  # fmt: skip
    flags = set(next((line.split(":", 1)[1].split() for line in info.splitlines()
                      if line.startswith("flags")), []))  # fmt: skip
    wanted = ("amx_tile", "amx_bf16", "amx_int8", "avx512_bf16", "avx512_vnni")
    present = [flag for flag in wanted if flag in flags]
    return f"{name}; {', '.join(present) or 'no AMX or AVX-512 bf16/VNNI'}"


def rss_bytes() -> int:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * _PAGE


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class RssSampler:
    """Samples this process's RSS in a thread; ``peak_since(mark)`` is the highest since mark."""

    def __init__(self, interval_s: float = 0.02) -> None:
        self._interval = interval_s
        self._samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._samples.append((time.perf_counter(), rss_bytes()))
            time.sleep(self._interval)

    def peak_since(self, mark: float) -> int:
        return max((rss for at, rss in self._samples if at >= mark), default=rss_bytes())

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class GenerationRecord:
    """One call of a generator: the prompt, what came back, and when."""

    messages: list[ChatMessage]
    started: float
    first_piece: float | None = None
    ended: float | None = None
    pieces: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.pieces)


class RecordingGenerator:
    """Any ``Generator``, with each call's prompt, reply and piece timings noted."""

    def __init__(self, inner: Generator) -> None:
        self.inner = inner
        self.records: list[GenerationRecord] = []
        self.verdicts = 0

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    def warm_up(self) -> None:
        self.inner.warm_up()

    def stream(
        self, messages: list[ChatMessage], max_new_tokens: int, timeout_s: float | None = None
    ) -> Stream[str, None, ReplyScore | None]:
        record = GenerationRecord(messages, time.perf_counter())
        self.records.append(record)

        def note(piece: str) -> None:
            if record.first_piece is None and piece:
                record.first_piece = time.perf_counter()
            record.pieces.append(piece)

        score = yield from observed(self.inner.stream(messages, max_new_tokens, timeout_s), note)
        record.ended = time.perf_counter()
        return score

    def first_token(self, messages: list[ChatMessage]) -> FirstToken:
        """The verdict's pass, noted as a call without pieces (a third of a call in counts)."""
        self.verdicts += 1
        return self.inner.first_token(messages)


@dataclass
class Measured:
    """One question answered by one pipeline."""

    total_s: float
    first_s: float  # until the first thing the stream yields
    prompt_tokens: int
    new_tokens: int
    decode_s: float  # from the first generated piece to the last
    text: str
    right: bool
    rss_growth: int  # peak RSS while answering, above RSS before the question
    language: str = ""  # the question's, as the questions file gives it
    calls: float = 1.0  # generations run for it (a verdict's prefill-only pass: a third)

    @property
    def decode_rate(self) -> float | None:
        """Tokens per second after the first piece (None when under two tokens were written)."""
        if self.new_tokens < 2 or self.decode_s <= 0:
            return None
        return (self.new_tokens - 1) / self.decode_s
