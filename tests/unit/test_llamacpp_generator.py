"""The llama.cpp backend, with a fake ``llama_cpp`` module: no build, no model, no network."""

from __future__ import annotations

import sys
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pydantic import ValidationError

from rag.errors import GenerationError, ModelError, RagError
from rag.generation.base import ChatMessage, Generator, ReplyScore
from rag.generation.llamacpp_generator import LlamaCppGenerator
from rag.settings import Settings
from tests.streams import read_to_end

MESSAGES: list[ChatMessage] = [
    {"role": "system", "content": "Answer from the passages."},
    {"role": "user", "content": "Phương châm hành động năm 2020 là gì?"},
]
REPLY = ["Phương ", "châm ", "là ", "“Hoàn ", "thiện ", "thể ", "chế”", "."]
LOGPROB = -0.5  # each fake token's


class FakeLlama:
    """Stands in for ``llama_cpp.Llama``: streams REPLY one token per chunk, like the real one."""

    instances: ClassVar[list[FakeLlama]] = []

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        self.calls: list[dict[str, Any]] = []
        self.closed = 0
        self.delay = 0.0
        self.endless = False
        FakeLlama.instances.append(self)

    def create_chat_completion(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        if kwargs.get("logprobs") and not kwargs.get("stream"):  # OpenAI-shaped, one reply
            token = {"token": "Yes", "logprob": -0.356675}  # ln 0.7
            return {"choices": [{"message": {"content": "Yes"}, "logprobs": {"content": [token]}}]}
        return self._chunks(kwargs["max_tokens"])

    def _chunks(self, max_tokens: int) -> Iterator[dict[str, Any]]:
        try:
            yield {"choices": [{"index": 0, "delta": {"role": "assistant"}, "finish_reason": None}]}
            n = 0
            while n < max_tokens and (self.endless or n < len(REPLY)):
                time.sleep(self.delay)
                piece = REPLY[n % len(REPLY)]
                chosen = {"content": [{"token": piece, "logprob": LOGPROB}]}
                yield {
                    "choices": [
                        {"index": 0, "delta": {"content": piece}, "logprobs": chosen,
                         "finish_reason": None}
                    ]
                }  # fmt: skip
                n += 1
            reason = "length" if n == max_tokens else "stop"
            yield {"choices": [{"index": 0, "delta": {}, "finish_reason": reason}]}
        finally:
            self.closed += 1


@pytest.fixture
def fake_llama_cpp(monkeypatch: pytest.MonkeyPatch) -> type[FakeLlama]:
    module = types.ModuleType("llama_cpp")
    module.Llama = FakeLlama  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "llama_cpp", module)
    FakeLlama.instances = []
    return FakeLlama


@pytest.fixture
def gguf(tmp_path: Path) -> Path:
    path = tmp_path / "model.gguf"
    path.write_bytes(b"GGUF")
    return path


def test_it_is_a_generator_and_loads_lazily(fake_llama_cpp: type[FakeLlama], gguf: Path) -> None:
    generator = LlamaCppGenerator(str(gguf), model_id="qwen")
    assert isinstance(generator, Generator)
    assert generator.model_id == "qwen"
    assert fake_llama_cpp.instances == []  # the constructor is cheap
    generator.warm_up()
    generator.warm_up()
    assert len(fake_llama_cpp.instances) == 1
    kwargs = fake_llama_cpp.instances[0].kwargs
    assert kwargs["model_path"] == str(gguf)
    assert kwargs["verbose"] is False
    assert kwargs["n_ctx"] == 4096
    assert kwargs["n_threads"] >= 1


def test_messages_go_through_and_pieces_stream(fake_llama_cpp: type[FakeLlama], gguf: Path) -> None:
    generator = LlamaCppGenerator(str(gguf))
    pieces = list(generator.stream(MESSAGES, max_new_tokens=100))
    assert pieces == REPLY  # the role chunk and the empty final chunk yield nothing
    (call,) = fake_llama_cpp.instances[0].calls
    assert call["messages"] == MESSAGES  # the GGUF's own chat template formats them
    assert call["stream"] is True
    assert call["temperature"] == 0.0  # greedy
    assert call["max_tokens"] == 100
    assert "chat_format" not in fake_llama_cpp.instances[0].kwargs


def test_the_stream_returns_the_chosen_tokens_log_probability(
    fake_llama_cpp: type[FakeLlama], gguf: Path
) -> None:
    pieces, score = read_to_end(LlamaCppGenerator(str(gguf)).stream(MESSAGES, max_new_tokens=100))
    assert pieces == REPLY
    assert fake_llama_cpp.instances[0].calls[0]["logprobs"] is True
    assert score == ReplyScore(len(REPLY), LOGPROB * len(REPLY))


