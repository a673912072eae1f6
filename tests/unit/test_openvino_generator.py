"""The OpenVINO backend with a fake ``openvino_genai`` module: no install, no model."""

from __future__ import annotations

import enum
import math
import sys
import threading
import time
import types
from pathlib import Path
from typing import Any, ClassVar

import pytest

from rag.errors import GenerationError, ModelError
from rag.generation.base import ChatMessage, Generator, ReplyScore
from rag.generation.openvino_generator import REQUIRED_FILES, OpenVINOGenerator, piece_streamer
from tests.streams import read_to_end

MESSAGES: list[ChatMessage] = [
    {"role": "system", "content": "Answer from the passages."},
    {"role": "user", "content": "Phương châm hành động năm 2020 là gì?"},
]
REPLY = ["Phương ", "châm ", "là ", "“Hoàn ", "thiện ", "thể ", "chế”", "."]
LOGPROB = -0.25  # each fake token's log-probability


class StreamingStatus(enum.Enum):
    RUNNING = 0
    STOP = 1
    CANCEL = 2


class SchedulerConfig:
    def __init__(self) -> None:
        self.enable_prefix_caching = False
        self.cache_size = 0


class StreamerBase:
    """``openvino_genai.StreamerBase``: subclasses implement ``write`` and ``end``."""


class Tokenizer:
    """Token n is REPLY[n % len(REPLY)]."""

    def decode(self, tokens: list[int]) -> str:
        return "".join(REPLY[n % len(REPLY)] for n in tokens)

    def apply_chat_template(
        self, history: list[dict[str, str]], add_generation_prompt: bool
    ) -> str:
        text = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in history)
        return text + ("<|im_start|>assistant\n" if add_generation_prompt else "")


class FakePipeline:
    """Stands in for ``openvino_genai.LLMPipeline``: streams REPLY one token per callback call."""

    instances: ClassVar[list[FakePipeline]] = []

    def __init__(self, path: str, device: str, **kwargs: Any) -> None:
        self.path, self.device, self.kwargs = path, device, kwargs
        self.calls: list[tuple[str, Any]] = []
        self.statuses: list[StreamingStatus] = []
        self.delay = 0.0
        self.endless = False
        self.fail: Exception | None = None
        self.running = 0
        self.most_running = 0
        FakePipeline.instances.append(self)

    def get_tokenizer(self) -> Tokenizer:
        return Tokenizer()

    def get_generation_config(self) -> types.SimpleNamespace:
        return types.SimpleNamespace(eos_token_id=151645, max_new_tokens=2**31, do_sample=True)

    def generate(self, prompt: str | list[str], config: Any, streamer: Any = None) -> Any:
        """A string in, a string out; a batch in, DecodedResults out (``scores`` summing the
        chosen tokens' log-probabilities, LOGPROB each, when ``config.logprobs`` is set)."""
        text = prompt[0] if isinstance(prompt, list) else prompt
        self.calls.append((text, config))
        if isinstance(prompt, list) and streamer is None:  # the verdict's one token
            if self.fail is not None:
                raise self.fail
            return types.SimpleNamespace(texts=["Yes"], scores=[-0.105360516])  # ln 0.9
        reply, n = self._decode(config, streamer)
        if not isinstance(prompt, list):
            return reply
        metrics = types.SimpleNamespace(get_num_generated_tokens=lambda: n)
        scores = [LOGPROB * n if getattr(config, "logprobs", 0) else 0.0]
        return types.SimpleNamespace(texts=[reply], scores=scores, perf_metrics=metrics)

    def _decode(self, config: Any, streamer: Any) -> tuple[str, int]:
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        try:
            n = 0
            while n < config.max_new_tokens and (self.endless or n < len(REPLY)):
                time.sleep(self.delay)
                if self.fail is not None:
                    raise self.fail
                n += 1
                if streamer is not None:  # token ids, as the library hands them on
                    status = streamer.write(n - 1)
                    self.statuses.append(status)
                    if status != StreamingStatus.RUNNING:
                        break
            if streamer is not None:
                streamer.end()
            return "".join(REPLY[i % len(REPLY)] for i in range(n)), n
        finally:
            self.running -= 1


