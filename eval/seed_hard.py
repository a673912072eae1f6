"""Hard negatives about the seed articles: a year, a province or a person the articles DO name,
asked about a fact they do not state for it (``seed_hard_negatives.jsonl``, written by hand).

An easy negative (a year no article names) is refused by retrieval alone; these are not: the
passages about 2019, about Khánh Hòa or about the minister are there, close to the question,
and only the asked fact is missing (the motto of a year that states none, a sum of money where
only a percentage is given, a department head nobody names).

Each record says how that is checked against the texts, mechanically::

    {"id": "hard-01", "question": "...", "language": "vi", "unanswerable": true, "kind": "year",
     "absent": {"near": ["phương châm"], "with": ["2019"], "scope": "paragraph"}}

``with``: what the question is about; every term must occur in some article (otherwise it is an
easy negative). ``near``: the words any statement of the fact would use; no ``scope`` unit
(``sentence``, ``paragraph`` or whole ``article``) may hold a ``near`` word together with a
``with`` term. Both compare as answers are scored (``eval.metrics.normalize_answer``: case,
tone-mark placement and number spelling ignored, whole words). ``absence_problems`` runs the
checks (``tests/unit/test_eval_seed_hard.py`` runs them on every record); ``seed_hard_items``
gives one half's questions, split by their own ids (``eval.splits``); an evaluated id carries
the kind as its tag (``hard-01~year``, ``eval.unanswerable.kind_of``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rag.ingest.chunking import split_sentences

from .datasets import QAItem, item_from_record
from .metrics import normalize_answer
from .splits import derived_id, take_half

SEED_HARD = Path(__file__).with_name("seed_hard_negatives.jsonl")
SCOPES = ("sentence", "paragraph", "article")
KINDS = ("year", "place", "person", "amount", "count")


@dataclass(frozen=True)
class Absence:
    """No ``scope`` unit of the articles holds a ``near`` word with a ``with`` term."""

    near: tuple[str, ...]
    terms: tuple[str, ...]  # the record's "with"
    scope: str = "paragraph"


@dataclass(frozen=True)
class SeedNegative:
    item: QAItem
    kind: str
    absence: Absence


def read_seed_negatives(path: Path = SEED_HARD) -> list[SeedNegative]:
    """Every record of the file; a malformed one is a ``ValueError`` naming its line."""
    negatives = []
    # Split on "\n" only, as eval.datasets does (str.splitlines also breaks on U+2028).
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").split("\n"), start=1):
        if not line.strip():
            continue
        try:
            negatives.append(negative_from_record(json.loads(line), f"hard-line{number}"))
        except (ValueError, KeyError) as error:
            raise ValueError(f"{path}:{number}: {error}") from error
    ids = [n.item.id for n in negatives]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path}: repeated ids {sorted({i for i in ids if ids.count(i) > 1})}")
    return negatives


def negative_from_record(record: dict[str, Any], fallback_id: str) -> SeedNegative:
    item = item_from_record(record, fallback_id)
    if not item.unanswerable:
        raise ValueError("a seed hard negative must be marked unanswerable")
    kind = str(record["kind"])
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {KINDS}")
    absent = record["absent"]
    if not isinstance(absent, dict):
        raise ValueError("'absent' must be an object {near, with, scope}")
    scope = str(absent.get("scope", "paragraph"))
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}; expected one of {SCOPES}")
    absence = Absence(_words(absent, "near"), _words(absent, "with"), scope)
    # The kind is the id's tag ("hard-01~year"): split by "hard-01", reported per kind.
    return SeedNegative(replace(item, id=derived_id(item.id, kind)), kind, absence)


def _words(absent: dict[str, Any], name: str) -> tuple[str, ...]:
    value = absent.get(name)
    if not isinstance(value, list) or not value:
        raise ValueError(f"'absent.{name}' must be a non-empty list of strings")
    if not all(isinstance(v, str) and normalize_answer(v) for v in value):
        raise ValueError(f"'absent.{name}' holds an empty or non-string term: {value!r}")
    return tuple(value)


# --- the checks ---------------------------------------------------------------------------


def units(texts: Iterable[str], scope: str) -> list[str]:
    """The articles cut into ``scope`` units: sentences, paragraphs (lines) or whole texts."""
    if scope == "article":
        return list(texts)
    if scope == "paragraph":
        return [line for text in texts for line in text.split("\n") if line.strip()]
    if scope == "sentence":
        return [text[a:b] for text in texts for a, b in split_sentences(text)]
    raise ValueError(f"unknown scope {scope!r}; expected one of {SCOPES}")


def holds(text: str, word: str) -> bool:
    """Whether ``word`` occurs in ``text`` as whole words, compared as answers are."""
    wanted = normalize_answer(word)
    return bool(wanted) and f" {wanted} " in f" {normalize_answer(text)} "


def absence_problems(negative: SeedNegative, texts: Sequence[str]) -> list[str]:
    """What is wrong with a record against the article texts; empty when the entity is named
    and no unit states the fact."""
    absence, problems = negative.absence, []
    for term in absence.terms:
        if not any(holds(text, term) for text in texts):
            problems.append(f"{term!r} is in no article: an easy negative, not a hard one")
    for unit in units(texts, absence.scope):
        near = [w for w in absence.near if holds(unit, w)]
        terms = [t for t in absence.terms if holds(unit, t)]
        if near and terms:
            excerpt = " ".join(unit.split())[:160]
            problems.append(f"a {absence.scope} holds {near[0]!r} with {terms[0]!r}: {excerpt}")
    return problems


# --- the questions ------------------------------------------------------------------------


def seed_hard_items(half: str, path: Path = SEED_HARD) -> list[QAItem]:
    """The hard negatives of one half, in file order."""
    return take_half((n.item for n in read_seed_negatives(path)), half)
