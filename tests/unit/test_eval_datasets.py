"""eval.datasets: the JSONL, CSV and SQuAD readers, bad input, and the development set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval import DEVSET
from eval.datasets import DatasetError, QAItem, load_dataset, select_items
from eval.metrics import contains_answer, key_match
from rag.ingest.articles import load_articles
from rag.settings import BUNDLED_ARTICLES


def write_jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def squad(articles: list[dict[str, object]], version: str = "1.1") -> dict[str, object]:
    return {"version": version, "data": articles}


# --- JSONL ------------------------------------------------------------------------------------


def test_jsonl_records_become_items(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "qa.jsonl", [
        {"id": "a", "question": "Biên chế năm 2021 là bao nhiêu?", "answers": ["247.344"],
         "keys": ["247.344|247344", "2021"], "source": "000.txt", "language": "vi"},
        {"question": "What is the capital of France?", "unanswerable": True},
    ])  # fmt: skip
    dataset = load_dataset(path)
    assert dataset.format == "jsonl" and dataset.name == "qa" and not dataset.problems
    first, second = dataset.items
    assert first.id == "a" and first.answers == ("247.344",)
    assert first.keys == ("247.344|247344", "2021") and first.source == "000.txt"
    assert first.language == "vi" and not first.unanswerable
    assert second.id == "q2"  # no id: named after its line
    assert second.unanswerable and second.answers == () and second.source is None
    assert second.language == "en"  # guessed from the question


def test_jsonl_questions_are_normalised_and_language_guessed(tmp_path: Path) -> None:
    nfd = "Ai chu\u0309 tri\u0300 hô\u0323i nghi\u0323?"  # decomposed Vietnamese
    dataset = load_dataset(write_jsonl(tmp_path / "q.jsonl", [{"question": nfd, "answers": "x"}]))
    item = dataset.items[0]
    assert item.question == "Ai chủ trì hội nghị?"
    assert item.language == "vi"
    assert item.answers == ("x",)  # a lone string is one answer


def test_malformed_jsonl_lines_are_reported_with_their_number_and_skipped(tmp_path: Path) -> None:
    path = tmp_path / "qa.jsonl"
    path.write_text(
        '{"id": "1", "question": "Q one?", "answers": ["a"]}\n'
        "\n"
        '{"id": "2", "question": "Q two?", "answers": ["b"]\n'  # line 3: broken JSON
        '["not", "an", "object"]\n'  # line 4
        '{"id": "5", "answers": ["c"]}\n'  # line 5: no question
        '{"id": "6", "question": "Q six?", "unanswerable": "maybe"}\n'  # line 6
        '{"id": "1", "question": "Same id?", "answers": ["d"]}\n'  # line 7: duplicate id
        '{"id": "8", "question": "Q eight?", "unanswerable": true, "answers": ["e"]}\n'  # line 8
        '{"id": "9", "question": "Q nine?", "answers": ["f"]}\n',
        encoding="utf-8",
    )
    dataset = load_dataset(path)
    assert [i.id for i in dataset.items] == ["1", "9"]
    assert [p.line for p in dataset.problems] == [3, 4, 5, 6, 7, 8]
    assert "line 3: invalid JSON" in str(dataset.problems[0])
    assert "no 'question'" in dataset.problems[2].reason
    assert "duplicate id '1'" in dataset.problems[4].reason


def test_empty_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("\n  \n", encoding="utf-8")
    with pytest.raises(DatasetError, match="empty"):
        load_dataset(path)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.jsonl", "{oops\n", "no question could be read"),
        ("qa.txt", "question\n", "unsupported file type"),
        ("latin.jsonl", "caf\xe9".encode("latin-1"), "not UTF-8"),
    ],
)
def test_unusable_files_are_errors(
    tmp_path: Path, name: str, content: str | bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(DatasetError, match=message):
        load_dataset(path)


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no such file"):
        load_dataset(tmp_path / "nothing.jsonl")


# --- CSV --------------------------------------------------------------------------------------


def test_csv_cells_hold_lists_as_json_or_separated(tmp_path: Path) -> None:
    path = tmp_path / "qa.csv"
    path.write_text(
        "id,question,answers,keys,unanswerable,source,language\n"
        'c1,Biên chế năm 2021?,247.344|247344,"247.344|247344;2021",false,000.txt,vi\n'
        'c2,Who chaired it?,"[""Trần Lưu Quang"", ""Tran Luu Quang""]",'
        '"[""Trần Lưu Quang""]",,003.txt,\n'
        "c3,Capital of France?,,,true,,\n",
        encoding="utf-8",
    )
    dataset = load_dataset(path)
    assert not dataset.problems
    c1, c2, c3 = dataset.items
    assert c1.answers == ("247.344", "247344")
    assert c1.keys == ("247.344|247344", "2021")  # ';' separates keys, '|' stays inside one
    assert c1.source == "000.txt" and c1.language == "vi"
    assert c2.answers == ("Trần Lưu Quang", "Tran Luu Quang") and c2.keys == ("Trần Lưu Quang",)
    assert c2.language == "en" and not c2.unanswerable
    assert c3.unanswerable and c3.source is None and c3.answers == ()


def test_malformed_csv_rows_are_reported_with_their_line_and_skipped(tmp_path: Path) -> None:
    path = tmp_path / "qa.csv"
    path.write_text(
        "question,answers\n"
        "Good one?,a\n"
        "Too many?,a,b\n"  # line 3
        ',"[""broken"\n'  # line 4: no question (and a broken list)
        'Bad list?,"[""x"""\n'  # line 5: invalid JSON list
        "Last one?,z\n",
        encoding="utf-8",
    )
    dataset = load_dataset(path)
    assert [i.question for i in dataset.items] == ["Good one?", "Last one?"]
    assert [p.line for p in dataset.problems] == [3, 4, 5]
    assert "more fields" in dataset.problems[0].reason
    assert "not a valid JSON list" in dataset.problems[2].reason


