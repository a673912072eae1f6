"""From a setting (catalogue name, local folder, or hub id) to a ready ``Embedder``."""

from __future__ import annotations

from pathlib import Path

from .base import Embedder
from .catalogue import CATALOGUE
from .errors import ModelError
from .fake import HashingEmbedder
from .provisioning import require_provisioned


def resolve_model_path(name: str, models_dir: Path) -> tuple[str, str]:
    """(what to load, the stable model id recorded in indexes) for a model setting.

    A catalogue name must have been provisioned; a folder is used as is; anything else is taken
    as a hub id, which works only where that model is already in the local hub cache.
    """
    spec = CATALOGUE.get(name)
    if spec is not None:
        return str(require_provisioned(spec, models_dir)), name
    path = Path(name).expanduser()
    if path.exists():
        if not path.is_dir():
            raise ModelError(f"model path {path} is not a folder")
        return str(path.resolve()), str(path.resolve())
    return name, name


def make_embedder(
    name: str, models_dir: Path, dtype: str = "bfloat16", batch_size: int = 8
) -> Embedder:
    """The embedder a setting names. ``fake`` (or ``fake-<dim>``) gives the hashing embedder."""
    if name == "fake" or name.startswith("fake-"):
        dimension = int(name.rsplit("-", 1)[1]) if name.count("-") and name[5:].isdigit() else 256
        return HashingEmbedder(dimension)
    from .sentence_transformers_embedder import SentenceTransformersEmbedder

    path, model_id = resolve_model_path(name, models_dir)
    return SentenceTransformersEmbedder(path, model_id=model_id, dtype=dtype, batch_size=batch_size)
