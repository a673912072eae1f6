"""The seed-style hard negatives (eval/seed_hard_negatives.jsonl), each checked against the real
seed articles: what it asks about is named there, the fact is not stated for it. A record the
articles answer, or one about something they never name, fails here."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from eval import DEVSET
from eval.datasets import load_dataset
from eval.seed_hard import (
    KINDS,
    Absence,
    SeedNegative,
    absence_problems,
    holds,
    read_seed_negatives,
    seed_hard_items,
    units,
)
from eval.splits import HALVES, half_of, origin_id
from eval.unanswerable import Articles, kind_of

NEGATIVES = read_seed_negatives()
TEXTS = Articles.read().texts  # the bundled seed articles, whole


@pytest.mark.parametrize("negative", NEGATIVES, ids=lambda n: n.item.id)
def test_the_articles_name_what_it_asks_about_but_not_the_fact(negative: SeedNegative) -> None:
    assert absence_problems(negative, TEXTS) == []


def negative(near: tuple[str, ...], terms: tuple[str, ...], scope: str) -> SeedNegative:
    return SeedNegative(NEGATIVES[0].item, "year", Absence(near, terms, scope))


def test_a_record_the_articles_answer_is_caught() -> None:
    # 2020's motto is stated ("phương châm hành động của năm 2020 là ...").
    problems = absence_problems(negative(("phương châm",), ("2020",), "sentence"), TEXTS)
    assert problems and "'phương châm' with '2020'" in problems[0]
    # Lạng Sơn's Department completed 16/16 tasks: paragraph and article scopes both see it.
    for scope in ("paragraph", "article"):
        assert absence_problems(negative(("hoàn thành",), ("Lạng Sơn",), scope), TEXTS)


def test_a_record_about_something_no_article_names_is_an_easy_negative() -> None:
    problems = absence_problems(negative(("phương châm",), ("1999",), "paragraph"), TEXTS)
    assert problems == ["'1999' is in no article: an easy negative, not a hard one"]


def test_the_scope_decides_what_counts_as_stating_it() -> None:
    # 2021's article: the staff-cut target sentence names no province; its paragraph does.
    sentence = negative(("biên chế",), ("Khánh Hòa",), "sentence")
    assert absence_problems(sentence, TEXTS) == []
    assert absence_problems(negative(("biên chế",), ("Khánh Hòa",), "paragraph"), TEXTS)
    text = "Dòng một. Câu hai có 2019.\nDòng hai."
    assert units([text], "sentence") == ["Dòng một.", "Câu hai có 2019.", "Dòng hai."]
    assert units([text], "paragraph") == ["Dòng một. Câu hai có 2019.", "Dòng hai."]
    assert units([text], "article") == [text]


def test_terms_match_as_whole_words_ignoring_case_tone_marks_and_number_spelling() -> None:
    assert holds("Sở Nội vụ tỉnh Khánh Hoà", "khánh hòa")
    assert holds("giảm 10,01% so với", "10.01")
    assert not holds("đồng chí Lương Trọng Quỳnh", "lương cơ sở")
    assert not holds("năm 20190", "2019")


def test_the_set_covers_every_kind_in_both_languages_and_both_halves() -> None:
    assert 30 <= len(NEGATIVES) <= 40
    kinds = Counter(n.kind for n in NEGATIVES)
    assert set(kinds) == set(KINDS) and min(kinds.values()) >= 3
    assert Counter(n.item.language for n in NEGATIVES).keys() == {"vi", "en"}
    for half in HALVES:
        items = seed_hard_items(half)
        assert len(items) >= 12 and all(half_of(i.id) == half for i in items)
        assert {i.language for i in items} == {"vi", "en"}
    for n in NEGATIVES:
        assert n.item.unanswerable and n.item.answers == () and kind_of(n.item.id) == n.kind
        assert origin_id(n.item.id).startswith("hard-")


def test_the_questions_are_new() -> None:
    questions = [" ".join(n.item.question.casefold().split()) for n in NEGATIVES]
    assert len(set(questions)) == len(questions)
    dev = {" ".join(i.question.casefold().split()) for i in load_dataset(DEVSET).items}
    assert not dev & set(questions)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"unanswerable": False}, "must be marked unanswerable"),
        ({"kind": "colour"}, "unknown kind"),
        ({"absent": {"near": [], "with": ["2019"]}}, "absent.near"),
        ({"absent": {"near": ["x"], "with": ["2019"], "scope": "page"}}, "unknown scope"),
        ({"answers": ["x"]}, "cannot have answers"),
    ],
)
def test_a_malformed_record_names_its_line(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    good = {"id": "hard-x", "question": "Q?", "language": "vi", "unanswerable": True,
            "kind": "year", "absent": {"near": ["phương châm"], "with": ["2019"]}}  # fmt: skip
    path = tmp_path / "negatives.jsonl"
    lines = [json.dumps(good), json.dumps({**good, "id": "hard-y", **change})]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=message) as caught:
        read_seed_negatives(path)
    assert ":2:" in str(caught.value)
    path.write_text(json.dumps(good) + "\n", encoding="utf-8")
    (read,) = read_seed_negatives(path)
    assert read.item.id == "hard-x~year" and read.absence.scope == "paragraph"  # the default
