"""The ladder of second attempts on its own (``rag.answer.repair``), with a scripted model.

The assistant's tests (test_retry.py, test_rendering.py) go through whole questions; these
check the order of attempts and what each is given, with no index or generator behind them.
"""

from __future__ import annotations

from rag.answer.checks import Draft, draft_from_reply, failing_check, lacks_asked_fact
from rag.answer.rendering import RENDER_TOKENS
from rag.answer.repair import SecondAttempts
from rag.answer.reply import ParsedReply
from rag.answer.retry import EXTRACT_TOKENS
from rag.generation.base import ChatMessage
from rag.settings import Settings
from rag.types import Passage

PASSAGE = Passage(
    "d", "Tổng kết năm 2023", 2023,
    "Phó Thủ tướng Trần Lưu Quang chủ trì hội nghị. Biên chế năm 2023 giảm 27.504 người.",
    0.8, 0, 90,
)  # fmt: skip
EN_QUESTION = "Who chaired the 2023 conference?"
VI_QUESTION = "Ai chủ trì hội nghị năm 2023?"


class Scripted:
    """A model that gives its replies in order and records what it was asked."""

    def __init__(self, *replies: str) -> None:
        self.replies = list(replies)
        self.calls: list[tuple[list[ChatMessage], int]] = []

    def __call__(self, messages: list[ChatMessage], max_new_tokens: int) -> str:
        self.calls.append((messages, max_new_tokens))
        return self.replies.pop(0)


def draft(text: str, question: str, language: str) -> Draft:
    return draft_from_reply(ParsedReply(text, [0], False), question, language, [PASSAGE])


def test_a_reading_in_vietnamese_that_passes_is_given_and_nothing_else_is_asked() -> None:
    model = Scripted("Phó Thủ tướng Trần Lưu Quang chủ trì [1].")
    failed = draft("The conference was held [1].", EN_QUESTION, "en")
    check = failing_check(failed)
    assert check is not None
    given = SecondAttempts(model, Settings()).repaired(failed, check, strong=True)
    assert given is not None and given.language == "vi" and "Trần Lưu Quang" in given.text
    assert len(model.calls) == 1 and "Answer in Vietnamese" in model.calls[0][0][1]["content"]


def test_the_retry_comes_after_a_reading_that_finds_nothing_and_only_on_strong_evidence() -> None:
    failed = draft("The conference was held [1].", EN_QUESTION, "en")
    check = failing_check(failed)
    assert check is not None
    model = Scripted("NOT_FOUND", "NOT_FOUND")
    assert SecondAttempts(model, Settings()).repaired(failed, check, strong=True) is None
    assert [budget for _, budget in model.calls] == [Settings().max_new_tokens, EXTRACT_TOKENS]
    assert "exact words" in model.calls[1][0][0]["content"]
    weak = Scripted("NOT_FOUND")
    assert SecondAttempts(weak, Settings()).repaired(failed, check, strong=False) is None
    assert len(weak.calls) == 1  # no retry on weak evidence


def test_a_vietnamese_draft_failing_only_a_soft_check_stands_on_strong_evidence() -> None:
    # It names no one for "who"; the figure it gives is grounded.
    failed = draft("Biên chế năm 2023 giảm 27.504 người [1].", VI_QUESTION, "vi")
    check = failing_check(failed)
    assert check is not None and check[0] is lacks_asked_fact
    model = Scripted("NOT_FOUND")  # the retry finds nothing; no reading: already Vietnamese
    assert SecondAttempts(model, Settings()).repaired(failed, check, strong=True) is failed
    assert len(model.calls) == 1
    assert SecondAttempts(Scripted(), Settings()).repaired(failed, check, strong=False) is None


def test_the_setting_turns_the_reading_off() -> None:
    failed = draft("The conference was held [1].", EN_QUESTION, "en")
    off = Settings(read_in_passage_language=False, retry=False)
    model = Scripted()
    assert SecondAttempts(model, off).in_passage_language(failed) is None and not model.calls


def test_the_checked_draft_is_written_in_english_within_its_budget() -> None:
    checked = draft("Trần Lưu Quang chủ trì hội nghị [1].", EN_QUESTION, "vi")
    model = Scripted("Deputy Prime Minister Trần Lưu Quang chaired it [1].")
    text = SecondAttempts(model, Settings()).rendered(checked)
    assert text == "Deputy Prime Minister Trần Lưu Quang chaired it [1]."
    ((messages, budget),) = model.calls
    assert budget == RENDER_TOKENS and checked.text in messages[1]["content"]
