"""newsrag: question answering over Vietnamese news articles.

The public face is small: ``Assistant``, the value types ``Passage`` and ``Answer``, the settings
and the errors. Heavy modules are imported on first use, so ``import rag`` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rag.errors import (
    ConfigError,
    DocumentError,
    GenerationError,
    IndexCorruptError,
    IndexMismatchError,
    IndexNotFoundError,
    ModelError,
    QuestionError,
    RagError,
)

if TYPE_CHECKING:
    from rag.assistant import Assistant
    from rag.settings import Settings
    from rag.types import Answer, Passage

_LAZY = {
    "Assistant": "rag.assistant",
    "Settings": "rag.settings",
    "Passage": "rag.types",
    "Answer": "rag.types",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'rag' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module_name), name)


__all__ = [
    "Answer",
    "Assistant",
    "ConfigError",
    "DocumentError",
    "GenerationError",
    "IndexCorruptError",
    "IndexMismatchError",
    "IndexNotFoundError",
    "ModelError",
    "Passage",
    "QuestionError",
    "RagError",
    "Settings",
]