@pytest.fixture
def genai(monkeypatch: pytest.MonkeyPatch) -> type[FakePipeline]:
    module = types.ModuleType("openvino_genai")
    module.LLMPipeline = FakePipeline  # type: ignore[attr-defined]
    module.SchedulerConfig = SchedulerConfig  # type: ignore[attr-defined]
    module.StreamingStatus = StreamingStatus  # type: ignore[attr-defined]
    module.StreamerBase = StreamerBase  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "openvino_genai", module)
    FakePipeline.instances = []
    return FakePipeline


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for name in REQUIRED_FILES:
        (tmp_path / name).write_bytes(b"x")
    return tmp_path


def loaded(folder: Path, **options: Any) -> tuple[OpenVINOGenerator, FakePipeline]:
    generator = OpenVINOGenerator(str(folder), **options)
    generator.warm_up()
    return generator, FakePipeline.instances[-1]


def test_it_is_a_generator_and_loads_lazily(genai: type[FakePipeline], folder: Path) -> None:
    generator = OpenVINOGenerator(str(folder), model_id="qwen")
    assert isinstance(generator, Generator)
    assert generator.model_id == "qwen"
    assert genai.instances == []  # the constructor is cheap
    generator.warm_up()
    generator.warm_up()
    (pipeline,) = genai.instances
    assert (pipeline.path, pipeline.device) == (str(folder), "CPU")
    assert pipeline.kwargs["prompt_lookup"] is True
    assert pipeline.kwargs["scheduler_config"].enable_prefix_caching is True
    assert pipeline.kwargs["scheduler_config"].cache_size == 1
    (warm_run,) = pipeline.calls  # the slow first run happens at load time, once
    assert warm_run[1].max_new_tokens == 1


def test_pieces_stream_greedily_from_the_chat_template(
    genai: type[FakePipeline], folder: Path
) -> None:
    generator, pipeline = loaded(folder)
    pieces = list(generator.stream(MESSAGES, max_new_tokens=100))
    assert pieces == REPLY
    prompt, config = pipeline.calls[-1]
    assert prompt == generator.prompt(MESSAGES)
    assert prompt.startswith("<|im_start|>system\nAnswer from the passages.<|im_end|>\n")
    assert prompt.endswith("<|im_start|>assistant\n")
    assert config.apply_chat_template is False  # formatted once, here, not again by the pipeline
    assert config.do_sample is False
    assert config.max_new_tokens == 100
    assert config.eos_token_id == 151645  # the model's own config, completed
    assert (config.num_assistant_tokens, config.max_ngram_size) == (5, 3)


def test_the_stream_returns_the_replys_score(genai: type[FakePipeline], folder: Path) -> None:
    generator, pipeline = loaded(folder)
    pieces, score = read_to_end(generator.stream(MESSAGES, max_new_tokens=100))
    assert pieces == REPLY
    assert pipeline.calls[-1][1].logprobs == 1
    assert score == ReplyScore(len(REPLY), LOGPROB * len(REPLY))
    assert score.mean_probability == pytest.approx(math.exp(LOGPROB))


def test_the_same_messages_give_the_same_reply(genai: type[FakePipeline], folder: Path) -> None:
    generator = OpenVINOGenerator(str(folder))
    assert "".join(generator.stream(MESSAGES, 50)) == "".join(generator.stream(MESSAGES, 50))
    assert len(genai.instances) == 1


def test_max_new_tokens_is_respected(genai: type[FakePipeline], folder: Path) -> None:
    generator, _ = loaded(folder)
    assert list(generator.stream(MESSAGES, max_new_tokens=3)) == REPLY[:3]
    with pytest.raises(GenerationError, match="max_new_tokens must be at least 1, not 0"):
        list(generator.stream(MESSAGES, max_new_tokens=0))


