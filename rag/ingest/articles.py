"""Articles: reading them from plain-text and JSONL files, and cleaning them.

A plain-text article is what a person saves from a news page: an optional date line, a title,
an outlet marker at the start of the lead ("(Chinhphu.vn) -", "LSO-"), paragraphs interleaved
with image captions and stray characters, and a byline at the end. The loader keeps the prose and
the facts about the article (title, date, outlet, byline), and drops the rest.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from rag.errors import DocumentError
from rag.ingest import cleaning
from rag.ingest.cleaning import SENTENCE_END as _SENTENCE_END
from rag.ingest.cleaning import STRAY_LINE as _STRAY
from rag.text import normalize

SUPPORTED_SUFFIXES = (".txt", ".jsonl", ".jsonl.gz")
MAX_FILE_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Article:
    """One cleaned article. ``text`` is the body, paragraphs separated by blank lines."""

    doc_id: str
    title: str
    text: str
    date: str | None = None  # ISO yyyy-mm-dd, as published (may be wrong: see retrieval)
    source: str | None = None  # outlet, e.g. "Chinhphu.vn"
    byline: str | None = None
    url: str | None = None

    @property
    def paragraphs(self) -> list[str]:
        return self.text.split("\n\n")


@dataclass
class LoadResult:
    """Articles that loaded, and one error for each file or record that did not."""

    articles: list[Article] = field(default_factory=list)
    errors: list[DocumentError] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)  # doc_ids indexed before, now replaced


# --- public entry points ----------------------------------------------------------------------


def load_articles(paths: Iterable[Path | str]) -> LoadResult:
    """Load every supported file under the given files and folders; bad files are reported."""
    result = LoadResult()
    seen: set[str] = set()
    for path in _expand_paths(paths, result):
        try:
            articles, record_errors = load_file(path)
        except DocumentError as error:
            result.errors.append(error)
            continue
        result.errors.extend(record_errors)
        for article in articles:
            if article.doc_id in seen:
                result.errors.append(
                    DocumentError(str(path), f"duplicate doc_id {article.doc_id!r}, skipped")
                )
                continue
            seen.add(article.doc_id)
            result.articles.append(article)
    return result


def load_file(path: Path) -> tuple[list[Article], list[DocumentError]]:
    """Articles of one file, plus errors for records that were skipped (JSONL)."""
    name = path.name.lower()
    if name.endswith(".txt"):
        return [parse_plain_text(path.name, _read_text(path))], []
    if name.endswith((".jsonl", ".jsonl.gz")):
        return _load_jsonl(path)
    raise DocumentError(str(path), f"unsupported file type; expected one of {SUPPORTED_SUFFIXES}")


def parse_plain_text(doc_id: str, raw: str) -> Article:
    """Parse one saved news page (see the module doc) into an Article."""
    blocks = _blocks(normalize(raw))
    if not blocks:
        raise DocumentError(doc_id, "the article is empty")
    published, blocks = _take_date_line(blocks)
    title, blocks = _take_title(blocks)
    byline, blocks = _take_byline(blocks)
    source, blocks = _take_outlet(blocks)
    paragraphs = clean_paragraphs(blocks)
    if not paragraphs:
        raise DocumentError(doc_id, "no article text left after cleaning")
    if title is None:
        title = _title_from_lead(paragraphs[0])
    return Article(doc_id, title, "\n\n".join(paragraphs), published, source, byline)


def article_from_record(record: dict[str, object], origin: str) -> Article:
    """Build an Article from a JSON record ``{id, title, body, date?, url?}``."""
    doc_id = record.get("id")
    body = record.get("body")
    if doc_id is None or str(doc_id).strip() == "":
        raise DocumentError(origin, "record has no 'id'")
    if not isinstance(body, str) or not body.strip():
        raise DocumentError(origin, f"record {doc_id!r} has no 'body' text")
    title = normalize(str(record.get("title") or "")).strip()
    source, blocks = body_blocks(body)
    paragraphs = clean_paragraphs(blocks)
    if not paragraphs:
        raise DocumentError(origin, f"record {doc_id!r} has no text left after cleaning")
    return Article(
        doc_id=str(doc_id),
        title=title or _title_from_lead(paragraphs[0]),
        text="\n\n".join(paragraphs),
        date=parse_date(str(record["date"])) if record.get("date") else None,
        source=source,
        url=str(record["url"]) if record.get("url") else None,
    )


def body_blocks(body: str) -> tuple[str | None, list[str]]:
    """The outlet marker and the paragraphs of a record's body, before cleaning."""
    return _take_outlet(_blocks(normalize(body)))


# --- cleaning ---------------------------------------------------------------------------------


def clean_paragraphs(blocks: Iterable[str]) -> list[str]:
    """Drop image captions, stray one-letter lines and repeated paragraphs; keep the prose.

    The rules, each named and testable alone, are in ``rag.ingest.cleaning``.
    """
    return cleaning.clean(blocks)


def _blocks(text: str) -> list[str]:
    """Non-empty lines as paragraphs; a line ending in a comma continues on the next."""
    blocks: list[str] = []
    pending = ""
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = line.strip()
        if not line:
            if pending:
                blocks.append(pending)
                pending = ""
            continue
        pending = f"{pending} {line}" if pending else line
        if not pending.endswith(","):
            blocks.append(pending)
            pending = ""
    if pending:
        blocks.append(pending)
    return [re.sub(r" {2,}", " ", b) for b in blocks]


# --- the parts of a saved page ----------------------------------------------------------------

