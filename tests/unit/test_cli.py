"""The `rag` command line, run in-process with click's CliRunner and the fake embedder."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from rag.cli import cli

A003 = "003_16e7c6cf24d0288c.txt"


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def runner(cache: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name in list(os.environ):
        if name.startswith("RAG_"):
            monkeypatch.delenv(name)
    return CliRunner(env={"RAG_EMBEDDER": "fake", "RAG_CACHE_DIR": str(cache)})


def run(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(cli, list(args), catch_exceptions=False)


def test_index_bundled_articles_into_the_default_index(runner: CliRunner, cache: Path) -> None:
    result = run(runner, "index")
    assert result.exit_code == 0, result.output
    assert "Indexed 5 articles as " in result.stdout
    assert "fake-hashing-256" in result.stdout
    default = cache / "indexes" / "default-fake"
    assert (default / "manifest.json").is_file()
    manifest = json.loads((default / "manifest.json").read_text(encoding="utf-8"))
    assert f"as {manifest['chunk_count']} passages" in result.stdout
    assert manifest["extra"]["fingerprint"]


def test_index_a_folder_to_json(runner: CliRunner, tmp_path: Path, articles_dir: Path) -> None:
    source = tmp_path / "src"
    shutil.copytree(articles_dir, source)
    (source / "empty.txt").write_text("", encoding="utf-8")
    out = tmp_path / "idx"
    result = run(runner, "index", str(source), "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["index"] == str(out)
    assert data["articles"] == 5
    assert data["chunks"] > 5
    assert data["embedder"] == "fake-hashing-256"
    assert len(data["skipped"]) == 1 and "empty.txt" in data["skipped"][0]
    assert (out / "manifest.json").is_file()


def test_search_an_index_as_json(runner: CliRunner, tmp_path: Path, articles_dir: Path) -> None:
    out = tmp_path / "idx"
    assert run(runner, "index", str(articles_dir), "--out", str(out), "--json").exit_code == 0
    question = "Phó Thủ tướng Trần Lưu Quang chủ trì hội nghị tổng kết năm 2023"
    result = run(runner, "search", question, "--index", str(out), "-k", "3", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["question"] == question
    passages = data["passages"]
    assert len(passages) == 3
    assert set(passages[0]) == {"doc_id", "title", "date", "text", "score", "start", "end"}
    assert passages[0]["doc_id"] == A003
    scores = [p["score"] for p in passages]
    assert scores == sorted(scores, reverse=True)


def test_search_as_text(runner: CliRunner, tmp_path: Path, articles_dir: Path) -> None:
    out = tmp_path / "idx"
    run(runner, "index", str(articles_dir), "--out", str(out))
    result = run(runner, "search", "Trần Lưu Quang", "--index", str(out), "-k", "2")
    assert result.exit_code == 0, result.output
    assert "[1] " in result.stdout and "[2] " in result.stdout and "[3] " not in result.stdout
    assert A003 in result.stdout
    assert "2 passages in" in result.stderr


def test_search_builds_the_default_index_when_needed(runner: CliRunner, cache: Path) -> None:
    result = run(runner, "search", "Trần Lưu Quang", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["passages"][0]["doc_id"] == A003
    assert (cache / "indexes" / "default-fake" / "manifest.json").is_file()


@pytest.mark.parametrize("question", ["", "   "])
def test_empty_question_is_a_one_line_error(
    runner: CliRunner, tmp_path: Path, articles_dir: Path, question: str
) -> None:
    out = tmp_path / "idx"
    run(runner, "index", str(articles_dir), "--out", str(out))
    result = run(runner, "search", question, "--index", str(out))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error:")
    assert "empty" in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_missing_index_is_a_one_line_error(runner: CliRunner, tmp_path: Path) -> None:
    result = run(runner, "search", "gì?", "--index", str(tmp_path / "nope"))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error:") and "no index" in result.stderr
    assert "Traceback" not in result.output


def test_index_with_nothing_to_index_is_a_one_line_error(runner: CliRunner, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run(runner, "index", str(empty), "--out", str(tmp_path / "idx"))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: nothing to index")
    assert not (tmp_path / "idx").exists()


def test_models_list_json(runner: CliRunner, cache: Path) -> None:
    result = run(runner, "models", "list", "--json")
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert "embeddinggemma-300m" in rows
    gemma = rows["embeddinggemma-300m"]
    assert gemma["kind"] == "embedder"
    assert gemma["provisioned"] is False
    assert gemma["path"] == str(cache / "models" / "embeddinggemma-300m")
    assert gemma["default"] is False  # RAG_EMBEDDER=fake
    assert rows["qwen2.5-coder-1.5b-instruct"]["default"] is True


def test_models_fetch_unknown_name_is_a_one_line_error(runner: CliRunner) -> None:
    result = run(runner, "models", "fetch", "no-such-model")
    assert result.exit_code == 1
    assert "unknown model 'no-such-model'" in result.stderr


def test_front_end_commands_come_through_entry_points(runner: CliRunner) -> None:
    from rag.cli import ENTRY_POINTS, plugged_in

    listed = run(runner, "--help").output
    assert "serve " in listed and "eval " in listed  # offered without importing ui or eval
    assert {"serve", "eval"} <= set(plugged_in())
    assert plugged_in()["serve"].group == ENTRY_POINTS
    assert "rag serve --host 0.0.0.0 --port 8080" in run(runner, "serve", "--help").output
    assert "--retrieval-only" in run(runner, "eval", "--help").output
