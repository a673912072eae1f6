"""The embedder the settings name (``embeddings.factory`` does the work; loading waits for
``warm_up``), in the precision measured fastest on this machine where the settings say auto."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

import numpy as np

from embeddings.base import Embedder
from embeddings.factory import make_embedder
from rag.machine import Timing, load_profile
from rag.settings import Settings

# Before calibration: bf16 halved the embedding time against f32 on the CPUs measured first;
# on a CPU without bf16 units it may not, which is what `rag models calibrate` finds out.
DEFAULT_EMBEDDER_DTYPE = "bfloat16"


def embedder_dtype(settings: Settings) -> str:
    """The precision the settings name, else this machine's calibrated one, else bf16."""
    if settings.embedder_dtype != "auto":
        return settings.embedder_dtype
    profile, _ = load_profile(settings.resolved_models_dir)
    if profile is not None and profile.embedder == settings.embedder and profile.embedder_dtype:
        return profile.embedder_dtype
    return DEFAULT_EMBEDDER_DTYPE


def embedder_from(settings: Settings, dtype: str | None = None) -> Embedder:
    return make_embedder(
        settings.embedder, settings.resolved_models_dir, dtype or embedder_dtype(settings),
        settings.embed_batch_size,
    )  # fmt: skip


# The lowest cosine a passage's vector may have with its float32 vector for a precision to
# count as giving the same vectors (bf16 measured >= 0.9999 on EmbeddingGemma).
MIN_COSINE = 0.999


def choose_embedder_dtype(
    make: Callable[[str], Embedder],
    texts: list[str],
    titles: list[str],
    clock: Callable[[], float] = time.perf_counter,
) -> tuple[str | None, list[Timing]]:
    """The fastest precision whose passage vectors match float32's; None when none ran."""
    timings: list[Timing] = []
    reference: np.ndarray | None = None
    best: tuple[float, str] | None = None
    for dtype in ("float32", "bfloat16"):  # float32 first: the reference
        try:
            embedder = make(dtype)
            embedder.warm_up()
            embedder.embed_documents(texts[:2], titles[:2])  # first-call costs, untimed
            vectors, seconds = _timed_embedding(embedder, texts, titles, clock, best)
        except Exception as error:  # a precision this machine cannot run is skipped
            failed = f"{type(error).__name__}: {error}"
            timings.append(Timing(f"embedder {dtype}", None, error=failed))
            continue
        finally:
            gc.collect()
        if vectors is None:  # slower than the best: stopped
            timings.append(Timing(f"embedder {dtype}", round(seconds, 3), stopped=True))
            continue
        reference = vectors if reference is None else reference
        same = float((vectors * reference).sum(axis=1).min()) >= MIN_COSINE
        timings.append(Timing(f"embedder {dtype}", round(seconds, 3), same_as_reference=same))
        if same and (best is None or seconds < best[0]):
            best = (seconds, dtype)
    return (best[1] if best else None), timings


def _timed_embedding(
    embedder: Embedder,
    texts: list[str],
    titles: list[str],
    clock: Callable[[], float],
    best: tuple[float, str] | None,
) -> tuple[np.ndarray | None, float]:
    """The vectors and the seconds they took, in batches of four; no vectors when the time
    passed the best one's before the end (bf16 emulated without bf16 units: minutes)."""
    parts: list[np.ndarray] = []
    start = clock()
    for at in range(0, len(texts), 4):
        parts.append(embedder.embed_documents(texts[at : at + 4], titles[at : at + 4]))
        if best is not None and clock() - start > best[0] and at + 4 < len(texts):
            return None, clock() - start
    return np.concatenate(parts), clock() - start
