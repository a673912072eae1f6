"""The llama.cpp backend on the real GGUF answers a seed question (skipped without llama-cpp-python:
`make llamacpp` installs it)."""

from __future__ import annotations

import pytest

from embeddings.catalogue import CATALOGUE
from embeddings.provisioning import has_source
from rag.assistant import Assistant
from rag.generation.llamacpp_generator import LlamaCppGenerator
from rag.settings import Settings
from rag.text import normalize

pytestmark = pytest.mark.slow

MOTTO_2020 = (
    "Hoàn thiện thể chế, tinh gọn bộ máy, siết chặt kỷ cương, "
    "tăng cường ứng dụng công nghệ thông tin"
)


@pytest.fixture(scope="module")
def llamacpp_assistant(real_settings: Settings) -> Assistant:
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (`make llamacpp`)")
    settings = real_settings.model_copy(update={"generator_backend": "llama.cpp"})
    spec = CATALOGUE[settings.generator]
    if not has_source(spec, settings.resolved_models_dir):
        pytest.fail(f"{spec.name} has no GGUF: run `rag models fetch {spec.name}` first")
    return Assistant.load(settings=settings)


def test_llamacpp_quotes_the_2020_motto(llamacpp_assistant: Assistant) -> None:
    assert isinstance(llamacpp_assistant.generator, LlamaCppGenerator)
    answer = llamacpp_assistant.ask("What was the 2020 motto of the Ministry of Home Affairs?")
    assert not answer.abstained, answer.text
    assert answer.language == "en"
    assert normalize(MOTTO_2020).lower() in normalize(answer.text).lower(), answer.text
    assert answer.citations and answer.citations[0].doc_id == "001_eb33f2e5ca9e7309.txt"
