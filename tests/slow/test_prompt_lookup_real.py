"""Prompt-lookup decoding on real prompts: the same greedy text as one token per step where the
arithmetic promises it (f32), and a grounded reply where it does not (bf16).

Greedy bf16 is not bit-stable across kernel shapes on every CPU: on an Intel Xeon with AMX a
draft of ten tokens runs other kernels than one token, and the Lạng Sơn reply below ended
"…là 198. [1]" with prompt lookup and "…198.000 người. [1]" without. So equality is asserted in
f32 only; which configurations write the reference text on a machine is measured by
`rag models calibrate` and shown by `rag models profile`, not asserted.
"""

from __future__ import annotations

import re

import pytest

from rag.answer.context import select_context
from rag.answer.prompting import NOT_FOUND, build_messages
from rag.assistant import Assistant
from rag.generation.base import ChatMessage
from rag.generation.factory import make_generator
from rag.generation.transformers_generator import TransformersGenerator
from rag.machine import Engine, this_machine
from rag.text import guess_language

pytestmark = pytest.mark.slow

# Not from eval/devset.jsonl: answers that quote passages (numbers, names, a motto), an English
# one that translates, and one that the passages do not hold.
QUESTIONS = [
    "Biên chế sự nghiệp năm 2021 giảm bao nhiêu người so với năm 2015?",
    "Phương châm hành động năm 2021 của Bộ Nội vụ được xác định là gì?",
    "Which Deputy Prime Minister chaired the 2023 review conference of the home affairs sector?",
    "What did the Prime Minister ask the home affairs sector to do about cadres in January 2022?",
    "Dân số tỉnh Lạng Sơn năm 2020 là bao nhiêu người?",
]
EXACT_QUESTION = QUESTIONS[4]  # the one whose bf16 text changed with prompt lookup on AMX
NATIVE_BF16 = {"avx512_bf16", "amx_bf16"}
EXACT_TOKENS = 48  # f32 on 2 cores: enough for the figure and its citation


def messages_for(assistant: Assistant, question: str) -> tuple[list[ChatMessage], int]:
    settings = assistant.settings
    pool = assistant.retriever.retrieve(question, settings.candidate_pool)
    context = select_context(
        pool, assistant.index, settings.context_passages, settings.context_chars
    )
    return build_messages(question, context, guess_language(question)), len(context)


def transformers(assistant: Assistant, precision: str) -> TransformersGenerator:
    generator = make_generator(assistant.settings, Engine("transformers", precision, False))
    assert isinstance(generator, TransformersGenerator)
    return generator


@pytest.fixture(scope="module")
def bf16(real_assistant: Assistant) -> TransformersGenerator:
    if not NATIVE_BF16 & set(this_machine().flags):
        # Emulated, bf16 reads a prompt in 84 s against f32's 15 s (AVX2-only AMD EPYC): the
        # calibration never picks it on such a CPU, so its replies are not what users get.
        pytest.skip("this CPU has no bf16 units (avx512_bf16, amx_bf16): bf16 is not used here")
    return transformers(real_assistant, "bf16")


def test_prompt_lookup_gives_the_same_greedy_text_in_f32(real_assistant: Assistant) -> None:
    messages, _ = messages_for(real_assistant, EXACT_QUESTION)
    plain = transformers(real_assistant, "f32")
    fast = plain.with_options(prompt_lookup_tokens=10)
    expected = "".join(plain.stream(messages, EXACT_TOKENS))
    assert expected.strip()
    assert "".join(fast.stream(messages, EXACT_TOKENS)) == expected


@pytest.mark.parametrize("question", QUESTIONS)
def test_prompt_lookup_in_bf16_writes_a_grounded_reply(
    real_assistant: Assistant, bf16: TransformersGenerator, question: str
) -> None:
    messages, passages = messages_for(real_assistant, question)
    max_tokens = real_assistant.settings.max_new_tokens
    for lookup in (0, 10):
        text = "".join(bf16.with_options(prompt_lookup_tokens=lookup).stream(messages, max_tokens))
        cited = {int(n) for n in re.findall(r"\[(\d+)\]", text)}
        assert text.strip(), f"lookup {lookup}: empty reply"
        if NOT_FOUND in text:
            continue
        assert cited and cited <= set(range(1, passages + 1)), f"lookup {lookup}: {text!r}"
