"""Answer writers behind the ``Generator`` protocol."""

from rag.generation.base import ChatMessage, Generator
from rag.generation.fake import FakeGenerator

__all__ = ["ChatMessage", "FakeGenerator", "Generator"]
