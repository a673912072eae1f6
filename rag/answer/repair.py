"""What to give instead of a first reply that failed a check: the ladder of second attempts.

In order, each only when the one before gave nothing that passes every check:

1. a second reading in the passages' language, when it is not the reply's
   (``rag.answer.rendering``: an English question about Vietnamese passages);
2. the narrower retry, when the failed check is one it can mend and retrieval evidence is
   strong (``rag.answer.retry``);
3. the draft itself, when evidence is strong and only a soft check failed
   (``rag.answer.checks.stands_without``);
4. otherwise nothing: the assistant abstains.

The model is reached through ``complete`` (messages and a token budget in, the whole text out),
so this module holds the order of attempts and the assistant holds the models.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from rag.answer.checks import (
    RETRY_ON,
    Check,
    Draft,
    draft_from_reply,
    failing_check,
    first_failure,
    stands_without,
)
from rag.answer.prompting import build_messages
from rag.answer.quoting import read_reply
from rag.answer.rendering import (
    RENDER_TOKENS,
    reading_language,
    rendered_text,
    rendering_messages,
    written_language,
)
from rag.answer.reply import ParsedReply
from rag.answer.retry import (
    COMPOSE_TOKENS,
    EXTRACT_TOKENS,
    answer_text,
    composing_messages,
    extraction_messages,
    read_extract,
)
from rag.generation.base import ChatMessage
from rag.settings import Settings

log = logging.getLogger(__name__)

Complete = Callable[[list[ChatMessage], int], str]  # messages, max new tokens -> the reply


class SecondAttempts:
    """The second attempts of one assistant; cheap to build (it loads nothing)."""

    def __init__(self, complete: Complete, settings: Settings) -> None:
        self.complete = complete
        self.settings = settings

    def repaired(self, draft: Draft, failed: tuple[Check, str], strong: bool) -> Draft | None:
        """What to give instead of ``draft``, which ``failed`` a check, or None to abstain.
        ``strong``: retrieval found passages close enough to the question to try harder."""
        if (other := self.in_passage_language(draft)) is not None:
            if (again := failing_check(other)) is None:
                return other
            log.info("reading in %s did not do: %s", other.language, again[1])
            draft, failed = other, again
        check, reason = failed
        retried = self.retried(draft) if check in RETRY_ON and strong else None
        if retried is not None and (still := first_failure(retried)) is None:
            return retried
        if strong and stands_without(draft, check):
            log.info("giving the reply: only %s failed", check.__name__)
            return draft
        log.info("abstaining: %s", reason if retried is None else still)
        return None

    def in_passage_language(self, draft: Draft) -> Draft | None:
        """The question answered again in the passages' language, when that is not the
        language of the failed draft; None when it is, or when the reading says nothing."""
        reading = reading_language(draft.language, draft.context)
        if not self.settings.read_in_passage_language or reading == draft.language:
            return None
        messages = build_messages(draft.question, draft.context, reading)
        reply = read_reply(self.complete(messages, self.settings.max_new_tokens), draft.context)
        if reply.not_found or not reply.text:
            log.info("reading in %s found nothing either", reading)
            return None
        return draft_from_reply(reply, draft.question, written_language(reply.text),
                                draft.context, draft.meaning, draft.min_meaning)  # fmt: skip

    def retried(self, draft: Draft) -> Draft | None:
        """The narrower attempt (``rag.answer.retry``); None when the setting is off or it
        finds no exact words in the passages."""
        if not self.settings.retry:
            return None
        context = draft.context
        raw = self.complete(extraction_messages(draft.question, context), EXTRACT_TOKENS)
        extract = read_extract(raw, context)
        if extract is None:
            log.info("retry found no exact words in the passages: %r", raw[:200])
            return None
        composed = None
        if draft.language == "en":
            composed = self.complete(composing_messages(draft.question, extract), COMPOSE_TOKENS)
        text = answer_text(extract, draft.language, composed)
        reply = ParsedReply(text, [extract.passage], False)
        return draft_from_reply(reply, draft.question, draft.language, context, draft.meaning,
                                draft.min_meaning)  # fmt: skip

    def rendered(self, draft: Draft) -> str:
        """The checked ``draft`` written in English (``rag.answer.rendering``)."""
        raw = self.complete(rendering_messages(draft.question, draft.text), RENDER_TOKENS)
        grounded = [f for f in draft.facts if draft.where(f)]
        return rendered_text(raw, draft.text, grounded, len(draft.cited), draft.question)
