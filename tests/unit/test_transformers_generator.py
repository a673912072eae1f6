"""The transformers backend's wiring, with a fake model and tokenizer: no weights are loaded.

The fake model streams through the real ``TextIteratorStreamer`` and obeys the stopping
criteria the generator passes, as ``model.generate`` does (prompt lookup or not).
"""

from __future__ import annotations

import math
import threading
import time
import types
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from rag.errors import ConfigError, GenerationError
from rag.generation.base import ChatMessage, ReplyScore
from rag.generation.factory import make_generator
from rag.generation.transformers_generator import TransformersGenerator
from rag.machine import Engine
from rag.settings import Settings
from tests.streams import read_to_end

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

MESSAGES: list[ChatMessage] = [
    {"role": "system", "content": "Answer from the passages."},
    {"role": "user", "content": "Phương châm năm 2020 là gì?"},
]
WORDS = ["Phương", "châm", "là", "“Hoàn", "thiện", "thể", "chế”", "[1]."]


class FakeTokenizer:
    pad_token_id = None
    eos_token_id = 0

    def apply_chat_template(self, messages: list[ChatMessage], **kwargs: Any) -> dict[str, Any]:
        assert kwargs["add_generation_prompt"] and kwargs["return_dict"]
        return {"input_ids": torch.tensor([[7, 8, 9]]), "attention_mask": torch.ones(1, 3)}

    def decode(self, ids: list[int], **kwargs: Any) -> str:
        return " ".join(WORDS[(i - 1) % len(WORDS)] for i in ids)


class FakeModel:
    """Writes WORDS (or forever, if ``endless``), one token per step, as generate() would."""

    def __init__(self, endless: bool = False) -> None:
        self.endless = endless
        self.calls: list[dict[str, Any]] = []
        self.finished = threading.Event()

    def generate(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        streamer, stop = kwargs["streamer"], kwargs["stopping_criteria"]
        ids = kwargs["input_ids"]
        streamer.put(ids)  # the prompt first: skipped by skip_prompt
        step, logits = 0, []
        while self.endless or step < min(len(WORDS), kwargs["max_new_tokens"]):
            time.sleep(0.001)
            ids = torch.cat([ids, torch.tensor([[step + 1]])], dim=1)
            streamer.put(torch.tensor([step + 1]))
            step += 1
            logits.append(chosen_twice_as_likely(step % 20))
            if stop(ids, None):
                break
        streamer.end()
        self.finished.set()
        return types.SimpleNamespace(sequences=ids, logits=tuple(logits))


def chosen_twice_as_likely(token: int, vocabulary: int = 20) -> Any:
    """Logits over a small vocabulary where ``token`` is as likely as two others together:
    probability 2 / (2 + vocabulary - 1)."""
    row = torch.zeros(1, vocabulary)
    row[0, token] = math.log(2.0)
    return row


def generator(model: FakeModel, monkeypatch: pytest.MonkeyPatch, **options: Any) -> Any:
    monkeypatch.setattr(TransformersGenerator, "_load", lambda self: (model, FakeTokenizer()))
    return TransformersGenerator("folder", model_id="qwen", **options)


def test_prompt_lookup_reaches_generate_and_the_text_streams_as_written(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model = FakeModel()
    text = "".join(generator(model, monkeypatch, prompt_lookup_tokens=10).stream(MESSAGES, 64))
    assert text.split() == WORDS
    assert model.calls[0]["prompt_lookup_num_tokens"] == 10
    assert model.calls[0]["do_sample"] is False and model.calls[0]["max_new_tokens"] == 64


def test_the_stream_returns_the_chosen_tokens_log_probability(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model = FakeModel()
    stream = generator(model, monkeypatch, prompt_lookup_tokens=10).stream(MESSAGES, 64)
    pieces, score = read_to_end(stream)
    assert "".join(pieces).split() == WORDS
    assert model.calls[0]["output_logits"] and model.calls[0]["return_dict_in_generate"]
    assert isinstance(score, ReplyScore) and score.tokens == len(WORDS)
    assert score.mean_probability == pytest.approx(2 / 21)


def test_zero_prompt_lookup_tokens_decodes_one_token_per_step(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model = FakeModel()
    text = "".join(generator(model, monkeypatch, prompt_lookup_tokens=0).stream(MESSAGES, 64))
    assert text.split() == WORDS
    assert "prompt_lookup_num_tokens" not in model.calls[0]


def test_a_reader_that_stops_reading_stops_the_generation(monkeypatch: pytest.MonkeyPatch) -> None:
    model = FakeModel(endless=True)
    stream = generator(model, monkeypatch, prompt_lookup_tokens=10).stream(MESSAGES, 10_000)
    assert next(stream) and next(stream)
    stream.close()
    assert model.finished.wait(5), "generate() kept running after the reader left"


def test_the_deadline_stops_the_generation_with_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model = FakeModel(endless=True)
    with pytest.raises(GenerationError, match=r"qwen: no answer within"):
        for _ in generator(model, monkeypatch, prompt_lookup_tokens=10).stream(
            MESSAGES, 10_000, timeout_s=0.05
        ):
            pass
    assert model.finished.is_set()


def test_the_setting_reaches_the_generator(tmp_path: Path) -> None:
    folder = tmp_path / "my-model"
    folder.mkdir()
    settings = Settings(
        generator=str(folder), generator_backend="transformers", prompt_lookup_tokens=4
    )
    made = make_generator(settings)
    assert isinstance(made, TransformersGenerator)
    assert made.prompt_lookup_tokens == 4 and made.dtype == "bfloat16"
    assert TransformersGenerator("x").prompt_lookup_tokens == 0


def test_the_engine_sets_the_precision_and_prompt_lookup(tmp_path: Path) -> None:
    settings = Settings(generator=str(tmp_path), prompt_lookup_tokens=4)
    made = make_generator(settings, Engine("transformers", "f32", prompt_lookup=False))
    assert isinstance(made, TransformersGenerator)
    assert (made.dtype, made.prompt_lookup_tokens) == ("float32", 0)
    with pytest.raises(ConfigError, match="bf16 or f32, not 'q4'"):
        make_generator(settings, Engine("transformers", "q4"))


def test_the_setting_is_read_from_the_environment_and_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RAG_PROMPT_LOOKUP_TOKENS", "0")
    assert Settings().prompt_lookup_tokens == 0
    with pytest.raises(ValidationError, match="prompt_lookup_tokens"):
        Settings(prompt_lookup_tokens=-1)
