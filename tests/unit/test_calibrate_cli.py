"""`rag models calibrate` and `rag models profile`, in-process, with fake generators."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

import rag.cli.calibrate as calibrate_module
import rag.generation.calibration as calibration
import rag.generation.factory as factory
from rag.cli import cli
from rag.generation.base import ChatMessage
from rag.machine import Engine, MachineProfile, load_profile, save_profile, this_machine
from rag.settings import Settings

GENERATOR = "qwen2.5-coder-1.5b-instruct"


@pytest.fixture
def models(tmp_path: Path) -> Path:
    return tmp_path / "models"


@pytest.fixture
def runner(models: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name in list(os.environ):
        if name.startswith("RAG_"):
            monkeypatch.delenv(name)
    return CliRunner(env={"RAG_MODELS_DIR": str(models), "RAG_CACHE_DIR": str(tmp_path / "cache")})


class Scripted:
    """Writes a set text, the same from every engine except the ones told otherwise."""

    def __init__(self, text: str) -> None:
        self.text = text

    @property
    def model_id(self) -> str:
        return "scripted"

    def warm_up(self) -> None:
        pass

    def stream(
        self, messages: list[ChatMessage], max_new_tokens: int, timeout_s: float | None = None
    ) -> Iterator[str]:
        yield from self.text.split(" ")


def test_profile_without_calibration_names_the_safe_default(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["models", "profile"])
    assert result.exit_code == 0, result.output
    assert "has not been calibrated: run `rag models calibrate`" in result.output
    assert "(safe default: not calibrated)" in result.output


def test_profile_shows_the_calibrated_choice(runner: CliRunner, models: Path) -> None:
    engine = Engine("openvino", "bf16")
    save_profile(models, MachineProfile(this_machine(), GENERATOR, engine, created="today"))
    result = runner.invoke(cli, ["models", "profile", "--json"])
    document = json.loads(result.stdout)
    assert document["in_use"]["generator"] == engine.label
    assert document["in_use"]["how"] == "calibrated on this machine"
    overridden = runner.invoke(
        cli, ["models", "profile"], env={"RAG_GENERATOR_BACKEND": "transformers"}
    )
    assert "In use: generator transformers bf16 + prompt lookup (set by" in overridden.output


def test_if_needed_keeps_a_profile_of_this_machine(runner: CliRunner, models: Path) -> None:
    save_profile(models, MachineProfile(this_machine(), GENERATOR, None, created="today"))
    result = runner.invoke(cli, ["models", "calibrate", "--if-needed"])
    assert result.exit_code == 0 and "Already calibrated" in result.output


def test_a_busy_machine_is_not_calibrated_and_nothing_is_written(
    runner: CliRunner, models: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(calibrate_module, "busy_reason", lambda cores: "the machine is busy (x)")
    result = runner.invoke(cli, ["models", "calibrate", "--wait", "0"])
    assert result.exit_code == 0
    assert "Not calibrated: the machine is busy (x). The current choice stays" in result.output
    assert load_profile(models)[0] is None


def test_only_catalogue_generators_are_calibrated(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["models", "calibrate"], env={"RAG_GENERATOR": "fake"})
    assert result.exit_code == 1 and "'fake' is not a catalogue model" in result.output


def test_calibrate_times_the_installed_engines_and_saves_the_choice(
    runner: CliRunner, models: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = {"transformers": "Hoàn thiện thể chế [1]", "openvino": "Hoàn thiện thể chế [1]"}
    monkeypatch.setattr(calibrate_module, "busy_reason", lambda cores: None)
    # Scripted replies take microseconds, too short to fill the cores: not a busy machine.
    monkeypatch.setattr(calibration, "busy_runs", lambda timings, cores: None)
    monkeypatch.setattr(calibrate_module, "bf16_slowdown", lambda: 50.0)  # emulated bf16
    monkeypatch.setattr(calibrate_module, "_installed", lambda backend, settings: True)
    monkeypatch.setattr(calibrate_module, "_calibrate_embedder", lambda settings: ("float32", []))
    monkeypatch.setattr(
        factory, "make_generator",
        lambda settings, engine: Scripted(texts.get(engine.backend, "something else")),
    )  # fmt: skip
    result = runner.invoke(cli, ["models", "calibrate", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    names = {t["name"]: t for t in document["timings"]}
    assert names["transformers bf16 + prompt lookup"]["error"].startswith("not timed: bf16")
    llama = names["llama.cpp q4 + prompt lookup"]  # wrote another text, or was slower anyway
    assert llama["same_as_reference"] is False or llama["stopped"]
    profile, _ = load_profile(models)
    assert profile is not None and profile.embedder_dtype == "float32"
    assert profile.engine is not None and profile.engine.backend in ("transformers", "openvino")
    assert profile.engine.precision in ("f32", "bf16")


def test_the_calibration_prompt_is_the_products_prompt_over_the_motto_passage() -> None:
    messages = calibrate_module.calibration_messages(Settings())
    assert [m["role"] for m in messages] == ["system", "user"]
    user = messages[1]["content"]
    assert calibrate_module.PROMPT_QUESTION in user and "<passages>" in user
    assert "phương châm hành động của năm 2020" in user and "[3]" in user
