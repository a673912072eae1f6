"""Answer writers behind the ``Generator`` protocol."""

from .base import ChatMessage, Generator
from .fake import FakeGenerator

__all__ = ["ChatMessage", "FakeGenerator", "Generator"]
