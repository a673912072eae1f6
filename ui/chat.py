"""What the page does, free of Gradio: answer a question, add articles, report the status.

The handlers never raise: library errors and surprises alike become a short message for the
user while the details go to the server log, so no traceback or file path reaches the page.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.assistant import Assistant
from rag.errors import GenerationError, QuestionError
from rag.settings import Settings
from rag.types import Answer

from . import render
from .gate import Gate, Ticket
from .loader import AssistantLoader

log = logging.getLogger(__name__)

PASSAGES_RANGE = (1, 8)  # the sliders' bounds, enforced again here: clients can send anything
TOKENS_RANGE = (32, 1024)
MAX_TURNS = 20  # follow-ups only look back one question; this bounds the session's memory
MAX_PANELS = 50  # earlier answers whose sources can still be shown by clicking them
UPLOAD_SUFFIXES = (".txt", ".jsonl")

STILL_LOADING = (
    "The assistant is still loading the articles and models. Please ask again in a moment."
)
FAILED_TO_LOAD = "The assistant could not start. Please tell whoever runs this page."
SOMETHING_WRONG = "Sorry, something went wrong while answering. Please try again."
TOO_SLOW = "Writing the answer took too long. Please try again, perhaps with a shorter answer."
BUSY = "The assistant is busy answering other people's questions. Please try again in a minute."

UPLOAD_BUSY = "The assistant is busy answering questions. Please add the files again in a minute."


def waiting_note(ahead: int) -> str:
    """What a user in the line sees instead of the answer."""
    return f"*Waiting for your turn: {ahead} question{'s' * (ahead != 1)} ahead of yours…*"


Message = dict[str, Any]
Output = tuple[list[Message], str, "Conversation", str]  # chat, sources panel, state, question box
ProgressFn = Callable[..., Any]  # gr.Progress: progress((done, total), desc=..., unit=...)


@dataclass
class Conversation:
    """One browser session's chat, kept on the server (the browser's copy is not trusted)."""

    messages: list[Message] = field(default_factory=list)  # what the chat shows
    turns: list[tuple[str, str]] = field(default_factory=list)  # history for follow-ups
    sources: dict[int, str] = field(default_factory=dict)  # sources panel per answer message
    panel: str = render.EMPTY_SOURCES  # the sources panel now shown


def remember(turns: Sequence[tuple[str, str]], answer: Answer) -> list[tuple[str, str]]:
    """The history after ``answer``, as (question, answer) pairs for ``Assistant.stream``.

    The searched (standalone) question is kept rather than the one typed, so that a second
    follow-up ("And in 2024?") is read against "Who chaired the 2023 review?", not "And in 2023?".
    """
    asked = answer.searched_question or answer.question
    return [*turns, (asked, answer.text)][-MAX_TURNS:]


def clamp(value: Any, bounds: tuple[int, int], default: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return max(bounds[0], min(bounds[1], number))


def within(value: int, bounds: tuple[int, int]) -> int:
    """A setting's value brought inside a slider's bounds (the setting itself is the default)."""
    return max(bounds[0], min(bounds[1], value))


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


class ChatPage:
    def __init__(self, loader: AssistantLoader, settings: Settings) -> None:
        self.loader = loader
        self.settings = settings
        # One line for questions and uploads alike: one thing uses the models at a time.
        self.gate = Gate(settings.chat_max_waiting, settings.chat_max_wait_s)

    # --- status -------------------------------------------------------------------------------

    def status(self) -> str:
        assistant = self.loader.assistant
        if assistant is not None:
            index = assistant.index
            return f"**Ready** · {len(index.articles)} articles · {len(index)} passages indexed"
        if self.loader.state == "failed":
            return f"**Not available.** {FAILED_TO_LOAD}"
        return "**Loading** the articles and models… Questions can be asked once this is ready."

    # --- answering ----------------------------------------------------------------------------

    def respond(
        self, question: str | None, conv: Conversation | None, passages: Any, max_tokens: Any
    ) -> Iterator[Output]:
        """Stream the answer into the chat, then show it cleaned, with its sources.

        Gradio closes this generator when the user leaves mid-answer (or clears the chat); the
        ``finally`` blocks then leave the line and stop the model, freeing the CPU at once.
        """
        conv = conv or Conversation()
        question = question if isinstance(question, str) else ""
        if not question.strip():
            yield self._output(conv, question)
            return
        shown = shorten(question.strip(), self.settings.max_question_chars)
        conv.messages.append({"role": "user", "content": render.escape_markdown(shown)})
        assistant = self.loader.assistant
        if assistant is None:
            loading = self.loader.state == "loading"
            text = STILL_LOADING if loading else FAILED_TO_LOAD
            yield self._reply(conv, text, panel=render.EMPTY_SOURCES)
            return
        ticket = self.gate.enter()
        if ticket is None:  # the question stays in the box, to send again
            self._reply(conv, BUSY, panel=render.EMPTY_SOURCES)
            yield self._output(conv, question)
            return
        try:
            conv.messages.append({"role": "assistant", "content": "…"})
            if (yield from self._wait_turn(conv, ticket)):
                yield from self._answer(assistant, conv, question, passages, max_tokens)
            else:
                self._reply(conv, BUSY, replace=True, panel=render.EMPTY_SOURCES)
                yield self._output(conv, question)
        finally:
            ticket.leave()

    def _wait_turn(self, conv: Conversation, ticket: Ticket) -> Generator[Output, None, bool]:
        """Show the user's place in the line until their turn; False past the longest wait.

        The page is updated every second while waiting: that is also when Gradio notices a
        user who has left, and closes this generator so the line moves on without them.
        """
        while not ticket.wait(timeout_s=1.0):
            if ticket.waited_s > self.settings.chat_max_wait_s:
                return False
            yield self._reply(conv, waiting_note(ticket.ahead), replace=True)
        conv.panel = render.note("Searching the articles…")
        yield self._reply(conv, "…", replace=True)
        return True

    def _answer(
        self, assistant: Assistant, conv: Conversation, question: str, passages: Any,
        max_tokens: Any,
    ) -> Iterator[Output]:  # fmt: skip
        raw = ""
        stream = None
        try:
            stream = self._view(assistant, passages, max_tokens).stream(question, conv.turns)
            for piece in stream:
                raw += piece
                text = render.safe_answer(raw) or "…"
                yield self._reply(conv, text, replace=True, panel=_WRITING)
            answer = stream.answer
        except QuestionError:
            problem = self._question_problem(question)
            yield self._reply(conv, problem, replace=True, panel=render.EMPTY_SOURCES)
            return
        except GenerationError:
            log.exception("generation failed")
            yield self._reply(conv, TOO_SLOW, replace=True, panel=render.EMPTY_SOURCES)
            return
        except Exception:  # RagError or a bug: log it, show a short message only
            log.exception("answering %r failed", shorten(question, 200))
            yield self._reply(conv, SOMETHING_WRONG, replace=True, panel=render.EMPTY_SOURCES)
            return
        finally:
            if stream is not None:
                stream.close()  # a no-op once finished; otherwise it stops the model
        conv.turns = remember(conv.turns, answer)
        panel = render.render_sources(answer)
        conv.sources[len(conv.messages) - 1] = panel
        for old in sorted(conv.sources)[:-MAX_PANELS]:
            del conv.sources[old]
        text = render.answer_message(answer, self._source_urls(assistant, answer))
        yield self._reply(conv, text, replace=True, panel=panel)

    def _view(self, assistant: Assistant, passages: Any, max_tokens: Any) -> Assistant:
        """The assistant with this request's settings, sharing its index and models."""
        base = assistant.settings
        return assistant.with_settings(
            context_passages=clamp(passages, PASSAGES_RANGE, base.context_passages),
            max_new_tokens=clamp(max_tokens, TOKENS_RANGE, base.max_new_tokens),
        )

    def _question_problem(self, question: str) -> str:
        limit = self.settings.max_question_chars
        if len(question) > limit:
            return f"That question is too long. Please keep it under {limit:,} characters."
        return "Please type a question."

    @staticmethod
    def _source_urls(assistant: Assistant, answer: Answer) -> list[str]:
        articles = assistant.index.articles
        return [a.url for p in answer.citations if (a := articles.get(p.doc_id)) and a.url]

    def _reply(
        self, conv: Conversation, text: str, replace: bool = False, panel: str | None = None
    ) -> Output:
        message = {"role": "assistant", "content": text}
        if replace:
            conv.messages[-1] = message
        else:
            conv.messages.append(message)
        if panel is not None:
            conv.panel = panel
        return self._output(conv)

    @staticmethod
    def _output(conv: Conversation, question: str = "") -> Output:
        return list(conv.messages), conv.panel, conv, question

    def sources_of(self, conv: Conversation | None, message_index: int) -> str | None:
        """The sources panel of an earlier answer, when the user clicks it."""
        return conv.sources.get(message_index) if conv else None

    # --- adding articles ----------------------------------------------------------------------

    def add_files(self, files: Sequence[str] | None, progress: ProgressFn) -> str:
        """Index uploaded files now; say what was added and what was refused, and why."""
        assistant = self.loader.assistant
        if assistant is None:
            return "The assistant is still loading; please add articles once it is ready."
        paths = [Path(f) for f in files or []]
        if not paths:
            return ""
        lines: list[str] = []
        usable = []
        for path in paths:
            if path.name.lower().endswith(UPLOAD_SUFFIXES):
                usable.append(path)
            else:
                lines.append(_refused(path.name, "only .txt and .jsonl files can be added"))
        added = 0
        if usable:
            progress(0, desc="Waiting for the questions before yours")
            ticket = self.gate.enter()  # indexing takes the models' turn, like a question
            try:
                if ticket is None or not ticket.wait(self.settings.chat_max_wait_s):
                    return "\n\n".join([*lines, UPLOAD_BUSY])
                progress(0, desc="Reading the files")
                result = assistant.add_documents(usable, progress=_progress_factory(progress))
            except Exception:  # the index is all-or-nothing, so it is unchanged
                log.exception("adding %s failed", [p.name for p in usable])
                lines.append("Sorry, these files could not be added. The index is unchanged.")
                return "\n\n".join(lines)
            finally:
                if ticket is not None:
                    ticket.leave()
            added = len(result.articles)
            if added:
                titles = ", ".join(render.escape_markdown(a.title) for a in result.articles[:5])
                more = f" and {added - 5} more" if added > 5 else ""
                lines.insert(0, f"**Added {added} article{'s' * (added != 1)}:** {titles}{more}")
            if result.replaced:
                names = ", ".join(render.escape_markdown(d) for d in result.replaced[:5])
                lines.insert(1, f"**Replaced** the earlier version of: {names}")
            for error in result.errors:
                where = Path(error.path).name + (f", line {error.line}" if error.line else "")
                lines.append(_refused(where, error.reason))
        if not added:
            lines.append("The index is unchanged.")
        return "\n\n".join(lines)


_WRITING = render.note("Writing the answer; its sources appear when it is done.")


_DIRECTORIES = re.compile(r"(?:[A-Za-z]:)?(?:[/\\][\w.\-]+)+[/\\](?=[\w.\-])")


def _refused(name: str, reason: str) -> str:
    reason = _DIRECTORIES.sub("", reason)  # reasons name no paths today; keep it that way
    return f"**Refused** {render.escape_markdown(name)}: {render.escape_markdown(reason)}"


def _progress_factory(progress: ProgressFn) -> Callable[[int], Callable[[int], None]]:
    """Adapt gr.Progress to the library's progress factory (total first, then increments)."""

    def start(total: int) -> Callable[[int], None]:
        done = 0
        progress((0, total), desc="Indexing passages", unit="passages")

        def advance(count: int) -> None:
            nonlocal done
            done += count
            progress((done, total), desc="Indexing passages", unit="passages")

        return advance

    return start
