"""``rag models calibrate`` and ``rag models profile``: which backend and precisions run fastest
on this machine, measured, and kept in its profile (``rag.machine``)."""

from __future__ import annotations

import datetime
import importlib.util
import time
from collections.abc import Callable

import click

from embeddings.catalogue import CATALOGUE
from rag.console import current_settings, emit_json, friendly_errors
from rag.errors import ConfigError
from rag.machine import MachineProfile, Timing, busy_reason, load_profile, save_profile
from rag.settings import BUNDLED_ARTICLES, Settings

# The calibration prompt: the product's own prompt over three passages of a bundled article,
# asking for a motto the passages quote: about 640 tokens read and 40 written, an answer whose
# words every backend copies the same way when its arithmetic is sound.
PROMPT_ARTICLE = "001_eb33f2e5ca9e7309.txt"
PROMPT_QUESTION = "Phương châm hành động năm 2020 của Bộ Nội vụ là gì?"
PROMPT_ANCHOR = "phương châm hành động"
PROMPT_TOKENS = 96
EMBED_PASSAGES = 16


@click.command("calibrate")
@click.option("--wait", default=60, show_default=True, help="Seconds to wait for a busy machine.")
@click.option("--json", "as_json", is_flag=True, help="Print the profile as JSON.")
@click.option(
    "--if-needed", is_flag=True, help="Only when this machine and its libraries have no profile."
)
@friendly_errors
def calibrate_command(wait: int, as_json: bool, if_needed: bool) -> None:
    """Time every installed generator backend and precision, and the embedder's precisions, on
    this machine; keep the fastest that give the reference results (used where RAG_GENERATOR_*
    and RAG_EMBEDDER_DTYPE are auto). Refuses a busy machine and keeps the current choice.

    \b
    Examples:
      rag models calibrate           # ~2-6 min: loads each backend in turn
      rag models calibrate --if-needed   # what `make setup` runs
      rag models profile             # what was measured, without measuring again
      RAG_GENERATOR_BACKEND=transformers rag ask "..."   # override the choice
    """
    from rag.generation.calibration import Trial, calibrate, candidates
    from rag.generation.factory import make_generator
    from rag.machine import this_machine

    settings = current_settings()
    fingerprint = this_machine()
    existing, _ = load_profile(settings.resolved_models_dir, fingerprint)
    if if_needed and existing is not None and existing.generator == settings.generator:
        click.echo(f"Already calibrated on {fingerprint.describe()}: `rag models profile` shows it")
        return
    if settings.generator not in CATALOGUE:
        raise ConfigError(
            f"generator {settings.generator!r} is not a catalogue model: only those are calibrated "
            "(RAG_GENERATOR_BACKEND and RAG_GENERATOR_PRECISION choose for any other)"
        )
    if busy := _wait_until_idle(fingerprint.cores, wait):
        click.secho(
            f"Not calibrated: {busy}. The current choice stays; try again later.", fg="yellow"
        )
        return
    click.echo(f"Calibrating on {fingerprint.describe()}", err=True)
    slowdown = bf16_slowdown()
    engines, skipped = candidates(lambda backend: _installed(backend, settings), slowdown)
    trial = Trial(
        lambda engine: make_generator(settings, engine), calibration_messages(settings),
        PROMPT_TOKENS, fingerprint.cores,
    )  # fmt: skip
    result = calibrate(engines, trial, progress=_say_timing)
    if result.busy:
        _print_timings(result.timings + skipped)
        click.secho(f"Not calibrated: {result.busy}. The current choice stays.", fg="yellow")
        return
    dtype, embed_timings = _calibrate_embedder(settings)
    profile = MachineProfile(
        fingerprint=fingerprint, generator=settings.generator, engine=result.chosen,
        embedder=settings.embedder, embedder_dtype=dtype,
        timings=result.timings + skipped + embed_timings,
        created=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    )  # fmt: skip
    path = save_profile(settings.resolved_models_dir, profile)
    if as_json:
        emit_json(profile.to_json())
        return
    _print_profile(profile)
    click.secho(f"Saved to {path}", dim=True)


@click.command("profile")
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def profile_command(as_json: bool) -> None:
    """This machine's calibration: the timings, the choice, and what runs now."""
    from rag.embedder import embedder_dtype
    from rag.generation.factory import engine_for

    settings = current_settings()
    profile, why = load_profile(settings.resolved_models_dir)
    engine, whence = engine_for(settings, profile)
    if as_json:
        document = profile.to_json() if profile else {"profile": None, "why": why}
        emit_json({**document, "in_use": {"generator": engine.label, "how": whence,
                                          "embedder_dtype": embedder_dtype(settings)}})  # fmt: skip
        return
    if profile is not None:
        _print_profile(profile)
    else:
        click.echo(why)
    click.echo(f"In use: generator {engine.label} ({whence}); embedder {embedder_dtype(settings)}")


