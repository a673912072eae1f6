"""benchmarks/choose_half.py evaluates the choose half of eval.splits, never a question of the
report half (it had a split rule of its own, which put report-half questions in its runs)."""

from __future__ import annotations

import importlib.util
from types import ModuleType

from eval import DEVSET
from eval.datasets import load_dataset
from eval.splits import half_of
from rag.settings import PROJECT_ROOT


def choose_half_script() -> ModuleType:
    path = PROJECT_ROOT / "benchmarks" / "choose_half.py"
    spec = importlib.util.spec_from_file_location("choose_half_script", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_questions_chosen_are_all_of_the_choose_half() -> None:
    items = load_dataset(DEVSET).items
    chosen = choose_half_script().choose(items, n=len(items), seed=0)
    assert chosen and all(half_of(item.id) == "choose" for item in chosen)
    assert len(chosen) == sum(half_of(item.id) == "choose" for item in items)
