"""An OpenVINO GenAI chat model as a ``Generator``: the int8 copy of the generator, on the CPU.

The model is the one `rag models fetch` converts from the bf16 folder (see
``openvino_conversion``). Two OpenVINO GenAI features make it fast on a small CPU: prompt-lookup
decoding (candidate tokens are copied from the prompt, where a grounded answer finds most of its
words, and checked in one pass; greedy, so the text is unchanged) and prefix caching (the KV cache
of a prompt's beginning, the system prompt, is kept and reused by the next question). A third
setting, ``precision``, is the arithmetic the int8 weights are multiplied in (f32 or bf16; which
is faster depends on the CPU, so `rag models calibrate` measures it). A fourth,
``quantization_group``, trades a little rounding for speed in reading the prompt: the
int8 weight products quantize their inputs on the fly in groups of that many values.
Optional: ``pip install 'newsrag[openvino]'`` (``make setup`` installs it).
"""

from __future__ import annotations

import math
import queue
import threading
import time
from collections.abc import Callable
from collections.abc import Generator as Stream
from pathlib import Path
from typing import Any

from rag.errors import GenerationError, ModelError
from rag.generation.base import ChatMessage, FirstToken, ReplyScore

INSTALL_HINT = "pip install 'newsrag[openvino]' (`make setup` installs it)"
# The files an OpenVINO GenAI model folder cannot do without.
REQUIRED_FILES = (
    "openvino_model.xml",
    "openvino_model.bin",
    "openvino_tokenizer.xml",
    "openvino_detokenizer.xml",
)
PRECISIONS = ("f32", "bf16")
WARM_UP: list[ChatMessage] = [{"role": "user", "content": "Xin chào"}]
_END = object()  # put on the piece queue when generation is over


class OpenVINOGenerator:
    """Greedy decoding with prompt lookup and prefix caching, streamed piece by piece.

    ``generate`` blocks, so it runs in a worker thread that feeds a queue; its streamer
    (``piece_streamer``: each piece as soon as its characters are whole) tells it to stop when
    the caller has stopped reading or the deadline has passed.
    """

    def __init__(
        self,
        model_dir: str,
        model_id: str | None = None,
        device: str = "CPU",
        prompt_lookup: bool = True,
        num_assistant_tokens: int = 5,
        max_ngram_size: int = 3,
        prefix_caching: bool = True,
        cache_size_gb: int = 1,
        quantization_group: int = 0,
        precision: str = "f32",
    ) -> None:
        if precision not in PRECISIONS:
            raise ModelError(
                f"the openvino backend runs in {' or '.join(PRECISIONS)}, not {precision!r}"
            )
        self._path = model_dir
        self._model_id = model_id or model_dir
        self._device = device
        self._prompt_lookup = prompt_lookup
        self._num_assistant_tokens = num_assistant_tokens
        self._max_ngram_size = max_ngram_size
        self._prefix_caching = prefix_caching
        self._cache_size_gb = cache_size_gb
        self._quantization_group = quantization_group  # 0: the CPU plugin's own default
        self._precision = precision
        self._pipeline: Any = None
        self._genai: Any = None
        self._load_lock = threading.Lock()
        self._run_lock = threading.Lock()  # one generation at a time: the CPU has no room for two

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def quantization_group(self) -> int:
        """The CPU plugin's dynamic quantization group size asked for (0: its default)."""
        return self._quantization_group

    @property
    def precision(self) -> str:
        """The CPU plugin's inference precision hint: f32 or bf16 (the int8 weights are kept)."""
        return self._precision

    def warm_up(self) -> None:
        self._loaded()

    def prompt(self, messages: list[ChatMessage]) -> str:
        """The text the model reads: the messages in the model's own chat template."""
        return self._format(self._loaded(), messages)

    def _format(self, pipeline: Any, messages: list[ChatMessage]) -> str:
        try:
            return str(
                pipeline.get_tokenizer().apply_chat_template(
                    [dict(m) for m in messages], add_generation_prompt=True
                )
            )
        except Exception as error:  # e.g. a role the template refuses
            raise GenerationError(
                f"{self._model_id}: cannot format the messages: {error}"
            ) from error

    def stream(
        self, messages: list[ChatMessage], max_new_tokens: int, timeout_s: float | None = None
    ) -> Stream[str, None, ReplyScore | None]:
        if max_new_tokens < 1:
            raise GenerationError(f"max_new_tokens must be at least 1, not {max_new_tokens}")
        pipeline = self._loaded()
        status = self._genai.StreamingStatus
        prompt = self.prompt(messages)
        config = self._config(pipeline, max_new_tokens)
        config.logprobs = 1  # the chosen tokens' log-probabilities, summed into `scores`
        deadline = time.monotonic() + timeout_s if timeout_s else None
        stop = threading.Event()  # set when the caller stops reading
        late = threading.Event()
        pieces: queue.SimpleQueue[object] = queue.SimpleQueue()
        failure: list[BaseException] = []
        results: list[Any] = []

        def on_piece(text: str) -> Any:
            if text:
                pieces.put(text)
            if deadline is not None and time.monotonic() > deadline:
                late.set()
            return status.STOP if stop.is_set() or late.is_set() else status.RUNNING

        def run() -> None:
            try:
                # A batch of one, so that the result is DecodedResults with its scores.
                streamer = piece_streamer(self._genai, pipeline.get_tokenizer(), on_piece)
                results.append(pipeline.generate([prompt], config, streamer))
            except BaseException as error:  # reported to the caller below
                failure.append(error)
            finally:
                pieces.put(_END)

        with self._run_lock:
            worker = threading.Thread(target=run, name="openvino-generator", daemon=True)
            worker.start()
            try:
                while (piece := pieces.get()) is not _END:
                    yield str(piece)
                    if late.is_set():
                        break
            finally:  # also when the caller abandons the stream: the callback stops decoding
                stop.set()
                worker.join()
        if failure:
            raise GenerationError(
                f"{self._model_id}: generation failed: {failure[0]}"
            ) from failure[0]
        if late.is_set():
            raise GenerationError(f"{self._model_id}: no answer within {timeout_s:g} s")
        return _score(results[0]) if results else None

    def first_token(self, messages: list[ChatMessage]) -> FirstToken:
        pipeline = self._loaded()
        config = self._config(pipeline, 1)
        config.logprobs = 1  # the chosen token's log-probability, summed into `scores`
        try:
            with self._run_lock:
                result = pipeline.generate([self.prompt(messages)], config)
            text, logprob = str(result.texts[0]), float(result.scores[0])
        except Exception as error:  # reported as any generation failure is
            raise GenerationError(f"{self._model_id}: scoring failed: {error}") from error
        return FirstToken(text, math.exp(logprob))

    def _config(self, pipeline: Any, max_new_tokens: int) -> Any:
        # The model's own config carries its end-of-turn token; the rest is set here.
        config = pipeline.get_generation_config()
        config.max_new_tokens = max_new_tokens
        config.do_sample = False
        config.apply_chat_template = False  # the prompt is already formatted (see `prompt`)
        if self._prompt_lookup:
            config.num_assistant_tokens = self._num_assistant_tokens
            config.max_ngram_size = self._max_ngram_size
        return config

    def _loaded(self) -> Any:
        if self._pipeline is None:
            with self._load_lock:
                if self._pipeline is None:
                    self._genai = _import_genai()
                    self._pipeline = self._load()
        return self._pipeline

    def _load(self) -> Any:
        folder = Path(self._path)
        missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
        if missing:
            raise ModelError(
                f"cannot load generator {self._path!r}: not an OpenVINO model folder "
                f"(missing {', '.join(missing)})"
            )
        genai = self._genai
        options: dict[str, Any] = {}
        if self._prefix_caching:
            scheduler = genai.SchedulerConfig()
            scheduler.enable_prefix_caching = True
            scheduler.cache_size = self._cache_size_gb
            options["scheduler_config"] = scheduler
        if self._prompt_lookup:
            options["prompt_lookup"] = True
        if self._quantization_group:
            options["DYNAMIC_QUANTIZATION_GROUP_SIZE"] = self._quantization_group
        # Asked for explicitly: the plugin's own default is bf16 wherever the CPU has bf16 units,
        # which decoded the int8 model 2x slower than f32 on Intel AMX.
        options["INFERENCE_PRECISION_HINT"] = self._precision
        try:
            pipeline = genai.LLMPipeline(str(folder), self._device, **options)
            # The first run costs seconds more than the next ones (measured 6-7 s against 1.2 s
            # for the same short prompt): paid here, at load time, rather than by a question.
            pipeline.generate(self._format(pipeline, WARM_UP), self._config(pipeline, 1))
        except Exception as error:  # bad files, unknown device, out of memory: cannot load
            raise ModelError(f"cannot load generator {self._path!r}: {error}") from error
        return pipeline


