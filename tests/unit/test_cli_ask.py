"""`rag ask`, run in-process with click's CliRunner, the hashing embedder and the fake generator."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from embeddings.fake import HashingEmbedder
from rag.answer.prompting import ABSTENTION
from rag.cli import cli
from rag.index.collection import Index
from rag.ingest.articles import load_articles
from rag.settings import ChunkingParams

QUESTION = "Biên chế công chức năm 2021 là bao nhiêu?"
OFF_TOPIC = "Which football club won the 2021 league?"


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def runner(cache: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name in list(os.environ):
        if name.startswith("RAG_"):
            monkeypatch.delenv(name)
    return CliRunner(
        env={
            "RAG_EMBEDDER": "fake",
            "RAG_GENERATOR": "fake",
            "RAG_CACHE_DIR": str(cache),
            "RAG_MIN_RELEVANCE": "0.0",
            # The judge's weights were fitted on the real reader, not on the fake one.
            "RAG_ANSWER_THRESHOLD": "0.0",
        }
    )


def run(runner: CliRunner, *args: str, **env: str) -> Result:
    return runner.invoke(cli, ["ask", *args], catch_exceptions=False, env=env or None)


def error_line(result: Result) -> str:
    """The last line on stderr (a progress bar of the first indexing may come before it)."""
    return result.stderr.replace("\r", "\n").strip().splitlines()[-1]


def ask_json(runner: CliRunner, question: str, *args: str, **env: str) -> dict:
    result = run(runner, question, "--json", *args, **env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_ask_json(runner: CliRunner, articles_dir: Path) -> None:
    data = ask_json(runner, QUESTION)
    assert {"question", "answer", "abstained", "language", "citations", "timings"} <= set(data)
    assert data["question"] == QUESTION
    assert data["searched_question"] is None
    assert data["abstained"] is False
    assert data["language"] == "vi"
    assert isinstance(data["answer"], str) and data["answer"].endswith("[1]")
    assert len(data["citations"]) >= 1
    bundled = {p.name for p in articles_dir.iterdir()}
    for n, citation in enumerate(data["citations"], start=1):
        assert {"doc_id", "title", "date", "passage", "score"} <= set(citation)
        assert citation["n"] == n
        assert citation["doc_id"] in bundled
        assert citation["title"] and citation["passage"]
        assert isinstance(citation["score"], float)
        assert citation["date"] is None or len(citation["date"]) == 10
    # The fake quotes its best sentence: the answer's words come from the first citation.
    assert data["answer"].removesuffix(" [1]") in data["citations"][0]["passage"]
    assert set(data["timings"]) == {"retrieve", "generate", "total"}
    assert all(v >= 0 for v in data["timings"].values())


def test_ask_json_abstains_in_the_question_language(runner: CliRunner) -> None:
    data = ask_json(runner, OFF_TOPIC, RAG_MIN_RELEVANCE="0.99")
    assert data["abstained"] is True
    assert data["language"] == "en"
    assert data["answer"] == ABSTENTION["en"] == "The articles do not say."
    assert data["citations"] == []


def test_ask_prints_the_answer_and_its_passages(runner: CliRunner) -> None:
    data = ask_json(runner, QUESTION)
    result = run(runner, QUESTION)
    assert result.exit_code == 0, result.output
    assert data["answer"] in result.stdout
    assert f"[1] {data['citations'][0]['title']}" in result.stdout
    assert "retrieval" in result.stderr  # the timings line


def test_ask_stream_prints_the_answer(runner: CliRunner) -> None:
    data = ask_json(runner, QUESTION)
    result = run(runner, QUESTION, "--stream")
    assert result.exit_code == 0, result.output
    sentence = data["answer"].removesuffix(" [1]")
    assert sentence in result.stdout
    assert result.stdout.count(sentence) == 1  # streamed once, not printed again
    assert f"[1] {data['citations'][0]['title']}" in result.stdout


def test_ask_stream_prints_the_checked_answer_when_it_is_not_what_was_streamed(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A reply whose figure was copied again from the passage: the streamed words were not the
    # answer, so the answer is printed after them.
    from rag.assistant import Assistant
    from rag.types import Answer, AnswerStream

    def stream(self: Assistant, question: str, history: object = None) -> AnswerStream:
        def pieces():  # type: ignore[no-untyped-def]
            yield "A first reply that was not given [1]"
            return Answer(question, "The checked answer [1].", False, "en")

        return AnswerStream(pieces())

    monkeypatch.setattr(Assistant, "stream", stream)
    result = run(runner, "Who chaired it?", "--stream")
    assert result.exit_code == 0, result.output
    _, streamed, after = result.stdout.partition("A first reply that was not given [1]")
    assert streamed and "The checked answer [1]." in after


def test_ask_stream_abstention_is_printed(runner: CliRunner) -> None:
    result = run(runner, OFF_TOPIC, "--stream", RAG_MIN_RELEVANCE="0.99")
    assert result.exit_code == 0, result.output
    assert "The articles do not say." in result.stdout
    assert "NOT_FOUND" not in result.output


@pytest.mark.parametrize("question", ["", "   "])
@pytest.mark.parametrize("mode", [[], ["--json"], ["--stream"]])
def test_an_empty_question_is_a_friendly_error(
    runner: CliRunner, question: str, mode: list[str]
) -> None:
    result = run(runner, question, *mode)
    assert result.exit_code == 1
    assert error_line(result) == "Error: the question is empty"
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_an_over_long_question_is_a_friendly_error(runner: CliRunner) -> None:
    result = run(runner, "x" * 51, "--json", RAG_MAX_QUESTION_CHARS="50")
    assert result.exit_code == 1
    assert error_line(result) == "Error: the question is 51 characters long; the limit is 50"
    assert "Traceback" not in result.output


def test_ask_with_an_index_folder(runner: CliRunner, tmp_path: Path) -> None:
    source = tmp_path / "one.jsonl"
    record = {
        "id": "only",
        "title": "Tuyển dụng năm 2021",
        "body": "Năm 2021, ngành Nội vụ tuyển dụng 1.250 công chức mới.",
    }
    source.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    folder = tmp_path / "idx"
    Index.build(
        load_articles([source]).articles, HashingEmbedder(256), ChunkingParams(700, 1)
    ).save(folder)
    data = ask_json(
        runner, "Năm 2021 ngành Nội vụ tuyển dụng bao nhiêu công chức mới?", "--index", str(folder)
    )
    assert data["abstained"] is False
    assert [c["doc_id"] for c in data["citations"]] == ["only"]
    assert "1.250" in data["answer"]


def test_ask_with_a_missing_index_folder(runner: CliRunner, tmp_path: Path) -> None:
    result = run(runner, QUESTION, "--index", str(tmp_path / "nowhere"))
    assert result.exit_code == 1
    assert error_line(result).startswith("Error: no index")
    assert "Traceback" not in result.output


def test_an_abstention_prints_and_returns_the_closest_passages(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from rag.answer.prompting import CLOSEST_HEADING
    from rag.cli.answers import answer_json, print_answer
    from rag.types import Answer, Passage

    near = Passage("a.txt", "Hội nghị 2021", None, "Năm 2021, Bộ Nội vụ họp.", 0.61, 0, 24)
    answer = Answer("Phương châm năm 2022?", ABSTENTION["vi"], True, "vi", closest=[near])
    print_answer(answer)
    out = capsys.readouterr().out
    assert ABSTENTION["vi"] in out and CLOSEST_HEADING["vi"] in out
    assert "· Hội nghị 2021 · undated · a.txt" in out and "Năm 2021, Bộ Nội vụ họp." in out
    assert "[1]" not in out  # not a citation
    document = answer_json(answer)
    assert document["citations"] == [] and document["closest"][0]["score"] == 0.61