def test_the_same_messages_give_the_same_reply(fake_llama_cpp: type[FakeLlama], gguf: Path) -> None:
    generator = LlamaCppGenerator(str(gguf))
    first = "".join(generator.stream(MESSAGES, 50))
    assert first == "".join(generator.stream(MESSAGES, 50))
    assert len(fake_llama_cpp.instances) == 1  # loaded once


def test_max_new_tokens_is_respected(fake_llama_cpp: type[FakeLlama], gguf: Path) -> None:
    pieces = list(LlamaCppGenerator(str(gguf)).stream(MESSAGES, max_new_tokens=3))
    assert pieces == REPLY[:3]
    assert fake_llama_cpp.instances[0].calls[0]["max_tokens"] == 3


def test_timeout_stops_generation(fake_llama_cpp: type[FakeLlama], gguf: Path) -> None:
    generator = LlamaCppGenerator(str(gguf))
    generator.warm_up()
    llama = fake_llama_cpp.instances[0]
    llama.endless, llama.delay = True, 0.02
    pieces: list[str] = []
    started = time.monotonic()
    with pytest.raises(GenerationError, match=r"no answer within"):
        for piece in generator.stream(MESSAGES, max_new_tokens=100_000, timeout_s=0.2):
            pieces.append(piece)
    assert time.monotonic() - started < 2.0
    assert 0 < len(pieces) < 100
    assert llama.closed == 1  # decoding stopped


def test_abandoned_stream_stops_decoding_and_frees_the_model(
    fake_llama_cpp: type[FakeLlama], gguf: Path
) -> None:
    generator = LlamaCppGenerator(str(gguf))
    stream = generator.stream(MESSAGES, max_new_tokens=100)
    assert [next(stream), next(stream)] == REPLY[:2]
    stream.close()  # the caller went away
    llama = fake_llama_cpp.instances[0]
    assert llama.closed == 1
    assert list(generator.stream(MESSAGES, max_new_tokens=100)) == REPLY  # not left locked


def test_failure_while_decoding_is_a_generation_error(
    fake_llama_cpp: type[FakeLlama], gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    generator = LlamaCppGenerator(str(gguf))
    generator.warm_up()

    def too_long(**kwargs: Any) -> Iterator[dict[str, Any]]:
        raise ValueError("Requested tokens (5000) exceed context window of 4096")
        yield {}

    monkeypatch.setattr(fake_llama_cpp.instances[0], "create_chat_completion", too_long)
    with pytest.raises(GenerationError, match="exceed context window"):
        list(generator.stream(MESSAGES, 10))


def test_missing_package_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, gguf: Path) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # `import llama_cpp` raises ImportError
    generator = LlamaCppGenerator(str(gguf))  # constructing needs nothing
    with pytest.raises(ModelError, match=r"newsrag\[llamacpp\]") as caught:
        generator.warm_up()
    assert isinstance(caught.value, RagError)
    with pytest.raises(ModelError, match="llama-cpp-python"):
        list(generator.stream(MESSAGES, 10))


def test_missing_gguf_is_a_model_error(fake_llama_cpp: type[FakeLlama], tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="no such GGUF"):
        LlamaCppGenerator(str(tmp_path / "absent.gguf")).warm_up()


def test_a_file_llama_cpp_cannot_load_is_a_model_error(
    monkeypatch: pytest.MonkeyPatch, gguf: Path
) -> None:
    def broken(**kwargs: Any) -> None:
        raise ValueError("Failed to load model from file")

    module = types.ModuleType("llama_cpp")
    module.Llama = broken  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "llama_cpp", module)
    with pytest.raises(ModelError, match="cannot load generator"):
        LlamaCppGenerator(str(gguf)).warm_up()


# --- the setting ----------------------------------------------------------------------------------


def test_backend_setting_defaults_to_auto_and_reads_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("RAG_GENERATOR_BACKEND", raising=False)
    assert Settings().generator_backend == "auto"  # chosen by `rag models calibrate`
    monkeypatch.setenv("RAG_GENERATOR_BACKEND", "llama.cpp")
    assert Settings().generator_backend == "llama.cpp"
    monkeypatch.setenv("RAG_GENERATOR_BACKEND", "vllm")
    with pytest.raises(ValidationError):
        Settings()


def test_first_token_reads_the_chosen_tokens_log_probability(
    fake_llama_cpp: type[FakeLlama], gguf: Path
) -> None:
    generator = LlamaCppGenerator(str(gguf))
    first = generator.first_token(MESSAGES)
    assert first.text == "Yes" and first.probability == pytest.approx(0.7)
    call = fake_llama_cpp.instances[0].calls[-1]
    assert (call["max_tokens"], call["logprobs"], call["top_logprobs"]) == (1, True, 1)