def test_csv_without_question_column_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "qa.csv"
    path.write_text("query,answers\nWhat?,a\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="no 'question' column"):
        load_dataset(path)


# --- SQuAD ------------------------------------------------------------------------------------


def test_squad_v1_items_have_their_paragraph_as_gold_source(tmp_path: Path) -> None:
    data = squad([
        {"title": "Warsaw", "paragraphs": [
            {"context": "Warsaw is the capital of Poland.", "qas": [
                {"id": "w1", "question": "What is Warsaw?",
                 "answers": [{"text": "the capital", "answer_start": 10},
                             {"text": "the capital", "answer_start": 10},
                             {"text": "capital of Poland", "answer_start": 14}]}]},
            {"context": "The Vistula flows through it.", "qas": [
                {"id": "w2", "question": "Which river?",
                 "answers": [{"text": "Vistula", "answer_start": 4}]}]},
        ]},
        {"title": "Warsaw", "paragraphs": [  # a repeated title keeps numbering
            {"context": "More about Warsaw.", "qas": []}]},
    ])  # fmt: skip
    path = tmp_path / "squad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    dataset = load_dataset(path)
    assert dataset.format == "squad" and not dataset.problems
    assert [p.id for p in dataset.paragraphs] == ["Warsaw#0", "Warsaw#1", "Warsaw#2"]
    assert dataset.paragraphs[1].text == "The Vistula flows through it."
    w1, w2 = dataset.items
    assert w1.answers == ("the capital", "capital of Poland")  # repeated spans kept once
    assert w1.source == "Warsaw#0" and w2.source == "Warsaw#1"
    assert not w1.unanswerable and w1.keys == ()


def test_squad_v2_impossible_questions_are_unanswerable(tmp_path: Path) -> None:
    data = squad([
        {"title": "T", "paragraphs": [{"context": "Some context here.", "qas": [
            {"id": "p", "question": "Possible?", "is_impossible": False,
             "answers": [{"text": "context", "answer_start": 5}]},
            {"id": "i", "question": "Impossible?", "is_impossible": True, "answers": [],
             "plausible_answers": [{"text": "Some", "answer_start": 0}]},
            {"id": "bad", "question": "No answer although possible?", "answers": []},
        ]}]},
    ], version="v2.0")  # fmt: skip
    path = tmp_path / "v2.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    dataset = load_dataset(path, language="en")
    possible, impossible = dataset.items
    assert not possible.unanswerable and possible.answers == ("context",)
    assert impossible.unanswerable and impossible.answers == ()
    assert impossible.source == "T#0" and impossible.language == "en"
    assert len(dataset.problems) == 1
    assert "data[0].paragraphs[0].qas[2]" in dataset.problems[0].reason


def test_squad_structure_errors(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"data": {"not": "a list"}}', encoding="utf-8")
    with pytest.raises(DatasetError, match="no 'data' list"):
        load_dataset(path)
    path.write_text('{"data": [\n{"title": "x",\n}', encoding="utf-8")
    with pytest.raises(DatasetError, match="invalid JSON") as raised:
        load_dataset(path)
    assert raised.value.line == 3


# --- the development set ----------------------------------------------------------------------


def test_devset_parses_and_is_well_formed() -> None:
    dataset = load_dataset(DEVSET)
    assert not dataset.problems
    items = dataset.items
    assert len(items) >= 70
    languages = [i.language for i in items]
    assert set(languages) == {"vi", "en"}
    assert 0.4 <= languages.count("vi") / len(items) <= 0.6
    unanswerable = [i for i in items if i.unanswerable]
    assert len(unanswerable) >= 12
    assert {i.language for i in unanswerable} == {"vi", "en"}
    for item in unanswerable:
        assert item.source is None and not item.answers and not item.keys, item.id
    for item in items:
        if not item.unanswerable:
            assert item.answers and item.keys and item.source, item.id


def test_devset_sources_are_bundled_articles_that_hold_the_answers() -> None:
    """Every gold source exists, and every key and answer is in that article's text."""
    articles = {a.doc_id: a for a in load_articles([BUNDLED_ARTICLES]).articles}
    for item in load_dataset(DEVSET).items:
        if item.source is None:
            continue
        assert item.source in articles, f"{item.id}: unknown source {item.source}"
        article = articles[item.source]
        text = f"{article.title}\n{article.text}"
        assert key_match(text, item.keys) == 1.0, f"{item.id}: a key is not in {item.source}"
        assert contains_answer(text, item.answers) == 1.0, f"{item.id}: no answer in the article"


def test_devset_covers_every_bundled_article() -> None:
    sources = {i.source for i in load_dataset(DEVSET).items if i.source}
    assert sources == {p.name for p in BUNDLED_ARTICLES.glob("*.txt")}


def test_select_items_takes_a_seeded_sample_in_file_order() -> None:
    items = [QAItem(id=str(n), question=f"q{n}") for n in range(50)]
    first = select_items(items, sample=10, seed=3)
    assert len(first) == 10 and len({i.id for i in first}) == 10
    assert [int(i.id) for i in first] == sorted(int(i.id) for i in first)  # file order
    assert select_items(items, sample=10, seed=3) == first  # reproducible
    assert select_items(items, sample=10, seed=4) != first
    assert select_items(items, limit=5) == items[:5]
    assert select_items(items, sample=100) == items  # more than there are: all of them
    assert select_items(items, sample=10, seed=3, limit=3) == first[:3]
