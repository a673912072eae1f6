"""embeddings.thread_choice: the thread count that measures faster is used, and re-checked."""

from __future__ import annotations

from embeddings.thread_choice import RETRY_EVERY, ThreadChoice


class FakeMachine:
    """A clock and a thread setting: a batch takes ``cost[threads]`` seconds per character."""

    def __init__(self, cost: dict[int, float], threads: int = 2) -> None:
        self.cost, self.threads, self.now = cost, threads, 0.0

    def set_threads(self, count: int) -> None:
        self.threads = count

    def get_threads(self) -> int:
        return self.threads

    def clock(self) -> float:
        return self.now

    def run(self, choice: ThreadChoice, characters: int) -> int:
        with choice.batch(characters) as count:
            assert self.threads == count
            self.now += self.cost[count] * characters
        assert self.threads == 2  # restored after the batch
        return count


def test_two_threads_are_kept_where_they_are_faster() -> None:
    machine = FakeMachine({2: 1.0, 1: 1.9})
    choice = ThreadChoice(machine.set_threads, machine.get_threads, machine.clock)
    counts = [machine.run(choice, 100 + n) for n in range(RETRY_EVERY)]
    assert counts[:2] == [2, 1]  # each tried once
    assert counts[2:] == [2] * (RETRY_EVERY - 2)


def test_one_thread_is_chosen_on_a_busy_machine_and_two_come_back_when_it_calms() -> None:
    machine = FakeMachine({2: 3.7, 1: 1.0})
    choice = ThreadChoice(machine.set_threads, machine.get_threads, machine.clock)
    counts = [machine.run(choice, 500 - n) for n in range(RETRY_EVERY - 1)]
    assert counts[2:] == [1] * (RETRY_EVERY - 3)
    machine.cost = {2: 0.5, 1: 1.0}  # the other work ended
    later = [machine.run(choice, 300) for _ in range(4 * RETRY_EVERY)]
    assert later[-2 * RETRY_EVERY :].count(1) == 2  # two threads, but for the periodic re-tries


def test_time_is_compared_per_character_not_per_batch() -> None:
    machine = FakeMachine({2: 1.0, 1: 1.5})
    choice = ThreadChoice(machine.set_threads, machine.get_threads, machine.clock)
    machine.run(choice, 1000)  # two threads on a long batch: 1000 s
    machine.run(choice, 10)  # one thread on a short one: 15 s, yet slower per character
    assert choice.next_count() == 2


def test_a_single_thread_machine_has_nothing_to_choose() -> None:
    machine = FakeMachine({1: 1.0}, threads=1)
    choice = ThreadChoice(machine.set_threads, machine.get_threads, machine.clock)
    with choice.batch(10) as count:
        assert count == 1
    assert choice.next_count() == 1