def piece_streamer(genai: Any, tokenizer: Any, on_piece: Callable[[str], Any]) -> Any:
    """A streamer that hands each piece of text on as soon as its characters are whole.

    OpenVINO GenAI's own text streamer holds the last three tokens back, for tokenizers whose
    text can shrink as tokens are added, so the first piece waited for a decoding step after
    the first token (about 0.1 s: ``benchmarks/bench_first_piece.py``). Here a piece is held
    only while the text ends in a character split across tokens, or is not an extension of
    what was handed on (never, with the byte-level tokens of the models used here); what is
    left is handed on at the end. Compromise: the whole reply is decoded again at each step,
    which for the few hundred tokens of an answer costs far less than a step.
    """

    class PieceStreamer(genai.StreamerBase):
        def __init__(self) -> None:
            super().__init__()
            self.tokens: list[int] = []
            self.shown = ""

        def write(self, token: int | list[int]) -> Any:
            self.tokens.extend([token] if isinstance(token, int) else token)
            return self.hand_on(final=False)

        def end(self) -> None:
            self.hand_on(final=True)

        def hand_on(self, final: bool) -> Any:
            text, piece = str(tokenizer.decode(self.tokens)), ""
            whole = final or not text.endswith("\ufffd")
            if whole and len(text) > len(self.shown) and text.startswith(self.shown):
                piece, self.shown = text[len(self.shown) :], text
            return on_piece(piece)  # also when nothing is new: it says whether to go on

    return PieceStreamer()


def _score(result: Any) -> ReplyScore | None:
    """The reply's summed log-probability and token count, from a batch's DecodedResults."""
    try:
        tokens = int(result.perf_metrics.get_num_generated_tokens())
        return ReplyScore(tokens, float(result.scores[0]))
    except (AttributeError, IndexError, TypeError, ValueError):  # a build that reports neither
        return None


def _import_genai() -> Any:
    try:
        import openvino_genai
    except ImportError as error:
        raise ModelError(
            f"the openvino backend needs openvino-genai, which is not installed: {INSTALL_HINT}"
        ) from error
    except Exception as error:  # installed but its native libraries do not load
        raise ModelError(
            f"openvino-genai is installed but cannot be loaded ({error}); reinstall it: "
            f"{INSTALL_HINT}"
        ) from error
    return openvino_genai
