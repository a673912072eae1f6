"""Converting the generator for the openvino backend: staged, recorded in a marker, resumed
after a failure, never loaded half-made; and the factory. ``subprocess.run`` is faked: no pip,
no model."""

from __future__ import annotations

import json
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest

from embeddings.catalogue import CATALOGUE
from embeddings.provisioning import MARKER, model_dir
from rag.errors import ConfigError, ModelError
from rag.generation import openvino_conversion as conversion
from rag.generation.factory import make_generator
from rag.generation.openvino_conversion import (
    check_converted,
    convert_to_openvino,
    is_converted,
    openvino_dir,
    verify_converted,
)
from rag.generation.openvino_factory import provision_openvino
from rag.generation.openvino_generator import REQUIRED_FILES, OpenVINOGenerator
from rag.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
GENERATOR = "qwen2.5-coder-1.5b-instruct"


class FakeRun:
    """Stands in for subprocess.run: makes the venv, 'installs', and 'exports' a few files."""

    def __init__(self, export_fails: bool = False) -> None:
        self.commands: list[list[str]] = []
        self.export_fails = export_fails

    def __call__(self, command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        self.commands.append(command)
        if command[1:3] == ["-m", "venv"]:
            python = Path(command[-1]) / "bin" / "python"
            python.parent.mkdir(parents=True)
            python.write_text("#!/bin/sh\n")
        elif "optimum.commands.optimum_cli" in command:
            out = Path(command[-1])
            out.mkdir(parents=True)
            kwargs["stdout"].write("Exporting...\nWeight compression: int8_asym\n")
            (out / "openvino_model.xml").write_text("<net/>")
            if self.export_fails:
                kwargs["stdout"].write("RuntimeError: killed (out of memory)\n")
                return subprocess.CompletedProcess(command, -9, "", "")
            for name in REQUIRED_FILES:
                (out / name).write_bytes(name.encode() * 10)
        return subprocess.CompletedProcess(command, 0, "", "")

    def exports(self) -> int:
        return sum("optimum.commands.optimum_cli" in c for c in self.commands)


def provisioned_generator(models_dir: Path) -> Path:
    """A generator folder as `rag models fetch` leaves it: the bf16 copy and its marker."""
    folder = model_dir(CATALOGUE[GENERATOR], models_dir)
    (folder / "hf").mkdir(parents=True)
    (folder / "hf" / "model.safetensors").write_bytes(b"weights")
    record = {"name": GENERATOR, "source_sha256": "abc", "files": {"hf/model.safetensors": 7}}
    (folder / MARKER).write_text(json.dumps(record))
    return folder


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return provisioned_generator(tmp_path / "models")


def test_conversion_is_staged_recorded_and_the_exporter_removed(
    folder: Path, tmp_path: Path
) -> None:
    run, exporter = FakeRun(), tmp_path / "exporter"
    target = convert_to_openvino(folder, exporter, run=run)
    assert target == openvino_dir(folder) == folder / "openvino-int8"
    record = check_converted(target)
    assert record["weight_format"] == "int8" and record["source_sha256"] == "abc"
    assert sorted(record["files"]) == sorted(REQUIRED_FILES)  # type: ignore[call-overload]
    assert not (folder / ".openvino-int8.partial").exists()
    assert not exporter.exists()  # 1.5 GB, needed once
    export = next(c for c in run.commands if "optimum.commands.optimum_cli" in c)
    assert export[0] == str(exporter / "bin" / "python")
    assert export[export.index("--model") + 1] == str(folder / "hf")
    assert export[export.index("--weight-format") + 1] == "int8"
    assert "text-generation-with-past" in export
    assert convert_to_openvino(folder, exporter, run=run) == target  # done: nothing runs again
    assert run.exports() == 1


def test_the_exporter_never_installs_torchvision_and_keeps_torch(
    folder: Path, tmp_path: Path
) -> None:
    run = FakeRun()
    convert_to_openvino(folder, tmp_path / "exporter", run=run)
    installs = [c[c.index("install") + 1 :] for c in run.commands if "install" in c]
    assert installs[0][-1] == "torch==2.13.0"  # alone and first: pip keeps the CPU build
    no_deps = next(i for i in installs if "--no-deps" in i)
    assert "optimum-intel==2.2.0" in no_deps and "optimum==2.3.0" in no_deps
    with_deps = [i for i in installs if "--no-deps" not in i]
    assert all("optimum" not in arg for i in with_deps for arg in i)
    assert not any("torchvision" in arg for i in installs for arg in i)


def test_a_failed_export_leaves_nothing_loadable_and_the_next_run_resumes(
    folder: Path, tmp_path: Path
) -> None:
    exporter = tmp_path / "exporter"
    with pytest.raises(ModelError, match=r"(?s)exit status -9.*out of memory"):
        convert_to_openvino(folder, exporter, run=FakeRun(export_fails=True))
    assert not openvino_dir(folder).exists()
    assert not (folder / ".openvino-int8.partial").exists()
    assert (exporter / ".installed").is_file()  # the exporter is kept for the next try
    run = FakeRun()
    convert_to_openvino(folder, exporter, run=run)
    assert [c[1:3] for c in run.commands] == [["-m", "optimum.commands.optimum_cli"]]
    assert is_converted(openvino_dir(folder))


def test_a_leftover_staging_folder_is_redone(folder: Path, tmp_path: Path) -> None:
    staging = folder / ".openvino-int8.partial"
    staging.mkdir()
    (staging / "openvino_model.bin").write_bytes(b"half")  # an interrupted export
    convert_to_openvino(folder, tmp_path / "exporter", run=FakeRun())
    assert (openvino_dir(folder) / "openvino_model.bin").read_bytes() != b"half"


def test_conversion_needs_a_provisioned_source(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"cannot convert to OpenVINO: model at .* \(no "):
        convert_to_openvino(tmp_path / "nothing", tmp_path / "exporter", run=FakeRun())


def test_a_half_made_or_foreign_folder_is_refused(folder: Path, tmp_path: Path) -> None:
    target = convert_to_openvino(folder, tmp_path / "exporter", run=FakeRun())
    (target / "openvino_model.bin").write_bytes(b"truncated")
    with pytest.raises(ModelError, match=r"openvino_model\.bin is missing or has the wrong size"):
        check_converted(target)
    record = json.loads((target / MARKER).read_text())
    (target / MARKER).write_text(json.dumps({**record, "files": {}, "weight_format": "int4"}))
    with pytest.raises(ModelError, match=r"expected 1 \('int8'\)"):
        check_converted(target)
    (target / MARKER).unlink()
    with pytest.raises(ModelError, match="missing or incomplete"):
        check_converted(target)


def test_verify_rehashes_the_converted_files(folder: Path, tmp_path: Path) -> None:
    target = convert_to_openvino(folder, tmp_path / "exporter", run=FakeRun())
    verify_converted(target)
    model = target / "openvino_model.bin"
    model.write_bytes(bytes(reversed(model.read_bytes())))  # same size, other bytes
    check_converted(target)  # the cheap check cannot see it
    with pytest.raises(ModelError, match=r"openvino_model\.bin: sha256 [0-9a-f]+ differs"):
        verify_converted(target)


def test_the_exporter_pins_the_runtime_versions() -> None:
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = set(extra["optional-dependencies"]["openvino"])
    exporter = set(conversion.EXPORTER_REQUIREMENTS)
    for package in ("openvino==", "openvino-tokenizers=="):
        (pin,) = [r for r in runtime if r.startswith(package)]
        assert pin in exporter  # a tokenizer converted by another version may not load


def settings_for(tmp_path: Path, backend: str = "openvino") -> Settings:
    return Settings(
        cache_dir=tmp_path / "cache", models_dir=tmp_path / "models", generator=GENERATOR,
        generator_backend=backend,  # type: ignore[arg-type]
    )  # fmt: skip


def test_the_factory_builds_the_converted_model(folder: Path, tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    with pytest.raises(ModelError, match=r"openvino-int8 is missing.*rag models fetch qwen"):
        make_generator(settings)
    convert_to_openvino(folder, tmp_path / "exporter", run=FakeRun())
    generator = make_generator(settings)
    assert isinstance(generator, OpenVINOGenerator)
    assert generator.model_id == GENERATOR
    assert generator.quantization_group == settings.openvino_quantization_group == 256
    plugin_default = make_generator(settings.model_copy(update={"openvino_quantization_group": 0}))
    assert isinstance(plugin_default, OpenVINOGenerator)
    assert plugin_default.quantization_group == 0


def test_the_factory_takes_a_local_openvino_folder(tmp_path: Path) -> None:
    local = tmp_path / "my-model"
    local.mkdir()
    settings = settings_for(tmp_path).model_copy(update={"generator": str(local)})
    with pytest.raises(ConfigError, match=r"neither a catalogue .* nor a local OpenVINO model"):
        make_generator(settings)
    (local / "openvino_model.xml").write_text("<net/>")
    assert isinstance(make_generator(settings), OpenVINOGenerator)


def test_fetch_converts_only_when_openvino_is_wanted(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Path] = []
    monkeypatch.setattr(
        "rag.generation.openvino_factory.convert_to_openvino",
        lambda source, exporter: calls.append(exporter) or openvino_dir(source),
    )
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)  # not installed
    spec = CATALOGUE[GENERATOR]
    assert provision_openvino(spec, folder, settings_for(tmp_path, "transformers")) is None
    embedder = CATALOGUE["embeddinggemma-300m"]
    assert provision_openvino(embedder, folder, settings_for(tmp_path)) is None
    notes: list[str] = []
    converted = provision_openvino(spec, folder, settings_for(tmp_path), notify=notes.append)
    assert converted == openvino_dir(folder)
    assert calls == [tmp_path / "cache" / "tools" / "openvino-exporter"]
    assert notes and "converting" in notes[0]