def bf16_slowdown(size: int = 512, repeats: int = 2) -> float | None:
    """bf16 matrix products' time over f32's, on this CPU (the best of ``repeats`` each)."""
    try:
        import torch
    except ImportError:
        return None
    seconds = {}
    for dtype in (torch.float32, torch.bfloat16):
        a = torch.randn(size, size).to(dtype)
        best = float("inf")
        for _ in range(repeats + 1):  # the first run pays for allocation
            start = time.perf_counter()
            a @ a
            best = min(best, time.perf_counter() - start)
        seconds[dtype] = best
    return seconds[torch.bfloat16] / seconds[torch.float32]


def _say_timing(name: str) -> None:
    click.echo(f"  timing {name}", err=True)


def calibration_messages(settings: Settings) -> list:
    """The product's prompt for the calibration question over the passage that answers it and
    its two neighbours."""
    from rag.answer.prompting import build_messages
    from rag.ingest.articles import load_articles
    from rag.ingest.chunking import chunk_article
    from rag.types import Passage

    article = load_articles([BUNDLED_ARTICLES / PROMPT_ARTICLE]).articles[0]
    chunks = chunk_article(article, settings.chunk_max_chars, settings.chunk_overlap_sentences)
    first = next(i for i, c in enumerate(chunks) if PROMPT_ANCHOR in c.text.lower())
    passages = [
        Passage(c.doc_id, c.title, c.date, c.text, 1.0, c.start, c.end)
        for c in chunks[max(0, first - 1) : first + 2]
    ]
    return build_messages(PROMPT_QUESTION, passages, "vi")


def _calibrate_embedder(settings: Settings) -> tuple[str | None, list[Timing]]:
    from rag.embedder import choose_embedder_dtype, embedder_from
    from rag.ingest.articles import load_articles
    from rag.ingest.chunking import chunk_articles

    if settings.embedder == "fake" or settings.embedder.startswith("fake-"):
        return None, []
    articles = load_articles([BUNDLED_ARTICLES]).articles
    chunks = chunk_articles(articles, settings.chunking())[:EMBED_PASSAGES]
    click.echo("  timing the embedder in float32 and bfloat16", err=True)
    return choose_embedder_dtype(
        lambda dtype: embedder_from(settings, dtype),
        [c.text for c in chunks], [c.title for c in chunks],
    )  # fmt: skip


def _installed(backend: str, settings: Settings) -> bool:
    from embeddings.catalogue import CATALOGUE
    from embeddings.provisioning import has_source, is_provisioned, model_dir

    spec = CATALOGUE.get(settings.generator)
    if spec is None or not is_provisioned(spec, settings.resolved_models_dir):
        return False
    if backend == "openvino":
        from rag.generation.openvino_conversion import is_converted, openvino_dir

        folder = openvino_dir(model_dir(spec, settings.resolved_models_dir))
        return importlib.util.find_spec("openvino_genai") is not None and is_converted(folder)
    if backend == "llama.cpp":
        found = importlib.util.find_spec("llama_cpp") is not None
        return found and has_source(spec, settings.resolved_models_dir)
    return importlib.util.find_spec("transformers") is not None


def _wait_until_idle(
    cores: int, wait_s: float, sleep: Callable[[float], None] = time.sleep
) -> str | None:
    """None once the load average falls below the cores; why not after ``wait_s`` seconds."""
    deadline = time.monotonic() + wait_s
    while (busy := busy_reason(cores)) and time.monotonic() < deadline:
        sleep(5)
    return busy


def _print_profile(profile: MachineProfile) -> None:
    click.echo(f"Machine: {profile.fingerprint.describe()}; measured {profile.created}")
    _print_timings(profile.timings)
    chosen = profile.engine.label if profile.engine else "none qualified: the safe default"
    click.echo(f"Generator: {chosen}")
    click.echo(f"Embedder precision: {profile.embedder_dtype or 'the default'}")


def _print_timings(timings: list[Timing]) -> None:
    click.echo(f"  {'configuration':<34} {'total s':>8} {'first s':>8} {'cpu/wall':>8}  text")
    for t in timings:
        if t.error:
            status = "skipped" if t.error.startswith("not timed") else "failed"
            click.echo(f"  {t.name:<34} {status:>8} {'':>8} {'':>8}  {t.error[:80]}")
            continue
        same = {True: "same", False: "differs", None: "-"}[t.same_as_reference]
        same = "stopped: slower than the best" if t.stopped else same
        first = f"{t.first_piece_s:.2f}" if t.first_piece_s is not None else "-"
        share = f"{t.cpu_per_wall:.2f}" if t.cpu_per_wall is not None else "-"
        click.echo(f"  {t.name:<34} {t.seconds or 0:>8.2f} {first:>8} {share:>8}  {same}")
