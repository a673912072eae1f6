"""A transformers chat model as a ``Generator`` (Qwen2.5-Coder-1.5B-Instruct by default)."""

from __future__ import annotations

import threading
import time
from collections.abc import Generator as Stream
from typing import Any

from rag.errors import GenerationError, ModelError
from rag.generation.base import ChatMessage, FirstToken, ReplyScore


class TransformersGenerator:
    """Greedy decoding on the CPU, streamed token by token from a worker thread.

    With ``prompt_lookup_tokens`` > 0, decoding drafts up to that many tokens by copying what
    followed the last words in the prompt (prompt-lookup decoding) and checks the whole draft in
    one forward pass. Grounded answers quote their passages, so drafts are often accepted: several
    tokens per pass instead of one, for the same greedy text. 0 decodes one token per pass.
    """

    def __init__(
        self,
        model: str,
        model_id: str | None = None,
        dtype: str = "bfloat16",
        prompt_lookup_tokens: int = 0,
    ) -> None:
        self._model_path = model
        self._model_id = model_id or model
        self._dtype = dtype
        self._prompt_lookup_tokens = prompt_lookup_tokens
        self._model: Any = None
        self._tokenizer: Any = None
        self._load_lock = threading.Lock()
        self._run_lock = threading.Lock()  # one generation at a time: the CPU has no room for two

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dtype(self) -> str:
        return self._dtype

    @property
    def prompt_lookup_tokens(self) -> int:
        return self._prompt_lookup_tokens

    def warm_up(self) -> None:
        self._loaded()

    def with_options(self, prompt_lookup_tokens: int) -> TransformersGenerator:
        """The same loaded model with other decoding options, to compare them side by side."""
        other = TransformersGenerator(
            self._model_path, self._model_id, self._dtype, prompt_lookup_tokens
        )
        other._model, other._tokenizer = self._loaded()
        other._run_lock = self._run_lock  # still one generation at a time on this model
        return other

    def stream(
        self, messages: list[ChatMessage], max_new_tokens: int, timeout_s: float | None = None
    ) -> Stream[str, None, ReplyScore | None]:
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        model, tokenizer = self._loaded()
        inputs = tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        deadline = time.monotonic() + timeout_s if timeout_s else None
        cancelled = threading.Event()  # set when the caller stops reading

        class StopWhenDue(StoppingCriteria):
            def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> bool:
                late = deadline is not None and time.monotonic() > deadline
                return late or cancelled.is_set()

        streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
        failure: list[BaseException] = []
        outputs: list[Any] = []

        def run() -> None:
            try:
                outputs.append(model.generate(
                    **inputs, streamer=streamer, max_new_tokens=max_new_tokens, do_sample=False,
                    temperature=None, top_p=None, top_k=None,
                    stopping_criteria=StoppingCriteriaList([StopWhenDue()]),
                    pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id,
                    return_dict_in_generate=True, output_logits=True,
                    **self._decoding_options(),
                ))  # fmt: skip
            except BaseException as error:  # reported to the caller below
                failure.append(error)
                streamer.end()

        with self._run_lock:
            worker = threading.Thread(target=run, name="generator", daemon=True)
            worker.start()
            try:
                yield from streamer
            finally:  # also when the caller abandons the stream: free the CPU at once
                cancelled.set()
                worker.join()
        if failure:
            raise GenerationError(
                f"{self._model_id}: generation failed: {failure[0]}"
            ) from failure[0]
        if deadline is not None and time.monotonic() > deadline:
            raise GenerationError(f"{self._model_id}: no answer within {timeout_s:.0f} s")
        return _score(outputs[0], inputs["input_ids"].shape[-1]) if outputs else None

    def first_token(self, messages: list[ChatMessage]) -> FirstToken:
        import torch

        model, tokenizer = self._loaded()
        inputs = tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        try:
            with self._run_lock, torch.inference_mode():
                logits = model(**inputs).logits[0, -1].float()
        except Exception as error:  # out of memory, a broken model: reported as generation
            raise GenerationError(f"{self._model_id}: scoring failed: {error}") from error
        probabilities = torch.softmax(logits, dim=-1)
        top = int(torch.argmax(probabilities))
        return FirstToken(tokenizer.decode([top]), float(probabilities[top]))

    def _decoding_options(self) -> dict[str, Any]:
        if self._prompt_lookup_tokens <= 0:
            return {}
        return {"prompt_lookup_num_tokens": self._prompt_lookup_tokens}

    def _loaded(self) -> tuple[Any, Any]:
        if self._model is None:
            with self._load_lock:
                if self._model is None:
                    self._model, self._tokenizer = self._load()
        return self._model, self._tokenizer

    def _load(self) -> tuple[Any, Any]:
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as error:
            raise ModelError("transformers is not installed; install the 'models' extra") from error
        dtype = torch.bfloat16 if self._dtype == "bfloat16" else torch.float32
        try:
            tokenizer = AutoTokenizer.from_pretrained(self._model_path, local_files_only=True)
            model = AutoModelForCausalLM.from_pretrained(
                self._model_path, dtype=dtype, local_files_only=True
            )
        except Exception as error:  # many kinds of failure, all meaning "cannot load"
            raise ModelError(f"cannot load generator {self._model_path!r}: {error}") from error
        model.eval()
        return model, tokenizer


def _score(output: Any, prompt_tokens: int) -> ReplyScore | None:
    """The reply's summed log-probability: each chosen token's under the raw logits (before
    any repetition penalty, as OpenVINO GenAI reports it)."""
    import torch

    logits = getattr(output, "logits", None)
    sequences = getattr(output, "sequences", None)
    if not logits or sequences is None:
        return None
    chosen = sequences[0, prompt_tokens : prompt_tokens + len(logits)]
    total = sum(
        float(torch.log_softmax(step[0].float(), dim=-1)[int(token)])
        for step, token in zip(logits, chosen, strict=False)
    )
    return ReplyScore(len(chosen), total)
