"""How many threads torch should use for a batch: measured on the batches themselves.

On a machine of its own, two threads on two cores should come near halving a batch's time (not
measured: the machine this was written on was never idle). On a machine whose cores are busy
with other work, they can make it several times slower: every one of the hundreds of parallel
regions in a forward pass waits until both threads have been scheduled
(benchmarks/bench_embedding.py measured one thread 3.6x to 4.6x faster than two at load
averages of 15-19 on two cores). Neither setting is right everywhere, and the load changes
while an index is built, so the choice is made by timing: the first batches try each thread
count in turn, then the faster one (seconds per character of input) is used, and the other is
tried again every ``RETRY_EVERY`` batches in case the machine's load changed.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

TRIALS = 1  # batches timed per thread count before choosing
RETRY_EVERY = 16  # batches between two re-tries of the other count
KEEP = 3  # most recent timings remembered per count: the load of a while ago is no guide


class ThreadChoice:
    """Picks between thread counts by the measured time per character of the batches run."""

    def __init__(
        self,
        set_threads: Callable[[int], None],
        get_threads: Callable[[], int],
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._set, self._get, self._clock = set_threads, get_threads, clock
        self._default = get_threads()
        self._counts = [self._default, 1] if self._default > 1 else [self._default]
        self._seconds_per_char: dict[int, list[float]] = {n: [] for n in self._counts}
        self._batches = 0

    def next_count(self) -> int:
        """The thread count for the next batch."""
        untried = [n for n in self._counts if len(self._seconds_per_char[n]) < TRIALS]
        if untried:
            return min(untried, key=lambda n: len(self._seconds_per_char[n]))
        best = min(self._counts, key=lambda n: statistics.median(self._seconds_per_char[n]))
        if self._batches % RETRY_EVERY == 0:
            return next(n for n in self._counts if n != best)
        return best

    @contextmanager
    def batch(self, characters: int) -> Iterator[int]:
        """Run one batch under the chosen thread count, timing it; restores the count after."""
        count = self.next_count()
        previous = self._get()
        self._set(count)
        started = self._clock()
        try:
            yield count
        finally:
            self._set(previous)
        timings = self._seconds_per_char[count]
        timings.append((self._clock() - started) / max(characters, 1))
        del timings[:-KEEP]
        self._batches += 1
