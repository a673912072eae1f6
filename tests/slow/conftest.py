"""Fixtures with the real models, provisioned by `rag models fetch` (run by `make setup`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from embeddings.catalogue import CATALOGUE
from embeddings.provisioning import is_provisioned
from rag.assistant import Assistant
from rag.settings import Settings


def _real_settings(cache_dir: Path) -> Settings:
    models_dir = Settings().resolved_models_dir  # where `make setup` put the models
    return Settings(cache_dir=cache_dir, models_dir=models_dir)


def _require(settings: Settings, name: str) -> None:
    if not is_provisioned(CATALOGUE[name], settings.resolved_models_dir):
        pytest.fail(f"{name} is not provisioned: run `make setup` (rag models fetch) first")


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = _real_settings(tmp_path_factory.mktemp("real-cache"))
    _require(settings, settings.embedder)
    return settings


@pytest.fixture(scope="session")
def real_assistant(real_settings: Settings) -> Assistant:
    """The product as shipped: default index over the bundled articles, real models."""
    _require(real_settings, real_settings.generator)
    return Assistant.load(settings=real_settings)
