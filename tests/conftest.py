"""Shared fixtures. Unit tests use the deterministic fakes; `slow` tests use the real models."""

from __future__ import annotations

from pathlib import Path

import pytest

from embeddings.fake import HashingEmbedder
from rag.settings import BUNDLED_ARTICLES, Settings

SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings that write only under tmp_path and use the fake models (the judge's weights
    were fitted on the real reader, so its threshold is 0 here; tests/unit/test_pipeline.py
    tests the judge)."""
    return Settings(
        cache_dir=tmp_path / "cache",
        articles_dir=BUNDLED_ARTICLES,
        embedder="fake",
        generator="fake",
        answer_threshold=0.0,
    )


@pytest.fixture
def fake_embedder() -> HashingEmbedder:
    return HashingEmbedder(dimension=256)


@pytest.fixture
def articles_dir() -> Path:
    return BUNDLED_ARTICLES