_DATE = re.compile(r"(?<!\d)(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?!\d)")
_ISO_DATE = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})")
_WEEKDAY = re.compile(r"^(thứ\s+\w+|chủ\s+nhật)\b", re.IGNORECASE)


def parse_date(text: str) -> str | None:
    """An ISO date from ``27/01/2021``, ``2021-01-27`` or ``20210127``; None if there is none."""
    text = text.strip()
    iso = _ISO_DATE.match(text)
    if iso:
        year, month, day = (int(g) for g in iso.groups())
    else:
        found = _DATE.search(text)
        if not found:
            return None
        day, month, year = (int(g) for g in found.groups())
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _take_date_line(blocks: list[str]) -> tuple[str | None, list[str]]:
    """A leading line that is only a date (with weekday or time), e.g. 'Thứ tư, 27/01/2021'."""
    first = blocks[0]
    if len(first) <= 60 and _DATE.search(first):
        rest = _DATE.sub("", first)
        rest = _WEEKDAY.sub("", rest.strip())
        if not re.search(r"[^\W\d_]{3,}", re.sub(r"\(GMT[^)]*\)", "", rest)):
            return parse_date(first), blocks[1:]
    return None, blocks


def _take_title(blocks: list[str]) -> tuple[str | None, list[str]]:
    """A short first line without a final full stop is the headline."""
    while blocks and _STRAY.match(blocks[0]):
        blocks = blocks[1:]
    if blocks and len(blocks) > 1 and len(blocks[0]) <= 200 and not blocks[0].endswith("."):
        return blocks[0], blocks[1:]
    return None, blocks


def _take_byline(blocks: list[str]) -> tuple[str | None, list[str]]:
    """The last short line of names (after trailing stray characters) is the byline."""
    end = len(blocks)
    while end > 0 and _STRAY.match(blocks[end - 1]):
        end -= 1
    if end > 1:
        last = blocks[end - 1]
        words = last.replace("-", " ").split()
        short = len(last) <= 60 and len(words) <= 8
        if (
            short
            and not _SENTENCE_END.search(last.rstrip("."))
            and all(w[:1].isupper() for w in words)
        ):
            return last, blocks[: end - 1]
    return None, blocks[:end]


_OUTLET_PAREN = re.compile(r"^\((?P<name>[^()\n]{2,40})\)\s*[-–—]?\s*")
_OUTLET_CODE = re.compile(r"^(?P<name>[A-ZĐ]{2,8})\s*[-–—]\s*")


def _take_outlet(blocks: list[str]) -> tuple[str | None, list[str]]:
    """An outlet marker opening the lead, '(Chinhphu.vn) -' or 'LSO-', is recorded and removed."""
    if not blocks:
        return None, blocks
    for pattern in (_OUTLET_PAREN, _OUTLET_CODE):
        match = pattern.match(blocks[0])
        if match:
            lead = blocks[0][match.end() :]
            return match.group("name").strip(), [lead, *blocks[1:]]
    return None, blocks


def _title_from_lead(lead: str, limit: int = 120) -> str:
    first_sentence = re.split(r"(?<=[.!?])\s", lead, maxsplit=1)[0]
    if len(first_sentence) <= limit:
        return first_sentence.rstrip(".")
    return first_sentence[:limit].rsplit(" ", 1)[0] + "…"


# --- files ------------------------------------------------------------------------------------


def _expand_paths(paths: Iterable[Path | str], result: LoadResult) -> Iterator[Path]:
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and _supported(p))
            if not files:
                result.errors.append(DocumentError(str(path), "no .txt or .jsonl files in folder"))
            yield from files
        elif path.is_file():
            yield path
        else:
            result.errors.append(DocumentError(str(path), "no such file or folder"))


def _supported(path: Path) -> bool:
    return path.name.lower().endswith(SUPPORTED_SUFFIXES) and not path.name.startswith(".")


def _read_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise DocumentError(str(path), f"file is {size:,} bytes, over {MAX_FILE_BYTES:,}")
        data = path.read_bytes()
    except OSError as error:
        raise DocumentError(str(path), f"cannot read file ({error.strerror})") from error
    if not data.strip():
        raise DocumentError(str(path), "file is empty")
    return data


def _read_text(path: Path) -> str:
    data = _read_bytes(path)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DocumentError(
            str(path), f"not UTF-8 text (bad byte at offset {error.start})"
        ) from error


def _load_jsonl(path: Path) -> tuple[list[Article], list[DocumentError]]:
    articles: list[Article] = []
    errors: list[DocumentError] = []
    for number, line in _jsonl_lines(path):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise DocumentError(str(path), "a line is not a JSON object", number)
            articles.append(article_from_record(record, f"{path}, line {number}"))
        except json.JSONDecodeError as error:
            errors.append(DocumentError(str(path), f"invalid JSON ({error.msg})", number))
        except DocumentError as error:
            errors.append(DocumentError(str(path), error.reason, number))
    if not articles:
        reason = errors[0].reason if errors else "no records"
        raise DocumentError(str(path), f"no article could be read ({reason})")
    return articles, errors


def _jsonl_lines(path: Path) -> Iterator[tuple[int, str]]:
    # Line by line, never str.splitlines(): bodies may hold U+2028, which splitlines breaks on.
    if path.name.lower().endswith(".gz"):
        try:
            with gzip.open(path, "rt", encoding="utf-8-sig") as handle:
                yield from enumerate(handle, start=1)
        except (OSError, UnicodeDecodeError, EOFError) as error:
            raise DocumentError(str(path), f"cannot read compressed file ({error})") from error
        return
    text = _read_text(path)
    yield from enumerate(text.split("\n"), start=1)
