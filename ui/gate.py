"""The line in front of the models: one user is served at a time, a few wait, the rest are told
at once that the assistant is busy.

Why not Gradio's own queue alone: past its ``max_size`` it answers ``/queue/join`` with an HTTP
503, which the page shows as an error toast, and a request waiting in it cannot be told apart
from one being answered. Here the chat handler itself decides, so a turned-away user gets a
normal chat message within milliseconds, a waiting one sees their place in the line, and one
who closes the page leaves the line (Gradio closes the handler's generator; see ``ChatPage``).
"""

from __future__ import annotations

import threading
import time
from collections import deque


class Ticket:
    """One place in the line. ``wait`` until it is this ticket's turn; ``leave`` always."""

    def __init__(self, gate: Gate) -> None:
        self._gate = gate
        self.joined = time.monotonic()
        self.served: float | None = None  # when its turn came

    def wait(self, timeout_s: float) -> bool:
        """Whether it is this ticket's turn, waiting up to ``timeout_s`` for it."""
        return self._gate._wait(self, timeout_s)

    @property
    def ahead(self) -> int:
        """How many tickets are before this one (the one being served included)."""
        return self._gate._ahead(self)

    @property
    def waited_s(self) -> float:
        return (self.served or time.monotonic()) - self.joined

    def leave(self) -> None:
        self._gate._leave(self)


class Gate:
    """First come, first served. ``enter`` refuses at once when ``max_waiting`` already wait, or
    when the wait, estimated from how long recent turns took, would exceed ``max_wait_s``: better
    to say "busy" now than after minutes in the line."""

    def __init__(self, max_waiting: int, max_wait_s: float = float("inf")) -> None:
        self.max_waiting = max_waiting
        self.max_wait_s = max_wait_s
        self.turn_s: float | None = None  # a moving average of how long one turn takes
        self._line: deque[Ticket] = deque()  # the first is being served
        self._changed = threading.Condition()

    def enter(self) -> Ticket | None:
        """A place in the line, or None when the line is full or would take too long."""
        with self._changed:
            ahead = len(self._line)
            if ahead > self.max_waiting or ahead * (self.turn_s or 0.0) > self.max_wait_s:
                return None
            ticket = Ticket(self)
            self._line.append(ticket)
            if ahead == 0:
                ticket.served = ticket.joined
            return ticket

    def __len__(self) -> int:
        """Tickets in the line, the one being served included."""
        with self._changed:
            return len(self._line)

    def _wait(self, ticket: Ticket, timeout_s: float) -> bool:
        with self._changed:
            if not self._changed.wait_for(lambda: self._line[0] is ticket, timeout_s):
                return False
            if ticket.served is None:
                ticket.served = time.monotonic()
            return True

    def _ahead(self, ticket: Ticket) -> int:
        with self._changed:
            return self._line.index(ticket) if ticket in self._line else 0

    def _leave(self, ticket: Ticket) -> None:
        with self._changed:
            if ticket not in self._line:
                return
            if ticket.served is not None:  # a finished turn: learn how long turns take
                took = time.monotonic() - ticket.served
                self.turn_s = took if self.turn_s is None else 0.7 * self.turn_s + 0.3 * took
            self._line.remove(ticket)
            self._changed.notify_all()
