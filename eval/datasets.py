"""Reading Q&A files into one list of ``QAItem``: JSONL, CSV, and SQuAD v1.1 / v2 JSON.

JSONL and CSV records carry ``question``, ``answers``, optional ``keys`` (strings a correct
answer must contain, ``|`` between accepted spellings), ``unanswerable``, ``source`` (the gold
doc_id), ``language`` and ``id``. In CSV, ``answers`` is a JSON list or ``|``-separated, and
``keys`` a JSON list or ``;``-separated (``|`` already means "or" inside one key).

A SQuAD file also yields its paragraphs, each with the id ``<title>#<paragraph index>``, which
is every question's gold source, so the paragraphs can be indexed as the collection.

A malformed record is reported with its line number and skipped; the others load. A file with
nothing usable in it is a ``DatasetError``.
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.errors import FileProblem
from rag.text import guess_language, normalize

FORMATS = {".jsonl": "jsonl", ".csv": "csv", ".json": "squad"}
_TRUE = {"true", "1", "yes", "y"}
_FALSE = {"false", "0", "no", "n", ""}


class DatasetError(FileProblem):
    """A Q&A file, or one record of it, cannot be used."""


@dataclass(frozen=True)
class QAItem:
    """One question with what a correct reply looks like."""

    id: str
    question: str
    answers: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()
    unanswerable: bool = False
    source: str | None = None  # the gold doc_id (or SQuAD paragraph id)
    language: str = "en"

    def gold(self) -> dict[str, Any]:
        return {
            "answers": list(self.answers), "keys": list(self.keys),
            "source": self.source, "unanswerable": self.unanswerable,
        }  # fmt: skip


@dataclass(frozen=True)
class Paragraph:
    """A SQuAD context, ready to be indexed as an article."""

    id: str
    title: str
    text: str


@dataclass
class Dataset:
    path: Path
    format: str
    items: list[QAItem]
    problems: list[DatasetError] = field(default_factory=list)
    paragraphs: list[Paragraph] = field(default_factory=list)
    ids: set[str] = field(default_factory=set, repr=False)  # of items, to refuse duplicates

    @property
    def name(self) -> str:
        """The file name without its suffix: ``xquad.vi.json`` -> ``xquad.vi``."""
        return self.path.name.removesuffix(self.path.suffix)


# --- entry point ------------------------------------------------------------------------------


def load_dataset(path: Path | str, language: str | None = None) -> Dataset:
    """Read a Q&A file; ``language`` (``vi``/``en``) overrides the per-question language guess."""
    path = Path(path).expanduser()
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise DatasetError(str(path), f"unsupported file type; expected one of {sorted(FORMATS)}")
    text = _read_text(path)
    if kind == "squad":
        dataset = _parse_squad(path, text, language)
    else:
        rows = _jsonl_rows(path, text) if kind == "jsonl" else _csv_rows(path, text)
        dataset = Dataset(path, kind, [])
        for line, row in rows:
            if isinstance(row, DatasetError):
                dataset.problems.append(row)
                continue
            try:
                item = item_from_record(row, f"q{line}", language, csv=kind == "csv")
            except ValueError as error:
                dataset.problems.append(DatasetError(str(path), str(error), line))
                continue
            _add(dataset, item, line)
    if not dataset.items:
        first = dataset.problems[0].reason if dataset.problems else "no records"
        raise DatasetError(str(path), f"no question could be read ({first})")
    return dataset


def item_from_record(
    record: dict[str, Any], fallback_id: str, language: str | None = None, csv: bool = False
) -> QAItem:
    """One QAItem from a JSONL/CSV record; ``ValueError`` says what is wrong with it."""
    question = record.get("question")
    if not isinstance(question, str) or not question.strip():
        raise ValueError("the record has no 'question'")
    answers = _strings(record.get("answers"), "answers", "|" if csv else None)
    keys = _strings(record.get("keys"), "keys", ";" if csv else None)
    unanswerable = _boolean(record.get("unanswerable"))
    if unanswerable and answers:
        raise ValueError("an unanswerable question cannot have answers")
    source = record.get("source")
    if source is not None and not isinstance(source, str):
        raise ValueError(f"'source' must be a doc_id string, not {source!r}")
    raw_id = record.get("id")
    lang = language or str(record.get("language") or "").strip().lower() or guess_language(question)
    return QAItem(
        id=str(raw_id).strip() if raw_id not in (None, "") else fallback_id,
        question=normalize(question).strip(),
        answers=answers, keys=keys, unanswerable=unanswerable,
        source=(source.strip() or None) if source else None, language=lang,
    )  # fmt: skip


# --- JSONL and CSV ----------------------------------------------------------------------------

Row = tuple[int, dict[str, Any] | DatasetError]


def _jsonl_rows(path: Path, text: str) -> Iterator[Row]:
    # Split on "\n" only, never str.splitlines(): text may hold U+2028, which it breaks on.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            yield number, DatasetError(str(path), f"invalid JSON ({error.msg})", number)
            continue
        if not isinstance(record, dict):
            yield number, DatasetError(str(path), "the line is not a JSON object", number)
            continue
        yield number, record


def _csv_rows(path: Path, text: str) -> Iterator[Row]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in reader.fieldnames or []]
    if "question" not in header:
        raise DatasetError(str(path), f"no 'question' column in the header {header}", 1)
    reader.fieldnames = header
    try:
        for row in reader:
            if None in row:  # csv puts surplus fields under the key None
                yield (
                    reader.line_num,
                    DatasetError(
                        str(path), "more fields than the header has columns", reader.line_num
                    ),
                )
                continue
            yield reader.line_num, {k: v for k, v in row.items() if v is not None}
    except csv.Error as error:
        yield reader.line_num, DatasetError(str(path), f"malformed CSV ({error})", reader.line_num)


def _strings(value: Any, name: str, separator: str | None) -> tuple[str, ...]:
    """A list of non-empty strings from a JSON list, or a CSV cell (JSON list or separated)."""
    if value is None:
        return ()
    if isinstance(value, str):
        stripped = value.strip()
        if separator is not None and stripped.startswith("["):
            try:
                value = json.loads(stripped)
            except json.JSONDecodeError as error:
                raise ValueError(f"'{name}' is not a valid JSON list ({error.msg})") from error
        elif separator is not None:
            value = stripped.split(separator)
        else:
            value = [value]  # JSONL: a lone string is one answer
    if not isinstance(value, list):
        raise ValueError(f"'{name}' must be a list of strings")
    if not all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value):
        raise ValueError(f"'{name}' must be a list of strings")
    return tuple(normalize(str(v)).strip() for v in value if str(v).strip())


def _boolean(value: Any) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError(f"'unanswerable' must be true or false, not {value!r}")


# --- SQuAD ------------------------------------------------------------------------------------


def paragraph_id(title: str, index: int) -> str:
    return f"{title}#{index}"


def _parse_squad(path: Path, text: str, language: str | None) -> Dataset:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise DatasetError(str(path), f"invalid JSON ({error.msg})", error.lineno) from error
    articles = document.get("data") if isinstance(document, dict) else None
    if not isinstance(articles, list):
        raise DatasetError(str(path), "not a SQuAD file: no 'data' list")
    dataset = Dataset(path, "squad", [])
    per_title: dict[str, int] = {}  # repeated titles keep numbering, so ids stay unique
    for a, article in enumerate(articles):
        if not isinstance(article, dict) or not isinstance(article.get("paragraphs"), list):
            dataset.problems.append(DatasetError(str(path), f"data[{a}] has no 'paragraphs' list"))
            continue
        title = str(article.get("title") or f"article{a}")
        for p, paragraph in enumerate(article["paragraphs"]):
            where = f"data[{a}].paragraphs[{p}]"
            context = paragraph.get("context") if isinstance(paragraph, dict) else None
            if not isinstance(context, str) or not context.strip():
                dataset.problems.append(DatasetError(str(path), f"{where} has no 'context'"))
                continue
            pid = paragraph_id(title, per_title.get(title, 0))
            per_title[title] = per_title.get(title, 0) + 1
            dataset.paragraphs.append(Paragraph(pid, title, normalize(context)))
            for q, qa in enumerate(paragraph.get("qas") or []):
                try:
                    _add(dataset, _squad_item(qa, pid, language))
                except ValueError as error:
                    dataset.problems.append(DatasetError(str(path), f"{where}.qas[{q}]: {error}"))
    return dataset


def _squad_item(qa: Any, pid: str, language: str | None) -> QAItem:
    if not isinstance(qa, dict):
        raise ValueError("not a JSON object")
    impossible = bool(qa.get("is_impossible", False))  # SQuAD v2
    spans = qa.get("answers") or []
    if not isinstance(spans, list) or not all(isinstance(s, dict) for s in spans):
        raise ValueError("'answers' must be a list of {text, answer_start}")
    answers = list(dict.fromkeys(str(s.get("text", "")).strip() for s in spans))
    answers = [a for a in answers if a]
    if not impossible and not answers:
        raise ValueError("an answerable question has no answer text")
    if qa.get("id") in (None, ""):
        raise ValueError("the question has no 'id'")
    record = {"id": qa["id"], "question": qa.get("question"), "source": pid,
              "answers": [] if impossible else answers, "unanswerable": impossible}  # fmt: skip
    return item_from_record(record, str(qa["id"]), language)


# --- files ------------------------------------------------------------------------------------


def _read_text(path: Path) -> str:
    if not path.is_file():
        raise DatasetError(str(path), "no such file")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise DatasetError(str(path), f"cannot read the file ({error.strerror})") from error
    except UnicodeDecodeError as error:
        raise DatasetError(
            str(path), f"not UTF-8 text (bad byte at offset {error.start})"
        ) from error
    if not text.strip():
        raise DatasetError(str(path), "the file is empty")
    return text


def _add(dataset: Dataset, item: QAItem, line: int | None = None) -> None:
    """Results are keyed by id, so a repeated id is reported and skipped."""
    if item.id in dataset.ids:
        dataset.problems.append(DatasetError(str(dataset.path), f"duplicate id {item.id!r}", line))
        return
    dataset.ids.add(item.id)
    dataset.items.append(item)


def select_items(
    items: Sequence[QAItem], limit: int | None = None, sample: int | None = None, seed: int = 0
) -> list[QAItem]:
    """The questions to evaluate: the first ``limit``, or a seeded random ``sample`` of them.

    A sample spreads a short run over the whole file (the first N questions of a SQuAD file
    all come from its first articles); the same seed picks the same ids, in file order.
    """
    chosen = list(items)
    if sample is not None and sample < len(chosen):
        picked = set(random.Random(seed).sample(range(len(chosen)), sample))
        chosen = [item for i, item in enumerate(chosen) if i in picked]
    return chosen[:limit] if limit else chosen
