"""Prompt-lookup decoding writes the same greedy text as one token per step, on real prompts."""

from __future__ import annotations

import pytest

from rag.answer.context import select_context
from rag.answer.prompting import build_messages
from rag.assistant import Assistant
from rag.generation.factory import make_generator
from rag.generation.transformers_generator import TransformersGenerator
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


@pytest.fixture(scope="module")
def transformers_generator(real_assistant: Assistant) -> TransformersGenerator:
    generator = real_assistant.generator
    if not isinstance(generator, TransformersGenerator):  # RAG_GENERATOR_BACKEND chose another
        settings = real_assistant.settings.model_copy(update={"generator_backend": "transformers"})
        generator = make_generator(settings)
    assert isinstance(generator, TransformersGenerator)
    return generator


@pytest.mark.parametrize("question", QUESTIONS)
def test_prompt_lookup_gives_the_same_greedy_text(
    real_assistant: Assistant, transformers_generator: TransformersGenerator, question: str
) -> None:
    settings = real_assistant.settings
    pool = real_assistant.retriever.retrieve(question, settings.candidate_pool)
    context = select_context(pool, real_assistant.index, settings)
    messages = build_messages(question, context, guess_language(question))
    plain = transformers_generator.with_options(prompt_lookup_tokens=0)
    fast = transformers_generator.with_options(prompt_lookup_tokens=10)
    expected = "".join(plain.stream(messages, settings.max_new_tokens))
    assert expected.strip()
    assert "".join(fast.stream(messages, settings.max_new_tokens)) == expected
