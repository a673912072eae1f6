"""The articles users added to (or removed from) the default collection, kept outside the
repository so that they survive restarts and every rebuild of the default index.

One append-only JSON-lines log (``Settings.resolved_added_dir / changes.jsonl``): a line per
article added or replaced (``{"add": {...article...}}``) and per article removed
(``{"remove": doc_id}``). A line is appended and flushed to disk before the index is saved, so a
rebuild always includes every change the index reported; a line cut short by a crash (the
last one) is ignored, since the index never saw it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rag.ingest.articles import Article

log = logging.getLogger(__name__)
LOG_NAME = "changes.jsonl"


class AddedArticles:
    """The log of one collection's own changes."""

    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / LOG_NAME

    def record(self, articles: Sequence[Article], removed: set[str]) -> None:
        """Append the change and flush it to disk."""
        lines = [{"add": asdict(a)} for a in articles] + [{"remove": d} for d in sorted(removed)]
        if not lines:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a+", encoding="utf-8") as handle:
            if handle.tell() and not _ends_with_newline(self.path):
                handle.write("\n")  # end a line a crash cut short, so it stays alone
            handle.writelines(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
            handle.flush()
            os.fsync(handle.fileno())

    def apply(self, bundled: Sequence[Article]) -> list[Article]:
        """The bundled articles with the logged changes applied, in order."""
        articles = {a.doc_id: a for a in bundled}
        for line in self._lines():
            if "add" in line:
                article = Article(**line["add"])
                articles.pop(
                    article.doc_id, None
                )  # a replacement moves to the end, as in the index
                articles[article.doc_id] = article
            elif "remove" in line:
                articles.pop(line["remove"], None)
        return list(articles.values())

    def digest(self) -> str:
        """Changes whenever the log does (part of the default index's fingerprint)."""
        if not self.path.is_file():
            return ""
        return hashlib.sha256(self.path.read_bytes()).hexdigest()

    def _lines(self) -> list[dict[str, Any]]:
        if not self.path.is_file():
            return []
        lines = []
        for number, text in enumerate(self.path.read_text(encoding="utf-8").splitlines(), 1):
            try:
                lines.append(json.loads(text))
            except ValueError:
                log.warning("%s line %d is unreadable (cut short by a crash?); skipped",
                            self.path, number)  # fmt: skip
        return lines


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"
