"""From a setting (catalogue name, local folder, or hub id) to a ready ``Generator``."""

from __future__ import annotations

from pathlib import Path

from embeddings.catalogue import CATALOGUE
from embeddings.provisioning import check_complete, model_dir

from ..errors import ModelError
from ..settings import Settings
from .base import Generator
from .conversion import CONVERTED
from .fake import FakeGenerator


def make_generator(settings: Settings) -> Generator:
    """The generator the settings name; ``fake`` gives the deterministic extractive one."""
    name = settings.generator
    if name == "fake":
        return FakeGenerator()
    from .transformers_generator import TransformersGenerator

    spec = CATALOGUE.get(name)
    if spec is not None:
        folder = model_dir(spec, settings.resolved_models_dir)
        try:
            check_complete(folder)
        except ModelError as error:
            raise ModelError(f"{error}. Run `rag models fetch {name}` first.") from error
        return TransformersGenerator(str(folder / CONVERTED), model_id=name)
    path = Path(name).expanduser()
    if path.exists():
        return TransformersGenerator(str(path.resolve()))
    return TransformersGenerator(name)
