"""The openvino backend on the real converted model (int8) writes what transformers bf16 writes,
from the same prompt, and streams it (skipped without openvino-genai: `make setup` installs it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest

from embeddings.catalogue import CATALOGUE
from embeddings.provisioning import model_dir
from rag.answer.prompting import build_messages
from rag.assistant import Assistant
from rag.generation.conversion import CONVERTED
from rag.generation.openvino_conversion import is_converted, openvino_dir
from rag.generation.openvino_generator import OpenVINOGenerator
from rag.settings import Settings
from rag.text import normalize

pytestmark = pytest.mark.slow

QUESTIONS = [
    ("What was the 2020 motto of the Ministry of Home Affairs?", "en"),
    ("Biên chế công chức năm 2021 là bao nhiêu?", "vi"),
]
MOTTO_2020 = (
    "Hoàn thiện thể chế, tinh gọn bộ máy, siết chặt kỷ cương, "
    "tăng cường ứng dụng công nghệ thông tin"
)


@pytest.fixture(scope="module")
def generator_folder(real_settings: Settings) -> Path:
    pytest.importorskip("openvino_genai", reason="openvino-genai is not installed (`make setup`)")
    folder = model_dir(CATALOGUE[real_settings.generator], real_settings.resolved_models_dir)
    if not is_converted(openvino_dir(folder)):
        pytest.fail(f"{openvino_dir(folder)} is not converted: run `rag models fetch` first")
    return folder


@pytest.fixture(scope="module")
def openvino_assistant(real_settings: Settings, generator_folder: Path) -> Assistant:
    settings = real_settings.model_copy(update={"generator_backend": "openvino"})
    return Assistant.load(settings=settings)


def test_same_prompt_and_same_text_as_transformers(
    real_assistant: Assistant, openvino_assistant: Assistant, generator_folder: Path
) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(generator_folder / CONVERTED))
    openvino = openvino_assistant.generator
    assert isinstance(openvino, OpenVINOGenerator)
    for question, language in QUESTIONS:
        messages = build_messages(question, real_assistant.search(question, k=3), language)
        expected = tokenizer.apply_chat_template(
            cast(Any, messages), add_generation_prompt=True, tokenize=False
        )
        assert openvino.prompt(messages) == expected  # byte-identical, so the prefix is reused
        reference = "".join(real_assistant.generator.stream(messages, max_new_tokens=80))
        pieces = list(openvino.stream(messages, max_new_tokens=80))
        assert len(pieces) > 3  # streamed, not returned whole
        assert "".join(pieces) == reference


def test_openvino_quotes_the_2020_motto(openvino_assistant: Assistant) -> None:
    answer = openvino_assistant.ask("What was the 2020 motto of the Ministry of Home Affairs?")
    assert not answer.abstained, answer.text
    assert normalize(MOTTO_2020).lower() in normalize(answer.text).lower(), answer.text
    assert answer.citations and answer.citations[0].doc_id == "001_eb33f2e5ca9e7309.txt"