def test_without_prompt_lookup_or_cache(genai: type[FakePipeline], folder: Path) -> None:
    generator, pipeline = loaded(folder, prompt_lookup=False, prefix_caching=False)
    assert list(generator.stream(MESSAGES, 100)) == REPLY
    assert pipeline.kwargs == {"INFERENCE_PRECISION_HINT": "f32"}  # only the precision
    assert not hasattr(pipeline.calls[-1][1], "num_assistant_tokens")


def test_the_quantization_group_is_passed_to_the_cpu_plugin(
    genai: type[FakePipeline], folder: Path
) -> None:
    _, pipeline = loaded(folder, quantization_group=256)
    assert pipeline.kwargs["DYNAMIC_QUANTIZATION_GROUP_SIZE"] == 256
    _, pipeline = loaded(folder)  # 0, the default here: the plugin keeps its own
    assert "DYNAMIC_QUANTIZATION_GROUP_SIZE" not in pipeline.kwargs


def test_the_precision_hint_is_passed_to_the_cpu_plugin(
    genai: type[FakePipeline], folder: Path
) -> None:
    _, pipeline = loaded(folder)
    assert pipeline.kwargs["INFERENCE_PRECISION_HINT"] == "f32"  # asked for, not the plugin's
    generator, pipeline = loaded(folder, precision="bf16")
    assert pipeline.kwargs["INFERENCE_PRECISION_HINT"] == "bf16" and generator.precision == "bf16"
    with pytest.raises(ModelError, match="f32 or bf16, not 'int4'"):
        OpenVINOGenerator(str(folder), precision="int4")


def test_abandoning_the_stream_stops_generation(genai: type[FakePipeline], folder: Path) -> None:
    generator, pipeline = loaded(folder)
    pipeline.endless, pipeline.delay = True, 0.005
    stream = generator.stream(MESSAGES, max_new_tokens=100_000)
    assert [next(stream), next(stream)] == REPLY[:2]
    stream.close()  # returns once generate has returned: the CPU is free
    assert pipeline.running == 0
    assert pipeline.statuses[-1] == StreamingStatus.STOP
    assert len(pipeline.statuses) < 100
    assert list(generator.stream(MESSAGES, 3)) == REPLY[:3]  # the lock was released


def test_timeout_stops_generation(genai: type[FakePipeline], folder: Path) -> None:
    generator, pipeline = loaded(folder)
    pipeline.endless, pipeline.delay = True, 0.01
    pieces: list[str] = []
    with pytest.raises(GenerationError, match=r"no answer within 0\.05 s"):
        pieces.extend(generator.stream(MESSAGES, max_new_tokens=100_000, timeout_s=0.05))
    assert 1 <= len(pieces) < 50
    assert pipeline.running == 0
    assert pipeline.statuses[-1] == StreamingStatus.STOP


def test_a_failing_generation_is_a_generation_error(
    genai: type[FakePipeline], folder: Path
) -> None:
    generator, pipeline = loaded(folder, model_id="qwen")
    pipeline.fail = RuntimeError("Exception from src/inference: out of memory")
    with pytest.raises(GenerationError, match=r"qwen: generation failed: .*out of memory"):
        list(generator.stream(MESSAGES, 10))


