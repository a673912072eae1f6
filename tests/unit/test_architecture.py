"""The import contracts of pyproject.toml ([tool.importlinter]) hold: dependencies flow one way,
embeddings/ <- the rag/ core <- ui/, eval/ <- the CLI, and no module imports in a circle."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_are_kept() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_import_rag_stays_light() -> None:
    """`import rag` (and the CLI's entry point) pulls in neither Gradio, torch nor the eval."""
    code = (
        "import sys, rag, rag.cli; "
        "heavy = ('gradio', 'torch', 'transformers', 'ui', 'eval'); "
        "heavy = [m for m in heavy if m in sys.modules]; "
        "print(heavy)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
