"""The news dumps of ../shared/data/news (``*.jsonl.gz``), read in place for the benchmarks.

One reader for every benchmark that needs real news: the files are read line by line (some
bodies hold U+2028, which a line-splitting reader of the whole text would break on, and the
dumps are large), blank lines are skipped, and each record comes with its source (the file
name's first part: the two files' ids may collide, so a benchmark's id joins the two).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rag.settings import PROJECT_ROOT

NEWS_DIR = PROJECT_ROOT.parent / "shared" / "data" / "news"


def news_records(
    folder: Path = NEWS_DIR, limit: int | None = None
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(source, record) for each line of each dump, in file order; at most ``limit``."""
    seen = 0
    for path in sorted(folder.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8-sig") as lines:
            for line in lines:
                if not line.strip():
                    continue
                if limit is not None and seen >= limit:
                    return
                yield path.name.split("_")[0], json.loads(line)
                seen += 1
