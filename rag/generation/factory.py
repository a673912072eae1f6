"""From the settings (model: catalogue name, local path or hub id; backend; precision) to a
``Generator``, with the backend and precision measured fastest on this machine where the
settings leave them to ``auto``."""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

from embeddings.catalogue import CATALOGUE
from embeddings.provisioning import has_source, require_provisioned, source_file
from rag.errors import ConfigError, ModelError
from rag.generation.base import Generator
from rag.generation.conversion import CONVERTED
from rag.generation.fake import FakeGenerator
from rag.machine import Engine, MachineProfile, load_profile
from rag.settings import Settings

log = logging.getLogger(__name__)
# Each backend's precision when neither the settings nor a calibration name one: f32 for
# openvino (its int8 copy decoded 2x faster with the f32 hint than with its bf16 default on
# Intel AMX, and CPUs without bf16 units emulate it), bf16 for transformers (the reference).
DEFAULT_PRECISION = {"openvino": "f32", "transformers": "bf16", "llama.cpp": "q4"}


def safe_default() -> Engine:
    """The engine used before this machine is calibrated: openvino where it is installed."""
    if importlib.util.find_spec("openvino_genai") is not None:
        return Engine("openvino", DEFAULT_PRECISION["openvino"])
    return Engine("transformers", DEFAULT_PRECISION["transformers"])


def engine_for(settings: Settings, profile: MachineProfile | None) -> tuple[Engine, str]:
    """The engine the settings ask for, filled in from this machine's profile; and whence."""
    backend, precision = settings.generator_backend, settings.generator_precision
    measured = (
        profile.engine if profile is not None and profile.generator == settings.generator else None
    )
    if backend == "auto":
        engine = measured or safe_default()
        whence = "calibrated on this machine" if measured else "safe default: not calibrated"
        if precision != "auto":
            engine = Engine(engine.backend, precision, engine.prompt_lookup)
        return _with_lookup(engine, settings), whence
    chosen: str = precision
    if precision == "auto":
        same_backend = measured is not None and measured.backend == backend
        chosen = measured.precision if measured and same_backend else DEFAULT_PRECISION[backend]
    return _with_lookup(Engine(backend, chosen), settings), "set by RAG_GENERATOR_BACKEND"


def _with_lookup(engine: Engine, settings: Settings) -> Engine:
    lookup = engine.prompt_lookup and settings.prompt_lookup_tokens > 0
    return Engine(engine.backend, engine.precision, lookup)


def make_generator(settings: Settings, engine: Engine | None = None) -> Generator:
    """The generator the settings name, run by ``engine`` (default: ``engine_for`` the settings
    and this machine's profile); ``fake`` gives the deterministic extractive one."""
    name = settings.generator
    if name == "fake":
        return FakeGenerator()
    if engine is None:
        profile, why = load_profile(settings.resolved_models_dir)
        engine, whence = engine_for(settings, profile)
        log.info("generator: %s (%s; %s)", engine.label, whence, why)
    if engine.backend == "llama.cpp":
        return _llamacpp(name, settings)
    if engine.backend == "openvino":
        from rag.generation.openvino_factory import make_openvino_generator

        return make_openvino_generator(name, settings, engine.precision)
    return _transformers(name, settings, engine)


def _transformers(name: str, settings: Settings, engine: Engine) -> Generator:
    from rag.generation.transformers_generator import TransformersGenerator

    if engine.precision not in ("bf16", "f32"):
        raise ConfigError(f"the transformers backend runs in bf16 or f32, not {engine.precision!r}")
    dtype = "bfloat16" if engine.precision == "bf16" else "float32"
    lookup = settings.prompt_lookup_tokens if engine.prompt_lookup else 0
    spec = CATALOGUE.get(name)
    if spec is not None:
        folder = require_provisioned(spec, settings.resolved_models_dir)
        return TransformersGenerator(
            str(folder / CONVERTED), model_id=name, dtype=dtype, prompt_lookup_tokens=lookup
        )
    path = Path(name).expanduser()
    model = str(path.resolve()) if path.exists() else name
    return TransformersGenerator(model, dtype=dtype, prompt_lookup_tokens=lookup)


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
