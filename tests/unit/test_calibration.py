"""The backend chosen by measurement: fake generators with set speeds and texts, a fake clock."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from rag.embedder import choose_embedder_dtype, embedder_dtype
from rag.generation.base import ChatMessage
from rag.generation.calibration import (
    REFERENCE,
    Trial,
    busy_runs,
    calibrate,
    candidates,
    choose,
)
from rag.generation.factory import engine_for, safe_default
from rag.machine import (
    Engine,
    Fingerprint,
    MachineProfile,
    Timing,
    busy_reason,
    load_profile,
    profile_path,
    save_profile,
    this_machine,
)
from rag.settings import Settings

MESSAGES: list[ChatMessage] = [{"role": "user", "content": "Phương châm năm 2020 là gì?"}]
MACHINE = Fingerprint("Test CPU", ("avx2",), 2, (("torch", "2.13.0"),))
OTHER = Fingerprint("Test CPU", ("avx2", "amx_tile"), 2, (("torch", "2.13.0"),))
OPENVINO_F32 = Engine("openvino", "f32")
OPENVINO_BF16 = Engine("openvino", "bf16")
LOOKUP_BF16 = Engine("transformers", "bf16")


class Clock:
    """Wall and CPU seconds that only the fake generators move."""

    def __init__(self) -> None:
        self.wall = self.cpu = 0.0

    def advance(self, seconds: float, cores_busy: float) -> None:
        self.wall += seconds
        self.cpu += seconds * cores_busy


class TimedGenerator:
    """Writes ``text`` word by word, each word taking ``seconds_per_piece`` of the fake clock."""

    def __init__(self, clock: Clock, text: str, seconds_per_piece: float, cores_busy: float = 2.0):
        self.clock, self.text, self.pace, self.busy = clock, text, seconds_per_piece, cores_busy

    @property
    def model_id(self) -> str:
        return "timed"

    def warm_up(self) -> None:
        self.clock.advance(100.0, self.busy)  # loading is never timed

    def stream(
        self, messages: list[ChatMessage], max_new_tokens: int, timeout_s: float | None = None
    ) -> Iterator[str]:
        for word in self.text.split(" ")[:max_new_tokens]:
            self.clock.advance(self.pace, self.busy)
            yield word + " "


class Broken(TimedGenerator):
    def warm_up(self) -> None:
        raise RuntimeError("no such device")


def run(plan: dict[Engine, TimedGenerator], clock: Clock):
    trial = Trial(plan.__getitem__, MESSAGES, 64, cores=2, clock=lambda: clock.wall,
                  cpu_clock=lambda: clock.cpu)  # fmt: skip
    return calibrate(list(plan), trial)


def test_the_fastest_engine_that_writes_the_reference_text_wins() -> None:
    clock = Clock()
    motto = "Hoàn thiện thể chế, tinh gọn bộ máy [1]"
    result = run(
        {
            REFERENCE: TimedGenerator(clock, motto, 0.5),
            LOOKUP_BF16: TimedGenerator(clock, motto, 0.2),
            OPENVINO_F32: TimedGenerator(clock, motto, 0.1),
            OPENVINO_BF16: TimedGenerator(clock, motto, 0.35),
        },
        clock,
    )
    assert result.chosen == OPENVINO_F32 and result.busy is None
    seconds = {t.name: t.seconds for t in result.timings}
    assert seconds == {REFERENCE.label: 4.5, LOOKUP_BF16.label: 1.8, OPENVINO_F32.label: 0.9,
                       OPENVINO_BF16.label: 1.05}  # fmt: skip
    assert [t.same_as_reference for t in result.timings] == [True, True, True, None]
    assert result.timings[2].first_piece_s == 0.1 and result.timings[2].pieces == 9
    # Slower than the best so far (0.9 s) after its third word: stopped, it cannot win.
    assert result.timings[3].stopped and result.timings[3].pieces == 3


def test_a_faster_engine_whose_text_differs_is_skipped() -> None:
    clock = Clock()
    result = run(
        {
            REFERENCE: TimedGenerator(clock, "Dân số là 198.000 người. [1]", 0.5),
            LOOKUP_BF16: TimedGenerator(clock, "Dân số là 198. [1]", 0.05),  # bf16 rounding
            OPENVINO_F32: TimedGenerator(clock, "Dân số là 198.000 người. [1]", 0.2),
        },
        clock,
    )
    assert result.chosen == OPENVINO_F32
    assert [t.same_as_reference for t in result.timings] == [True, False, True]
    assert not any(t.stopped for t in result.timings)


def test_an_engine_that_fails_is_skipped_with_its_reason() -> None:
    clock = Clock()
    result = run(
        {
            REFERENCE: TimedGenerator(clock, "a b c", 0.5),
            OPENVINO_F32: Broken(clock, "a b c", 0.01),
        },
        clock,
    )
    assert result.chosen == REFERENCE
    assert result.timings[1].seconds is None
    assert "RuntimeError: no such device" in (result.timings[1].error or "")


def test_when_the_reference_fails_the_first_engine_that_ran_is_the_reference() -> None:
    clock = Clock()
    result = run(
        {
            REFERENCE: Broken(clock, "x", 0.5),
            OPENVINO_F32: TimedGenerator(clock, "a b c", 0.3),
            OPENVINO_BF16: TimedGenerator(clock, "a b d", 0.1),
        },
        clock,
    )
    assert result.chosen == OPENVINO_F32


def test_nothing_qualifies_when_every_engine_fails() -> None:
    clock = Clock()
    result = run({REFERENCE: Broken(clock, "x", 0.5), OPENVINO_F32: Broken(clock, "x", 0.1)}, clock)
    assert result.chosen is None


def test_runs_that_shared_the_cores_with_other_work_are_not_trusted() -> None:
    clock = Clock()
    result = run(
        {
            REFERENCE: TimedGenerator(clock, "a b c", 0.5, cores_busy=1.9),
            OPENVINO_F32: TimedGenerator(clock, "a b c", 0.1, cores_busy=0.4),  # 20 % of 2
        },
        clock,
    )
    assert result.chosen is None
    assert result.busy is not None and "busy" in result.busy and "openvino f32" in result.busy
    assert busy_runs(result.timings[:1], cores=2) is None


def test_choose_ignores_unmeasured_engines() -> None:
    timings = [Timing("a", None, error="x"), Timing("b", 2.0, same_as_reference=True)]
    assert choose([REFERENCE, OPENVINO_F32], timings) == OPENVINO_F32
    assert choose([REFERENCE], [Timing("a", 1.0, same_as_reference=None)]) is None


def test_candidates_are_the_installed_backends_reference_first() -> None:
    only_transformers, skipped = candidates(lambda backend: backend == "transformers")
    assert only_transformers[0] == REFERENCE and skipped == []
    assert {e.backend for e in only_transformers} == {"transformers"}
    every, _ = candidates(lambda backend: True, bf16_slowdown=0.4)  # bf16 units: all timed
    assert {e.label for e in every} >= {OPENVINO_F32.label, OPENVINO_BF16.label, LOOKUP_BF16.label}
    assert any(e.backend == "llama.cpp" for e in every)


def test_emulated_bf16_is_not_timed_on_transformers_and_says_why() -> None:
    engines, skipped = candidates(lambda backend: True, bf16_slowdown=40.0)
    assert REFERENCE in engines and OPENVINO_BF16 in engines  # openvino keeps its int8 kernels
    assert not any(e.backend == "transformers" and e.precision == "bf16" for e in engines)
    assert {t.name for t in skipped} == {LOOKUP_BF16.label, "transformers bf16"}
    assert all("40.0x slower than f32" in (t.error or "") for t in skipped)


# --- the profile ------------------------------------------------------------------------------


def profile(
    engine: Engine | None = OPENVINO_BF16, machine: Fingerprint = MACHINE
) -> MachineProfile:
    return MachineProfile(
        fingerprint=machine, generator="qwen2.5-coder-1.5b-instruct", engine=engine,
        embedder="embeddinggemma-300m", embedder_dtype="float32",
        timings=[Timing(OPENVINO_BF16.label, 1.5, 0.4, 30, 0.9, True)], created="2026-12-04",
    )  # fmt: skip


def test_a_saved_profile_loads_back_on_the_same_machine(tmp_path: Path) -> None:
    saved = profile()
    path = save_profile(tmp_path, saved)
    assert path == profile_path(tmp_path, MACHINE) and not list(path.parent.glob("*.tmp"))
    loaded, why = load_profile(tmp_path, MACHINE)
    assert loaded == saved and "measured on this machine" in why
    assert json.loads(path.read_text())["format_version"] == 1


def test_a_profile_of_another_machine_is_not_used(tmp_path: Path) -> None:
    save_profile(tmp_path, profile(machine=OTHER))
    loaded, why = load_profile(tmp_path, MACHINE)
    assert loaded is None and "not been calibrated" in why and "Test CPU" in why


@pytest.mark.parametrize(
    "content", ["{not json", json.dumps({"format_version": 99}), json.dumps({"format_version": 1})]
)
def test_a_broken_profile_is_not_used_and_says_why(tmp_path: Path, content: str) -> None:
    path = profile_path(tmp_path, MACHINE)
    path.parent.mkdir(parents=True)
    path.write_text(content)
    loaded, why = load_profile(tmp_path, MACHINE)
    assert loaded is None and str(path) in why and "rag models calibrate" in why


def test_a_busy_machine_is_refused_by_its_load_average() -> None:
    assert busy_reason(2, load_average=2.5) == "the machine is busy (load average 2.50 on 2 cores)"
    assert busy_reason(2, load_average=0.3) is None


# --- from the settings and the profile to the engine -------------------------------------------


def settings(**values: object) -> Settings:
    return Settings.model_validate(values)


def test_auto_uses_the_calibrated_engine() -> None:
    engine, whence = engine_for(settings(), profile())
    assert engine == OPENVINO_BF16 and "calibrated" in whence


def test_without_a_profile_auto_falls_back_to_the_safe_default() -> None:
    engine, whence = engine_for(settings(), None)
    assert engine == safe_default() and whence == "safe default: not calibrated"
    assert engine.precision in ("f32", "bf16") and engine.backend in ("openvino", "transformers")


def test_a_profile_for_another_model_is_not_used() -> None:
    engine, _ = engine_for(settings(generator="some/other-model"), profile())
    assert engine == safe_default()


def test_a_profile_where_nothing_qualified_falls_back_to_the_safe_default() -> None:
    engine, whence = engine_for(settings(), profile(engine=None))
    assert engine == safe_default() and "safe default" in whence


def test_the_backend_setting_overrides_and_takes_its_calibrated_precision() -> None:
    engine, whence = engine_for(settings(generator_backend="openvino"), profile())
    assert engine == OPENVINO_BF16 and "RAG_GENERATOR_BACKEND" in whence
    other, _ = engine_for(settings(generator_backend="transformers"), profile())
    assert other == Engine("transformers", "bf16")  # the backend's own default precision


def test_the_precision_setting_overrides_the_calibrated_one() -> None:
    engine, _ = engine_for(settings(generator_precision="f32"), profile())
    assert engine == OPENVINO_F32
    explicit, _ = engine_for(
        settings(generator_backend="transformers", generator_precision="f32"), None
    )
    assert explicit == Engine("transformers", "f32")


def test_prompt_lookup_off_in_the_settings_stays_off() -> None:
    engine, _ = engine_for(settings(prompt_lookup_tokens=0), profile())
    assert engine == Engine("openvino", "bf16", prompt_lookup=False)


# --- the embedder's precision ------------------------------------------------------------------


class FakeEmbedder:
    def __init__(self, clock: Clock, seconds: float, noise: float) -> None:
        self.clock, self.seconds, self.noise = clock, seconds, noise

    def warm_up(self) -> None:
        pass

    def embed_documents(self, texts: list[str], titles: list[str] | None = None) -> np.ndarray:
        self.clock.advance(self.seconds, 2.0)
        vectors = np.eye(len(texts), 8)[:, ::-1] + self.noise
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.mark.parametrize(("bf16_noise", "expected"), [(0.0, "bfloat16"), (0.5, "float32")])
def test_the_embedder_takes_the_fastest_precision_with_the_same_vectors(
    bf16_noise: float, expected: str
) -> None:
    clock = Clock()
    made = {
        "float32": FakeEmbedder(clock, 2.0, 0.0),
        "bfloat16": FakeEmbedder(clock, 1.0, bf16_noise),
    }
    dtype, timings = choose_embedder_dtype(
        made.__getitem__, ["a", "b", "c"], ["t"] * 3, lambda: clock.wall
    )
    assert dtype == expected
    assert [t.seconds for t in timings] == [2.0, 1.0]


def test_an_embedder_precision_slower_than_the_reference_is_stopped() -> None:
    clock = Clock()
    made = {"float32": FakeEmbedder(clock, 1.0, 0.0), "bfloat16": FakeEmbedder(clock, 6.0, 0.0)}
    texts = ["a", "b", "c", "d", "e", "f", "g", "h"]
    dtype, timings = choose_embedder_dtype(made.__getitem__, texts, texts, lambda: clock.wall)
    assert dtype == "float32"
    assert timings[1].stopped and timings[1].seconds == 6.0  # one batch of four, not two


def test_the_embedder_precision_comes_from_the_setting_then_the_profile(tmp_path: Path) -> None:
    assert embedder_dtype(settings(models_dir=tmp_path)) == "bfloat16"  # not calibrated
    save_profile(tmp_path, profile(machine=this_machine()))  # calibrated: float32 was faster
    assert embedder_dtype(settings(models_dir=tmp_path)) == "float32"
    assert embedder_dtype(settings(embedder_dtype="bfloat16", models_dir=tmp_path)) == "bfloat16"
    other = settings(embedder="fake-16", models_dir=tmp_path)  # measured for another embedder
    assert embedder_dtype(other) == "bfloat16"
