"""SQuAD paragraphs as the collection (--corpus-from-dataset), the cross-lingual XQuAD items, and
the XQuAD benchmark script, on small synthetic files (and the real files when present)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from embeddings.fake import HashingEmbedder
from eval.corpus import dataset_index, open_assistant
from eval.datasets import DatasetError, load_dataset
from eval.runner import run_from_cli
from eval.xquad import XQUAD_EN, XQUAD_VI, cross_lingual_items
from eval.xquad_benchmark import main as benchmark_main
from rag.errors import RagError
from rag.index.collection import Index
from rag.index.folder import MANIFEST
from rag.settings import Settings

VI_PARAGRAPHS = {
    "Hà_Nội": [
        "Hà Nội là thủ đô của Việt Nam. Thành phố nằm bên bờ sông Hồng.",
        "Hồ Hoàn Kiếm nằm ở trung tâm Hà Nội, gắn với truyền thuyết trả gươm.",
    ],
    "Phở": ["Phở là món ăn truyền thống làm từ bánh phở, nước dùng và thịt bò hoặc gà."],
}
EN_PARAGRAPHS = {
    "Hà_Nội": [
        "Hanoi is the capital of Vietnam. The city lies on the Red River.",
        "Hoan Kiem Lake is in the centre of Hanoi, tied to the legend of the returned sword.",
    ],
    "Phở": ["Pho is a traditional dish of rice noodles, broth and beef or chicken."],
}
QUESTIONS = [  # (id, title, paragraph, vi question, vi answer, en question, en answer)
    ("q1", "Hà_Nội", 0, "Thủ đô của Việt Nam là gì?", "Hà Nội",
     "What is the capital of Vietnam?", "Hanoi"),
    ("q2", "Hà_Nội", 1, "Hồ nào nằm ở trung tâm Hà Nội?", "Hồ Hoàn Kiếm",
     "Which lake is in the centre of Hanoi?", "Hoan Kiem Lake"),
    ("q3", "Phở", 0, "Phở làm từ thịt gì?", "thịt bò hoặc gà",
     "What meat is pho made with?", "beef or chicken"),
]  # fmt: skip


def write_squad(path: Path, paragraphs: dict[str, list[str]], english: bool) -> Path:
    data = []
    for title, contexts in paragraphs.items():
        entries = []
        for index, context in enumerate(contexts):
            qas = [
                {"id": qid, "question": en_q if english else vi_q,
                 "answers": [{"text": en_a if english else vi_a, "answer_start": 0}]}
                for qid, t, p, vi_q, vi_a, en_q, en_a in QUESTIONS if (t, p) == (title, index)
            ]  # fmt: skip
            entries.append({"context": context, "qas": qas})
        data.append({"title": title, "paragraphs": entries})
    path.write_text(json.dumps({"version": "1.1", "data": data}, ensure_ascii=False), "utf-8")
    return path


@pytest.fixture
def vi_file(tmp_path: Path) -> Path:
    return write_squad(tmp_path / "mini.vi.json", VI_PARAGRAPHS, english=False)


@pytest.fixture
def en_file(tmp_path: Path) -> Path:
    return write_squad(tmp_path / "mini.en.json", EN_PARAGRAPHS, english=True)


# --- the dataset's paragraphs as the collection ----------------------------------------------


def test_dataset_index_is_built_once_then_reused(settings: Settings, vi_file: Path) -> None:
    dataset = load_dataset(vi_file)
    embedder = HashingEmbedder()
    folder = dataset_index(dataset.paragraphs, dataset.name, settings, embedder)
    assert folder.parent == settings.cache_dir / "indexes"
    assert folder.name.startswith("dataset-mini.vi-")
    index = Index.load(folder, embedder.model_id)
    assert sorted(index.articles) == ["Hà_Nội#0", "Hà_Nội#1", "Phở#0"]
    assert index.articles["Hà_Nội#0"].title == "Hà Nội"  # page-name underscores become spaces
    calls = embedder.calls
    assert dataset_index(dataset.paragraphs, dataset.name, settings, embedder) == folder
    assert embedder.calls == calls  # reused, nothing embedded again


def test_a_changed_file_gets_a_new_dataset_index(settings: Settings, vi_file: Path) -> None:
    dataset = load_dataset(vi_file)
    first = dataset_index(dataset.paragraphs, dataset.name, settings, HashingEmbedder())
    changed = dataset.paragraphs[:2]
    second = dataset_index(changed, dataset.name, settings, HashingEmbedder())
    assert first != second and (first / MANIFEST).exists() and (second / MANIFEST).exists()


def test_dataset_index_in_a_given_folder(settings: Settings, vi_file: Path, tmp_path: Path) -> None:
    dataset = load_dataset(vi_file)
    folder = tmp_path / "my-index"
    assert dataset_index(dataset.paragraphs, "x", settings, HashingEmbedder(), folder) == folder
    assert (folder / MANIFEST).exists()
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "notes.txt").write_text("mine")
    with pytest.raises(RagError, match="neither an index nor empty"):
        dataset_index(dataset.paragraphs, "x", settings, HashingEmbedder(), occupied)
    assert (occupied / "notes.txt").exists()


def test_corpus_from_dataset_needs_a_squad_file(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "qa.jsonl"
    path.write_text('{"question": "Q?"}\n', encoding="utf-8")
    with pytest.raises(DatasetError, match="needs a SQuAD JSON file"):
        open_assistant(settings, load_dataset(path), corpus_from_dataset=True)


def test_rag_eval_corpus_from_dataset_retrieves_paragraphs(
    settings: Settings, vi_file: Path, tmp_path: Path
) -> None:
    summary = run_from_cli(settings, qa_file=vi_file, out=tmp_path / "o", retrieval_only=True,
                           corpus_from_dataset=True)  # fmt: skip
    assert summary["evaluated"] == 3 and "dataset-mini.vi-" in summary["index"]
    records = [json.loads(line) for line in (tmp_path / "o" / "results.jsonl").open()]
    assert [r["gold"]["source"] for r in records] == ["Hà_Nội#0", "Hà_Nội#1", "Phở#0"]
    assert all(r["retrieved"][0]["doc_id"].split("#")[0] in VI_PARAGRAPHS for r in records)
    assert summary["overall"]["metrics"]["hit@5"]["mean"] == 1.0  # 3 paragraphs, k = 5


def test_english_file_against_an_existing_vietnamese_index(
    settings: Settings, vi_file: Path, en_file: Path, tmp_path: Path
) -> None:
    """--corpus-from-dataset --index DIR: an index already in DIR is used as it is."""
    folder = tmp_path / "vi-index"
    run_from_cli(settings, qa_file=vi_file, out=tmp_path / "vi", retrieval_only=True,
                 corpus_from_dataset=True, index_dir=folder)  # fmt: skip
    summary = run_from_cli(settings, qa_file=en_file, out=tmp_path / "en", retrieval_only=True,
                           corpus_from_dataset=True, index_dir=folder)  # fmt: skip
    assert summary["index"] == str(folder)
    records = [json.loads(line) for line in (tmp_path / "en" / "results.jsonl").open()]
    assert {r["language"] for r in records} == {"en"}
    index = Index.load(folder)
    assert index.articles["Hà_Nội#0"].text.startswith("Hà Nội là thủ đô")  # still Vietnamese


# --- cross-lingual items ----------------------------------------------------------------------


def test_cross_lingual_items_point_english_questions_at_vietnamese_paragraphs(
    vi_file: Path, en_file: Path
) -> None:
    items = list(cross_lingual_items(vi_file, en_file))
    assert [i.id for i in items] == ["q1", "q2", "q3"]
    assert [i.source for i in items] == ["Hà_Nội#0", "Hà_Nội#1", "Phở#0"]
    assert items[0].question == "What is the capital of Vietnam?"
    assert items[0].language == "en"
    assert items[0].answers == ("Hanoi", "Hà Nội")  # the English span, then the Vietnamese one


def test_cross_lingual_items_skip_questions_without_a_twin(
    vi_file: Path, en_file: Path, tmp_path: Path
) -> None:
    data = json.loads(en_file.read_text(encoding="utf-8"))
    data["data"][0]["paragraphs"][0]["qas"][0]["id"] = "only-english"
    lonely = tmp_path / "lonely.en.json"
    lonely.write_text(json.dumps(data), encoding="utf-8")
    assert [i.id for i in cross_lingual_items(vi_file, lonely)] == ["q2", "q3"]


@pytest.mark.skipif(not XQUAD_VI.exists() or not XQUAD_EN.exists(), reason="no shared XQuAD")
def test_real_xquad_files_align() -> None:
    vietnamese = load_dataset(XQUAD_VI, language="vi")
    assert not vietnamese.problems
    assert len(vietnamese.paragraphs) == 240 and len(vietnamese.items) == 1190
    paragraph_ids = {p.id for p in vietnamese.paragraphs}
    english = list(cross_lingual_items(XQUAD_VI, XQUAD_EN))
    assert len(english) == 1190
    assert all(i.source in paragraph_ids and i.language == "en" for i in english)


# --- the benchmark script ---------------------------------------------------------------------


def test_xquad_benchmark_evaluates_both_languages_against_one_index(
    vi_file: Path, en_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    for name in list(os.environ):
        if name.startswith("RAG_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("RAG_EMBEDDER", "fake")
    monkeypatch.setenv("RAG_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "bench"
    status = benchmark_main(["--vi", str(vi_file), "--en", str(en_file), "--retrieval-only",
                             "--limit", "2", "--out", str(out)])  # fmt: skip
    assert status == 0
    indexes = list((tmp_path / "cache" / "indexes").iterdir())
    assert len(indexes) == 1 and indexes[0].name.startswith("dataset-mini.vi-")
    for language in ("vi", "en"):
        summary = json.loads((out / language / "summary.json").read_text())
        assert summary["evaluated"] == 2 and summary["index"] == str(indexes[0])
        assert list(summary["by_language"]) == [language]
    table = (out / "comparison.md").read_text(encoding="utf-8")
    assert table.splitlines()[0].startswith("| questions | n | hit@1 |")
    assert "| vi | 2 |" in table and "| en | 2 |" in table
    comparison = json.loads((out / "comparison.json").read_text())
    assert set(comparison) == {"vi", "en"} and comparison["vi"]["n"] == 2
    assert table in capsys.readouterr().out


def test_xquad_benchmark_reports_errors_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = benchmark_main(["--vi", str(tmp_path / "missing.json"), "--out", str(tmp_path)])
    assert status == 1
    assert capsys.readouterr().err.startswith("Error:")