def test_one_generation_at_a_time(genai: type[FakePipeline], folder: Path) -> None:
    generator, pipeline = loaded(folder)
    pipeline.delay = 0.002
    replies: list[str] = []
    threads = [
        threading.Thread(target=lambda: replies.append("".join(generator.stream(MESSAGES, 8))))
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert replies == ["".join(REPLY)] * 3
    assert pipeline.most_running == 1


def test_a_folder_without_the_model_files_is_refused(
    genai: type[FakePipeline], tmp_path: Path
) -> None:
    (tmp_path / "openvino_model.xml").write_text("<net/>")
    with pytest.raises(ModelError, match=r"missing openvino_model\.bin, openvino_tokenizer"):
        OpenVINOGenerator(str(tmp_path)).warm_up()
    assert genai.instances == []


def test_a_model_that_cannot_load_is_a_model_error(
    genai: type[FakePipeline], folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("Check 'false' failed: unsupported opset")

    monkeypatch.setattr(genai, "__init__", broken)
    with pytest.raises(ModelError, match=f"cannot load generator '{folder}'.*unsupported opset"):
        OpenVINOGenerator(str(folder)).warm_up()


def test_without_openvino_genai_the_error_says_what_to_install(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "openvino_genai", None)  # import fails
    with pytest.raises(ModelError, match=r"openvino-genai.*newsrag\[openvino\]"):
        OpenVINOGenerator(str(folder)).warm_up()


def test_first_token_reads_the_chosen_tokens_log_probability(
    genai: type[FakePipeline], folder: Path
) -> None:
    generator, pipeline = loaded(folder)
    first = generator.first_token(MESSAGES)
    assert first.text == "Yes" and first.probability == pytest.approx(0.9)
    prompt, config = pipeline.calls[-1]
    assert prompt == generator.prompt(MESSAGES)  # the same template: the prefix cache is shared
    assert (config.max_new_tokens, config.logprobs, config.do_sample) == (1, 1, False)
    pipeline.fail = RuntimeError("out of memory")
    with pytest.raises(GenerationError, match="scoring failed: out of memory"):
        generator.first_token(MESSAGES)


class SplitTokenizer:
    """Decodes as a byte-level tokenizer does: a character split across tokens 0 and 1 is
    "\ufffd" until both are there."""

    def decode(self, tokens: list[int]) -> str:
        pieces = {0: "\ufffd", 1: "Đà", 2: " Nẵng", 3: "."}
        text = "".join(pieces[t] for t in tokens)
        return text.replace("\ufffdĐà", "Đà")


def streamed(tokenizer: Any, writes: list[int | list[int]]) -> list[str]:
    """The pieces handed on for these ``write`` calls, then ``end``."""
    module = types.SimpleNamespace(StreamerBase=StreamerBase, StreamingStatus=StreamingStatus)
    handed: list[str] = []

    def on_piece(text: str) -> StreamingStatus:
        handed.append(text)
        return StreamingStatus.RUNNING

    streamer = piece_streamer(module, tokenizer, on_piece)
    for token in writes:
        assert streamer.write(token) == StreamingStatus.RUNNING
    streamer.end()
    return [p for p in handed if p]


def test_each_token_is_handed_on_as_soon_as_it_is_decoded() -> None:
    # Not three tokens late, as the library's own text streamer hands them on.
    assert streamed(Tokenizer(), [0]) == REPLY[:1]
    assert streamed(Tokenizer(), [0, 1, 2]) == REPLY[:3]


def test_a_chunk_of_tokens_is_one_piece() -> None:
    # Prompt lookup accepts several drafted tokens in one step.
    assert streamed(Tokenizer(), [0, [1, 2, 3], 4]) == [REPLY[0], "".join(REPLY[1:4]), REPLY[4]]


def test_a_character_split_across_tokens_waits_until_it_is_whole() -> None:
    assert streamed(SplitTokenizer(), [0, 1, 2, 3]) == ["Đà", " Nẵng", "."]


def test_the_stop_is_asked_for_at_every_token_also_when_nothing_is_shown() -> None:
    module = types.SimpleNamespace(StreamerBase=StreamerBase, StreamingStatus=StreamingStatus)
    streamer = piece_streamer(module, SplitTokenizer(), lambda text: StreamingStatus.STOP)
    assert streamer.write(0) == StreamingStatus.STOP  # "\ufffd": nothing to show, yet it stops
