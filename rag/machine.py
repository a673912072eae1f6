"""This machine's profile: which generator backend and precisions ran fastest here, as measured.

What is fastest on a CPU depends on the CPU: on an Intel Xeon with AMX, OpenVINO's int8 copy
decodes about twice as fast with the f32 precision hint as with its bf16 default, while on an
AMD EPYC without AVX-512 bf16 is emulated and slow everywhere. No rule written in advance picks
right on both, so `rag models calibrate` (run by `make setup`) times each installed backend on a
fixed prompt and records the choice here, in a JSON file beside the models, keyed by what makes
machines differ: the CPU model, its instruction-set flags, the cores, the libraries' versions.
A profile made on another machine (a shared models folder) or before a library upgrade is not
used: the safe default applies until the machine is calibrated again.

Low in the house on purpose: the generator factory and the embedder both read it, so it takes
folders and values, never the settings.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import platform
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

FORMAT_VERSION = 1
PROFILES_FOLDER = "machine-profiles"
# The instruction-set flags that change which kernels the libraries run.
KERNEL_FLAGS = (
    "avx2", "avx512f", "avx512_bf16", "avx512_vnni", "avx512_fp16", "avx_vnni", "amx_tile",
    "amx_bf16", "amx_int8", "fma", "f16c",
)  # fmt: skip
LIBRARIES = ("torch", "transformers", "openvino", "openvino-genai", "llama-cpp-python")


@dataclass(frozen=True)
class Engine:
    """What runs the generator: a backend, its arithmetic precision, prompt-lookup decoding."""

    backend: str  # "openvino" | "transformers" | "llama.cpp"
    precision: str  # "f32" | "bf16" (openvino: the CPU plugin's inference precision hint)
    prompt_lookup: bool = True

    @property
    def label(self) -> str:
        lookup = " + prompt lookup" if self.prompt_lookup else ""
        return f"{self.backend} {self.precision}{lookup}"


@dataclass(frozen=True)
class Fingerprint:
    """What makes one machine's timings differ from another's."""

    cpu_model: str
    flags: tuple[str, ...]
    cores: int
    libraries: tuple[tuple[str, str], ...]

    @property
    def key(self) -> str:
        text = json.dumps(asdict(self), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def describe(self) -> str:
        flags = ", ".join(self.flags) or "no vector extensions listed"
        return f"{self.cpu_model}, {self.cores} cores ({flags})"


@dataclass
class Timing:
    """One configuration's run of the calibration prompt."""

    name: str  # an Engine label, or an embedder dtype
    seconds: float | None  # wall time of the whole run; None when it failed
    first_piece_s: float | None = None
    pieces: int = 0
    cpu_per_wall: float | None = None
    same_as_reference: bool | None = None
    error: str | None = None
    stopped: bool = False  # slower than the best so far: stopped before the end


@dataclass
class MachineProfile:
    fingerprint: Fingerprint
    generator: str  # the model it was measured on
    engine: Engine | None  # None: nothing qualified, the safe default applies
    embedder: str | None = None
    embedder_dtype: str | None = None
    timings: list[Timing] = field(default_factory=list)
    created: str = ""

    def to_json(self) -> dict[str, Any]:
        document = asdict(self)
        document["format_version"] = FORMAT_VERSION
        document["key"] = self.fingerprint.key
        return document

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> MachineProfile:
        if document.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"format version {document.get('format_version')!r}")
        printed = document["fingerprint"]
        fingerprint = Fingerprint(
            printed["cpu_model"], tuple(printed["flags"]), int(printed["cores"]),
            tuple((str(n), str(v)) for n, v in printed["libraries"]),
        )  # fmt: skip
        engine = document.get("engine")
        return cls(
            fingerprint=fingerprint,
            generator=str(document["generator"]),
            engine=Engine(**engine) if engine else None,
            embedder=document.get("embedder"),
            embedder_dtype=document.get("embedder_dtype"),
            timings=[Timing(**t) for t in document.get("timings", [])],
            created=str(document.get("created", "")),
        )


def this_machine() -> Fingerprint:
    cpu_model, flags = _cpu_info()
    return Fingerprint(
        cpu_model=cpu_model,
        flags=tuple(f for f in KERNEL_FLAGS if f in flags),
        cores=_cores(),
        libraries=tuple((name, _version(name)) for name in LIBRARIES),
    )  # fmt: skip


def profile_path(models_dir: Path, fingerprint: Fingerprint) -> Path:
    return models_dir / PROFILES_FOLDER / f"{fingerprint.key}.json"


def load_profile(
    models_dir: Path, fingerprint: Fingerprint | None = None
) -> tuple[MachineProfile | None, str]:
    """This machine's profile, or None and why not (said to the user as is)."""
    fingerprint = fingerprint or this_machine()
    path = profile_path(models_dir, fingerprint)
    if not path.is_file():
        return None, (
            f"this machine ({fingerprint.describe()}) has not been calibrated: "
            "run `rag models calibrate`"
        )
    try:
        profile = MachineProfile.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as error:
        return None, f"{path} cannot be read ({error}): run `rag models calibrate` again"
    if profile.fingerprint != fingerprint:  # a hash collision or a hand-edited file
        return None, f"{path} was measured on another machine: run `rag models calibrate`"
    return profile, f"measured on this machine ({profile.created})"


def save_profile(models_dir: Path, profile: MachineProfile) -> Path:
    """Written to a temporary file and renamed: a crash leaves the old profile or none."""
    path = profile_path(models_dir, profile.fingerprint)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(profile.to_json(), ensure_ascii=False, indent=2)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp",
                                     encoding="utf-8") as out:  # fmt: skip
        out.write(text)
        temporary = Path(out.name)
    os.replace(temporary, path)
    return path


def busy_reason(cores: int, load_average: float | None = None) -> str | None:
    """Why timings taken now would mislead, or None: other work already fills the cores.

    The one-minute load average counts processes running or waiting for a core; one that is at
    least the number of cores means every timing would share them. The calibration also checks
    each run's CPU time against its wall time (``rag.generation.calibration.busy_runs``).
    """
    if load_average is None:
        try:
            load_average = os.getloadavg()[0]
        except OSError:
            return None
    if load_average >= cores:
        return f"the machine is busy (load average {load_average:.2f} on {cores} cores)"
    return None


def _cores() -> int:
    if hasattr(os, "sched_getaffinity"):  # the cores this process may run on
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _cpu_info() -> tuple[str, set[str]]:
    model, flags = platform.processor() or platform.machine(), set[str]()
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return model, flags
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name.strip() == "model name" and value.strip():
            model = value.strip()
        elif name.strip() in ("flags", "Features") and not flags:
            flags = set(value.split())
    return model, flags


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "absent"
