"""Embedding models behind one small protocol, and the provisioning of offline model files."""

from .base import Embedder
from .fake import HashingEmbedder

__all__ = ["Embedder", "HashingEmbedder"]
