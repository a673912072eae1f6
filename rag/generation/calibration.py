"""Timing the generator's backends on this machine, and choosing the fastest that writes the
reference text (``rag models calibrate``; the profile is kept by ``rag.machine``).

Every candidate reads the same prompt of the product's shape and writes greedily. The reference
is the first candidate, transformers in f32 one token per step: the most exact arithmetic on
offer, the text every other is compared with. A candidate whose text differs from it, or that
fails, is not chosen however fast it is. Equal text is asked for on this one prompt only: greedy
bf16 on some CPUs changes with kernel shapes, so a backend that matches here may still differ
elsewhere, and the tests assert facts, not texts, where the arithmetic does not promise equality.

A candidate still writing when it has taken longer than the fastest qualified one so far is
stopped: it cannot win, and bf16 emulated on a CPU without bf16 units can take minutes.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rag.generation.base import ChatMessage, Generator
from rag.machine import Engine, Timing

log = logging.getLogger(__name__)

REFERENCE = Engine("transformers", "f32", prompt_lookup=False)
# A run whose process used less than this share of the cores' time shared them with other work:
# its time says nothing about an idle machine. (Measured idle on 2 AMD EPYC cores: 0.92-0.98
# for every backend; another process busy on both cores would leave about half.)
MIN_CPU_SHARE = 0.6
# bf16 products slower than f32 by more than this: bf16 is emulated (AVX2-only AMD EPYC: 30-130x;
# with AVX-512 bf16 or AMX units bf16 is the faster one).
MAX_BF16_SLOWDOWN = 2.0


@dataclass(frozen=True)
class CalibrationResult:
    timings: list[Timing]
    chosen: Engine | None  # None: nothing qualified
    busy: str | None  # why the timings cannot be trusted, when they cannot


def candidates(
    installed: Callable[[str], bool], bf16_slowdown: float | None = None
) -> tuple[list[Engine], list[Timing]]:
    """The configurations to time, the reference first, then the likely fastest (a low bar
    early stops the slow ones sooner); ``installed(backend)`` says which can run here.

    transformers bf16 is left out, with its reason as a timing, when bf16 matrix products were
    measured (``bf16_slowdown``, bf16 time over f32 time) more than ``MAX_BF16_SLOWDOWN`` times
    slower than f32: the CPU emulates bf16, and reading the prompt alone takes minutes that
    cannot be cut short (on an AVX2-only AMD EPYC: products 30-130x slower, and the calibration
    prompt read in 82 s against f32's 12 s).
    """
    wanted = [
        REFERENCE,
        Engine("openvino", "f32"),
        Engine("openvino", "bf16"),
        Engine("llama.cpp", "q4"),
        Engine("transformers", "f32"),
        Engine("transformers", "bf16"),
        Engine("transformers", "bf16", prompt_lookup=False),
    ]
    present = [engine for engine in wanted if installed(engine.backend)]
    if bf16_slowdown is None or bf16_slowdown <= MAX_BF16_SLOWDOWN:
        return present, []
    emulated = [e for e in present if e.backend == "transformers" and e.precision == "bf16"]
    reason = f"not timed: bf16 matrix products ran {bf16_slowdown:.1f}x slower than f32 here"
    return [e for e in present if e not in emulated], [
        Timing(e.label, None, error=reason) for e in emulated
    ]


@dataclass(frozen=True)
class Trial:
    """What every engine is timed on: how to make it, the prompt, the machine's cores, and the
    clocks (fakes in tests)."""

    make: Callable[[Engine], Generator]
    messages: list[ChatMessage]
    max_new_tokens: int
    cores: int
    clock: Callable[[], float] = time.perf_counter
    cpu_clock: Callable[[], float] = time.process_time


def calibrate(
    engines: Sequence[Engine], trial: Trial, progress: Callable[[str], None] | None = None
) -> CalibrationResult:
    """Time each engine on the trial's prompt and choose; the first engine's text is the
    reference."""
    timings: list[Timing] = []
    reference: str | None = None
    for engine in engines:
        if progress is not None:
            progress(engine.label)
        timing, text = time_engine(engine, trial, _best_so_far(timings))
        if reference is None and text is not None:
            reference = text
        if text is not None and not timing.stopped:
            timing.same_as_reference = text == reference
        timings.append(timing)
    busy = busy_runs(timings, trial.cores)
    chosen = None if busy else choose(engines, timings)
    return CalibrationResult(timings, chosen, busy)


def time_engine(
    engine: Engine, trial: Trial, limit_s: float | None = None
) -> tuple[Timing, str | None]:
    """One engine's timing and text; loading (and the backend's own warm-up) is not timed.
    Past ``limit_s`` the engine is stopped and its timing says so."""
    clock, cpu_clock = trial.clock, trial.cpu_clock
    generator: Generator | None = None
    try:
        generator = trial.make(engine)
        generator.warm_up()
        pieces: list[str] = []
        first: float | None = None
        start, cpu_start = clock(), cpu_clock()
        stopped = False
        for piece in generator.stream(trial.messages, trial.max_new_tokens):
            if first is None:
                first = clock() - start
            pieces.append(piece)
            if limit_s is not None and clock() - start > limit_s:
                stopped = True  # leaving the stream stops the generator
                break
        seconds, cpu = clock() - start, cpu_clock() - cpu_start
    except Exception as error:  # a backend that cannot run here is skipped, with the reason
        log.info("calibration: %s failed: %s", engine.label, error)
        return Timing(engine.label, None, error=f"{type(error).__name__}: {error}"), None
    finally:
        del generator  # one model in memory at a time
        gc.collect()
    share = cpu / seconds / trial.cores if seconds > 0 else None
    timing = Timing(engine.label, round(seconds, 3), _rounded(first), len(pieces), _rounded(share))
    timing.stopped = stopped
    return timing, "".join(pieces)


def choose(engines: Sequence[Engine], timings: Sequence[Timing]) -> Engine | None:
    """The fastest engine that ran and wrote the reference text; None when none did."""
    qualified = [
        (timing.seconds, index)
        for index, timing in enumerate(timings)
        if timing.seconds is not None
        and timing.error is None
        and timing.same_as_reference
        and not timing.stopped
    ]
    return engines[min(qualified)[1]] if qualified else None


def busy_runs(timings: Sequence[Timing], cores: int) -> str | None:
    """Why the runs were not timed on an idle machine, or None."""
    starved = [t for t in timings if t.cpu_per_wall is not None and t.cpu_per_wall < MIN_CPU_SHARE]
    if not starved:
        return None
    worst = min(starved, key=lambda t: t.cpu_per_wall or 0.0)
    return (
        f"the machine was busy: {worst.name} used {worst.cpu_per_wall:.0%} of {cores} cores' "
        f"time while it ran (an idle machine gives it at least {MIN_CPU_SHARE:.0%})"
    )


def _best_so_far(timings: Sequence[Timing]) -> float | None:
    """The time of the fastest run that wrote the reference text (a bar for the next ones)."""
    done = [t.seconds for t in timings if t.seconds is not None and t.same_as_reference]
    return min(done) if done else None


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
