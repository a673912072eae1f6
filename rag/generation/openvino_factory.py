"""From the settings to an ``OpenVINOGenerator``, and the conversion step of `rag models fetch`."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

from embeddings.catalogue import CATALOGUE, ModelSpec
from embeddings.provisioning import check_complete, model_dir
from rag.errors import ConfigError, ModelError
from rag.generation.openvino_conversion import (
    check_converted,
    convert_to_openvino,
    is_converted,
    openvino_dir,
)
from rag.generation.openvino_generator import REQUIRED_FILES, OpenVINOGenerator
from rag.settings import Settings


def make_openvino_generator(
    name: str, settings: Settings, precision: str = "f32"
) -> OpenVINOGenerator:
    """A catalogue generator's converted copy, or a local OpenVINO model folder, run with the
    CPU plugin's inference ``precision`` hint (f32 or bf16)."""
    spec = CATALOGUE.get(name)
    if spec is not None:
        folder = model_dir(spec, settings.resolved_models_dir)
        converted = openvino_dir(folder)
        try:
            check_complete(folder)
            check_converted(converted)
        except ModelError as error:
            raise ModelError(
                f"{error}. Run `rag models fetch {spec.name}` with the openvino extra installed "
                f"(`make setup` does both) first."
            ) from error
        return OpenVINOGenerator(
            str(converted), model_id=name, precision=precision,
            quantization_group=settings.openvino_quantization_group,
        )  # fmt: skip
    path = Path(name).expanduser()
    if path.is_dir() and (path / REQUIRED_FILES[0]).is_file():
        return OpenVINOGenerator(
            str(path.resolve()), precision=precision,
            quantization_group=settings.openvino_quantization_group,
        )  # fmt: skip
    raise ConfigError(
        f"generator {name!r} is neither a catalogue model (`rag models list`) nor a local "
        f"OpenVINO model folder (one with {REQUIRED_FILES[0]}); the openvino backend needs one"
    )


def wants_openvino(settings: Settings) -> bool:
    """Whether `rag models fetch` converts the generator: the backend is installed or chosen."""
    return (
        settings.generator_backend == "openvino"
        or importlib.util.find_spec("openvino_genai") is not None
    )


def exporter_dir(settings: Settings) -> Path:
    return settings.cache_dir / "tools" / "openvino-exporter"


def provision_openvino(
    spec: ModelSpec, folder: Path, settings: Settings, notify: Callable[[str], None] | None = None
) -> Path | None:
    """Convert a provisioned generator for the openvino backend when it is wanted; its folder."""
    if spec.kind != "generator" or not wants_openvino(settings):
        return None
    if notify is not None and not is_converted(openvino_dir(folder)):
        notify(f"{spec.name}: converting to OpenVINO int8 for the openvino backend (once, ~5 min)")
    return convert_to_openvino(folder, exporter_dir(settings))
