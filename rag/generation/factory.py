"""From the settings (model: catalogue name, local path or hub id; backend) to a ``Generator``."""

from __future__ import annotations

from pathlib import Path

from embeddings.catalogue import CATALOGUE
from embeddings.provisioning import has_source, require_provisioned, source_file
from rag.errors import ConfigError, ModelError
from rag.generation.base import Generator
from rag.generation.conversion import CONVERTED
from rag.generation.fake import FakeGenerator
from rag.settings import Settings


def make_generator(settings: Settings) -> Generator:
    """The generator the settings name; ``fake`` gives the deterministic extractive one.

    ``generator_backend`` picks what runs a real model: transformers (the default), llama.cpp or
    openvino.
    """
    name = settings.generator
    if name == "fake":
        return FakeGenerator()
    if settings.generator_backend == "llama.cpp":
        return _llamacpp(name, settings)
    if settings.generator_backend == "openvino":
        from rag.generation.openvino_factory import make_openvino_generator

        return make_openvino_generator(name, settings)
    from rag.generation.transformers_generator import TransformersGenerator

    lookup = settings.prompt_lookup_tokens
    spec = CATALOGUE.get(name)
    if spec is not None:
        folder = require_provisioned(spec, settings.resolved_models_dir)
        return TransformersGenerator(
            str(folder / CONVERTED), model_id=name, prompt_lookup_tokens=lookup
        )
    path = Path(name).expanduser()
    if path.exists():
        return TransformersGenerator(str(path.resolve()), prompt_lookup_tokens=lookup)
    return TransformersGenerator(name, prompt_lookup_tokens=lookup)


def _llamacpp(name: str, settings: Settings) -> Generator:
    from rag.generation.llamacpp_generator import LlamaCppGenerator

    spec = CATALOGUE.get(name)
    if spec is not None:
        require_provisioned(spec, settings.resolved_models_dir)
        gguf = source_file(spec, settings.resolved_models_dir)
        if gguf is None:
            raise ConfigError(f"generator {name!r} has no GGUF file for the llama.cpp backend")
        if not has_source(spec, settings.resolved_models_dir):
            raise ModelError(
                f"{name}: {gguf} is missing (fetched by an earlier version, which kept only the "
                f"converted copy); the llama.cpp backend needs it. "
                f"Run `rag models fetch {name}` to fetch it again."
            )
        return LlamaCppGenerator(str(gguf), model_id=name)
    path = Path(name).expanduser()
    if path.is_dir():
        found = sorted(path.glob("*.gguf"))
        if len(found) != 1:
            raise ConfigError(
                f"generator folder {str(path)!r} holds {len(found)} .gguf files; "
                "the llama.cpp backend needs exactly one (or name the file)"
            )
        path = found[0]
    if path.is_file():
        return LlamaCppGenerator(str(path.resolve()))
    raise ConfigError(
        f"generator {name!r} is neither a catalogue model (`rag models list`) nor a local .gguf "
        "file or folder; the llama.cpp backend reads GGUF files only"
    )
