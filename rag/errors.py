"""The exceptions of the library.

Every error the library raises on purpose is a ``RagError``; each carries the offending value in
its message so that the CLI and UI can show it as is. Friendly wording happens only at the edges.
"""

from __future__ import annotations

# The root and the model error are defined by the model layer (it imports nothing from rag/).
from embeddings.errors import ModelError, RagError


class ConfigError(RagError):
    """A setting has a value the program cannot work with."""


class FileProblem(RagError):
    """A file (or one line of it) cannot be used; the message names the file and the line."""

    def __init__(self, path: str, reason: str, line: int | None = None) -> None:
        self.path = path
        self.reason = reason
        self.line = line
        where = f"{path}, line {line}" if line is not None else path
        super().__init__(f"{where}: {reason}")


class DocumentError(FileProblem):
    """An article file (or one record of it) cannot be read."""


class IndexError_(RagError):
    """Base for index problems; named with a trailing underscore to keep the builtin visible."""


class IndexNotFoundError(IndexError_):
    """No index exists at the given folder."""


class IndexCorruptError(IndexError_):
    """The index folder is damaged: a file is missing, unreadable or fails its checksum."""


class IndexMismatchError(IndexError_):
    """The index was built differently from what is asked now (another embedder, dimension...)."""


class ArticleNotFoundError(IndexError_):
    """An article asked for by doc_id (to remove it) is not in the index."""


class QuestionError(RagError):
    """The question cannot be answered as given (empty, too long)."""


class GenerationError(RagError):
    """The generator failed or ran past its time limit."""


__all__ = [
    "ArticleNotFoundError",
    "ConfigError",
    "DocumentError",
    "FileProblem",
    "GenerationError",
    "IndexCorruptError",
    "IndexError_",
    "IndexMismatchError",
    "IndexNotFoundError",
    "ModelError",
    "QuestionError",
    "RagError",
]
