"""One-time conversion of the bf16 generator folder to an OpenVINO GenAI folder, int8 weights.

``optimum-cli export openvino`` does the work. It cannot run in the product's environment:
optimum-intel 2.2.0 needs transformers < 5.6 (the product has a newer one) and declares a
dependency on torchvision, which would pull a CUDA build of torch. So the export runs in a
separate environment, the exporter, made here with pinned versions (optimum and optimum-intel
without their declared dependencies, plus exactly those the export uses), in a subprocess whose
peak memory (~6 GB) is freed when it ends. The exporter is deleted once the model is converted.

int8, not int4: int4 weights changed the answer text on 2 of 6 test prompts (misspelt
Vietnamese), int8 gave the same text as bf16.

Safe to interrupt: the export writes into a staging folder that is renamed into place only after
its files are recorded in a completion marker, and the loader refuses a folder without one.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from embeddings.provisioning import (
    MARKER,
    check_complete,
    file_lock,
    save_marker,
    sha256_file,
    verify_hashes,
)
from rag.errors import ModelError
from rag.generation.conversion import CONVERTED

OPENVINO_FOLDER = "openvino-int8"  # beside the bf16 folder, inside the generator's model folder
FORMAT_VERSION = 1
WEIGHT_FORMAT = "int8"
OPENVINO_VERSION = "2026.4.1"
# The exporter: what `optimum-cli export openvino` needs, and nothing that pulls torchvision.
# torch first and alone, as the Makefile installs it, so that pip keeps the CPU build.
EXPORTER_TORCH = "torch==2.13.0"
EXPORTER_REQUIREMENTS = (
    "transformers==5.5.4",  # optimum-intel 2.2.0 needs < 5.6
    "huggingface-hub>=0.23.2,<1.22",
    "nncf==3.4.0",  # weight compression
    f"openvino=={OPENVINO_VERSION}",
    f"openvino-tokenizers=={OPENVINO_VERSION}.0",  # converts the tokenizer: same as the runtime's
    "requests>=2.33,<3",
    "setuptools",
)
EXPORTER_NO_DEPS = ("optimum-intel==2.2.0", "optimum==2.3.0")  # they declare torchvision
_INSTALLED = ".installed"

Run = Callable[..., Any]  # subprocess.run's signature; tests pass a fake


def openvino_dir(model_folder: Path) -> Path:
    return model_folder / OPENVINO_FOLDER


def check_converted(folder: Path) -> dict[str, object]:
    """Cheap load-time check: the marker exists, is of this format, and every file has its size."""
    record = check_complete(folder)
    made = (record.get("format_version"), record.get("weight_format"))
    if made != (FORMAT_VERSION, WEIGHT_FORMAT):
        raise ModelError(
            f"OpenVINO model at {folder} is of format {record.get('format_version')!r} "
            f"({record.get('weight_format')!r}), expected {FORMAT_VERSION} ({WEIGHT_FORMAT!r})"
        )
    return record


def verify_converted(folder: Path) -> None:
    """Re-hash every file of a converted model against its marker (slow, thorough)."""
    verify_hashes(folder, check_converted(folder))


def is_converted(folder: Path) -> bool:
    try:
        check_converted(folder)
    except ModelError:
        return False
    return True


def convert_to_openvino(
    model_folder: Path, exporter_dir: Path, run: Run = subprocess.run, keep_exporter: bool = False
) -> Path:
    """Make sure ``model_folder/openvino-int8`` holds the converted model; return it.

    ``model_folder`` is a provisioned generator folder (its bf16 copy in ``hf/``). The exporter
    environment is made in ``exporter_dir`` (kept there if the export fails, for the next try).
    """
    target = openvino_dir(model_folder)
    if is_converted(target):
        return target
    source = model_folder / CONVERTED
    try:
        source_record = check_complete(model_folder)
    except ModelError as error:
        raise ModelError(f"cannot convert to OpenVINO: {error}") from error
    with file_lock(model_folder.parent / f".{model_folder.name}.openvino.lock"):
        if is_converted(target):  # another process finished it meanwhile
            return target
        python = ensure_exporter(exporter_dir, run)
        staging = model_folder / f".{OPENVINO_FOLDER}.partial"
        shutil.rmtree(staging, ignore_errors=True)  # a half-made export is redone, never reused
        _export(python, source, staging, run)
        _write_marker(staging, source_record)
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    if not keep_exporter:
        shutil.rmtree(exporter_dir, ignore_errors=True)
    return target


def export_command(python: Path, source: Path, out: Path) -> list[str]:
    return [
        str(python), "-m", "optimum.commands.optimum_cli", "export", "openvino",
        "--model", str(source), "--task", "text-generation-with-past",
        "--weight-format", WEIGHT_FORMAT, str(out),
    ]  # fmt: skip


def _export(python: Path, source: Path, staging: Path, run: Run) -> None:
    staging.parent.mkdir(parents=True, exist_ok=True)
    log = staging.parent / f"{staging.name}.log"
    # The model is read from the bf16 folder only: no model hub is ever asked.
    env_flags = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    with log.open("w") as out:
        result = run(
            export_command(python, source, staging), stdout=out, stderr=subprocess.STDOUT,
            check=False, env=_environment(env_flags),
        )  # fmt: skip
    from rag.generation.openvino_generator import REQUIRED_FILES

    missing = [name for name in REQUIRED_FILES if not (staging / name).is_file()]
    if result.returncode != 0 or missing:
        tail = _tail(log)
        shutil.rmtree(staging, ignore_errors=True)
        what = f"exit status {result.returncode}" if result.returncode else f"no {missing[0]}"
        raise ModelError(f"exporting {source} to OpenVINO failed ({what}); log {log}:\n{tail}")
    log.unlink(missing_ok=True)


def ensure_exporter(exporter_dir: Path, run: Run = subprocess.run) -> Path:
    """The exporter environment's python, made first if needed (~2 min, ~1.5 GB)."""
    python = exporter_dir / "bin" / "python"
    stamp = exporter_dir / _INSTALLED
    wanted = "\n".join((EXPORTER_TORCH, *EXPORTER_REQUIREMENTS, *EXPORTER_NO_DEPS))
    if stamp.is_file() and stamp.read_text() == wanted and python.exists():
        return python
    if not python.exists():
        _run_checked(run, [sys.executable, "-m", "venv", "--clear", str(exporter_dir)], "venv")
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    _run_checked(run, [*pip, EXPORTER_TORCH], "pip install torch")
    _run_checked(run, [*pip, *EXPORTER_REQUIREMENTS], "pip install the exporter")
    _run_checked(run, [*pip, "--no-deps", *EXPORTER_NO_DEPS], "pip install optimum-intel")
    stamp.write_text(wanted)
    return python


def _run_checked(run: Run, command: Sequence[str], what: str) -> None:
    result = run(list(command), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = (str(result.stderr or "").strip().splitlines() or ["no output"])[-1]
        raise ModelError(f"making the OpenVINO exporter: {what} failed: {detail}")


def _write_marker(folder: Path, source_record: dict[str, object]) -> None:
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MARKER)
    record = {
        "format_version": FORMAT_VERSION,
        "weight_format": WEIGHT_FORMAT,
        "openvino": OPENVINO_VERSION,
        "source": str(source_record.get("name", "")),
        "source_sha256": source_record.get("source_sha256"),
        "files": {str(p.relative_to(folder)): p.stat().st_size for p in files},
        "sha256": {str(p.relative_to(folder)): sha256_file(p) for p in files},
    }
    save_marker(folder, record)


def _environment(extra: dict[str, str]) -> dict[str, str]:
    import os

    return {**os.environ, **extra}


def _tail(log: Path, lines: int = 15) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
