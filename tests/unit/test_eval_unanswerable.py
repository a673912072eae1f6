"""eval.unanswerable: the swapped years and provinces occur in no article; the XQuAD filter drops
what the articles could answer; everything is deterministic and reads back as a Q&A file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from eval import DEVSET
from eval.datasets import QAItem, load_dataset
from eval.unanswerable import (
    PROVINCES,
    Articles,
    kind_of,
    main,
    place_variant,
    swapped_questions,
    write_items,
    xquad_items,
    xquad_on_seed,
)
from eval.xquad import XQUAD_DIR
from rag.settings import BUNDLED_ARTICLES
from rag.text import strip_diacritics

YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")


@pytest.fixture(scope="module")
def articles() -> Articles:
    return Articles.read(BUNDLED_ARTICLES)


@pytest.fixture(scope="module")
def raw_articles() -> str:
    """The article files as bytes on disk say, lower-cased, without diacritics."""
    files = sorted(BUNDLED_ARTICLES.glob("*.txt"))
    return strip_diacritics(" ".join(p.read_text(encoding="utf-8") for p in files)).lower()


@pytest.fixture(scope="module")
def dev() -> list[QAItem]:
    return load_dataset(DEVSET).items


@pytest.fixture(scope="module")
def variants(dev: list[QAItem], articles: Articles) -> list[QAItem]:
    return swapped_questions(dev, articles, seed=0)


def test_the_article_years_are_read_with_their_spans(articles: Articles) -> None:
    assert articles.has_year(2021) and articles.has_year(1945)
    assert not articles.has_year(2017)
    covered = articles.covered
    assert {2016, 2017, 2018, 2020, 2030} <= covered  # 2017: inside "2016 – 2020"
    assert not {1990, 2010, 2014, 2031} & covered


def test_every_swapped_year_occurs_in_no_article(
    variants: list[QAItem], dev: list[QAItem], raw_articles: str
) -> None:
    originals = {item.id: item for item in dev}
    years = [v for v in variants if kind_of(v.id) == "year"]
    assert len(years) >= 40
    for variant in years:
        new = [int(y) for y in YEAR.findall(variant.question)]
        old = [int(y) for y in YEAR.findall(originals[variant.id.split("~")[0]].question)]
        assert len(new) == len(old) and new != old
        assert len({n - o for n, o in zip(new, old, strict=True)}) == 1  # one shift: spans hold
        for year in new:
            assert not re.search(rf"(?<!\d){year}(?!\d)", raw_articles), (variant.id, year)


def test_every_swapped_province_occurs_in_no_article(
    variants: list[QAItem], dev: list[QAItem], raw_articles: str
) -> None:
    originals = {item.id: item for item in dev}
    places = [v for v in variants if kind_of(v.id) == "place"]
    assert len(places) >= 15
    for variant in places:
        original = originals[variant.id.split("~")[0]].question
        named = [p for p in PROVINCES if strip_diacritics(p) in strip_diacritics(variant.question)]
        assert named, variant.question
        for province in named:
            assert strip_diacritics(province).lower() not in raw_articles, (variant.id, province)
            assert strip_diacritics(province) not in strip_diacritics(original)


def test_an_unaccented_province_is_swapped_unaccented(articles: Articles) -> None:
    item = QAItem("e1", "What did the Lang Son Department of Home Affairs do?", ("x",))
    variant = place_variant(item, articles)
    assert variant is not None and "Lang Son" not in variant.question
    assert variant.question == strip_diacritics(variant.question)  # no diacritics brought in
    assert not articles.names(variant.question.split("the ")[1].split(" Department")[0])


def test_variants_are_unanswerable_and_keep_their_language(variants: list[QAItem]) -> None:
    for variant in variants:
        assert variant.unanswerable and not variant.answers and not variant.keys
        assert variant.source is None and variant.language == variant.id[:2]


def test_questions_without_years_or_provinces_give_nothing(articles: Articles) -> None:
    plain = QAItem("p1", "Cải cách chính sách tiền lương theo nghị quyết số mấy?", ("27",))
    unanswerable = QAItem("u1", "Thủ đô của Pháp năm 2020?", unanswerable=True)
    assert swapped_questions([plain, unanswerable], articles) == []
    big_number = QAItem("n1", "Biên chế 1.783.174 người và 20,8% là gì?", ("x",))
    assert swapped_questions([big_number], articles) == []  # neither is a year


def test_the_swaps_are_deterministic(dev: list[QAItem], articles: Articles) -> None:
    first = swapped_questions(dev, articles, seed=3)
    assert first == swapped_questions(dev, articles, seed=3)
    assert first != swapped_questions(dev, articles, seed=4)
    # One question's variant does not depend on which other questions come with it.
    assert swapped_questions(dev[5:6], articles, seed=3) == [
        v for v in first if v.id.startswith(dev[5].id + "~")
    ]


def test_xquad_questions_the_articles_could_answer_are_dropped(articles: Articles) -> None:
    questions = [
        QAItem(
            "a1", "Which team won Super Bowl 50?", ("Denver Broncos",), source="Super_Bowl_50#0"
        ),
        QAItem("a2", "Which province hosted it?", ("Lạng Sơn",), source="X#0"),  # in an article
        QAItem("a3", "Where is Vietnam's capital?", ("Hanoi",), source="Asia#0"),
        QAItem("a4", "Ai?", ("Ai đó",), source="Việt_Nam#1", language="vi"),
    ]
    kept = xquad_on_seed(questions, articles)
    assert [item.id for item in kept] == ["a1~seed-en"]
    assert kept[0].unanswerable and kept[0].source is None and not kept[0].answers
    assert kept[0].question == questions[0].question


def test_written_questions_read_back(variants: list[QAItem], tmp_path: Path) -> None:
    path = write_items(variants, tmp_path / "sets" / "swapped.jsonl")
    assert load_dataset(path).items == variants
    assert not list(path.parent.glob("*.partial"))


@pytest.mark.skipif(not (XQUAD_DIR / "xquad.vi.json").exists(), reason="no XQuAD beside the repo")
def test_the_real_xquad_questions_asked_of_the_articles(articles: Articles, tmp_path: Path) -> None:
    every = xquad_items(XQUAD_DIR)
    kept = xquad_on_seed(every, articles)
    assert 0.9 * len(every) < len(kept) < len(every)
    assert main(["--out", str(tmp_path), "--xquad-dir", str(XQUAD_DIR)]) == 0
    assert len(load_dataset(tmp_path / "xquad-on-seed.jsonl").items) == len(kept)
