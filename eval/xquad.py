"""XQuAD (Vietnamese split and the parallel English original) as a cross-lingual benchmark.

Both files hold the same question ids. An English question is evaluated against the index of
the *Vietnamese* paragraphs: its gold source is the Vietnamese paragraph its id belongs to.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from rag.settings import PROJECT_ROOT

from .datasets import QAItem, load_dataset

log = logging.getLogger(__name__)

# Benchmark data lives beside the project, never inside it (see ../shared/data/README.md).
XQUAD_DIR = PROJECT_ROOT.parent / "shared" / "data" / "xquad"
XQUAD_VI = XQUAD_DIR / "xquad.vi.json"
XQUAD_EN = XQUAD_DIR / "xquad.en.json"


def cross_lingual_items(vi_path: Path | str, en_path: Path | str) -> Iterator[QAItem]:
    """The English questions, each with the Vietnamese paragraph of the same question id as its
    gold source; the gold answers are the English spans plus the Vietnamese ones (the assistant
    may quote the Vietnamese text). Questions without a Vietnamese twin are skipped, logged.
    """
    vietnamese = {item.id: item for item in load_dataset(vi_path, language="vi").items}
    missing = 0
    for item in load_dataset(en_path, language="en").items:
        twin = vietnamese.get(item.id)
        if twin is None:
            missing += 1
            continue
        answers = () if item.unanswerable else tuple(dict.fromkeys(item.answers + twin.answers))
        yield replace(item, source=twin.source, answers=answers)
    if missing:
        log.warning("%d English questions have no Vietnamese counterpart; skipped", missing)
