"""eval.runner end to end with the fake models over the bundled articles: the files written,
retrieval-only runs, bad input, Ctrl-C, and the `rag eval` / `python -m eval` commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from eval import DEVSET
from eval.datasets import QAItem, load_dataset
from eval.report import RESULTS
from eval.runner import evaluate, run_from_cli
from rag.assistant import Assistant
from rag.cli import cli
from rag.settings import PROJECT_ROOT, Settings
from rag.types import Answer, Passage

A000 = "000_c1d1bf0d00618ad8.txt"
A001 = "001_eb33f2e5ca9e7309.txt"
A003 = "003_16e7c6cf24d0288c.txt"
QUESTIONS: list[dict[str, Any]] = [
    {"id": "motto2020", "question": "Phương châm hành động của Bộ Nội vụ năm 2020 là gì?",
     "answers": ["Hoàn thiện thể chế, tinh gọn bộ máy, siết chặt kỷ cương, tăng cường ứng dụng "
                 "công nghệ thông tin"], "keys": ["Hoàn thiện thể chế", "tinh gọn bộ máy"],
     "source": A001, "language": "vi"},
    {"id": "staff2021", "question": "Biên chế công chức năm 2021 là bao nhiêu?",
     "answers": ["247.344"], "keys": ["247.344|247344"], "source": A000},
    {"id": "chair2023", "question": "Who chaired the 2023 review of the home affairs sector?",
     "answers": ["Trần Lưu Quang"], "keys": ["Trần Lưu Quang|Tran Luu Quang"], "source": A003},
    {"id": "france", "question": "What is the capital of France?", "unanswerable": True},
]  # fmt: skip


@pytest.fixture
def qa_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.jsonl"
    path.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in QUESTIONS), "utf-8")
    return path


@pytest.fixture
def assistant(settings: Settings) -> Assistant:
    return Assistant.load(settings=settings)


def read_results(folder: Path) -> list[dict[str, Any]]:
    with (folder / "results.jsonl").open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def mean_of(records: list[dict[str, Any]], name: str) -> float:
    values = [r["metrics"][name] for r in records if r["metrics"].get(name) is not None]
    return sum(values) / len(values)


# --- a full run -------------------------------------------------------------------------------


def test_full_run_writes_results_summary_report_and_plots(
    settings: Settings, qa_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    summary = run_from_cli(settings, qa_file=qa_file, k=3, out=out)

    records = read_results(out)
    assert [r["id"] for r in records] == [q["id"] for q in QUESTIONS]
    first = records[0]
    assert first["gold"]["source"] == A001 and first["language"] == "vi"
    assert len(first["retrieved"]) == 10  # deep enough for MRR@10
    assert {"doc_id", "score"} <= set(first["retrieved"][0])
    assert first["answer"] and first["abstained"] is not None
    assert set(first["timings"]) == {"retrieve", "generate", "total"}
    assert {"hit@1", "hit@3", "hit@5", "mrr@10", "em", "f1", "key_match"} <= set(first["metrics"])
    assert records[2]["language"] == "en"
    assert records[3]["metrics"]["hit@1"] is None  # unanswerable: no retrieval verdict

    on_disk = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert on_disk == json.loads(json.dumps(summary))
    assert on_disk["evaluated"] == on_disk["questions"] == 4
    assert not on_disk["interrupted"] and on_disk["k"] == 3
    assert on_disk["embedder"] == "fake-hashing-256" and on_disk["generator"] == "fake"
    overall = on_disk["overall"]["metrics"]
    for name in ("hit@1", "hit@3", "mrr@10", "f1", "key_match", "correct"):
        assert overall[name]["mean"] == pytest.approx(mean_of(records, name)), name
    assert overall["hit@1"]["n"] == 3  # the three answerable questions with a source
    vi = [r for r in records if r["language"] == "vi"]
    assert on_disk["by_language"]["vi"]["metrics"]["hit@1"]["mean"] == pytest.approx(
        mean_of(vi, "hit@1")
    )
    abstention = on_disk["overall"]["abstention"]
    assert abstention["tp"] + abstention["fn"] == 1
    assert len(on_disk["hit_curve"]["all"]) == 10
    assert on_disk["hit_curve"]["all"][0] == pytest.approx(overall["hit@1"]["mean"], abs=1e-4)

    report = (out / "report.md").read_text(encoding="utf-8")
    assert f"| hit@1 | {overall['hit@1']['mean']:.3f} |" in report
    assert "## Worst failures" in report and "Interrupted" not in report
    for plot in ("hit_at_k.png", "latency.png"):
        assert (out / plot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert on_disk["plots"] == ["hit_at_k.png", "latency.png"]
    assert "![hit@k curve](hit_at_k.png)" in report and "(latency.png)" in report

    printed = capsys.readouterr().out
    assert "4 of 4 questions" in printed and "hit@1" in printed and str(out) in printed


def test_retrieval_only_never_asks(assistant: Assistant, qa_file: Path, tmp_path: Path) -> None:
    class SearchOnly:
        def search(self, question: str, k: int = 5) -> list[Passage]:
            return assistant.search(question, k)

        def ask(self, question: str, history: Any = None) -> Answer:
            raise AssertionError("retrieval-only runs must not generate")

    items = load_dataset(qa_file).items
    run = evaluate(SearchOnly(), items, out_dir=tmp_path / "r", k=5, retrieval_only=True,
                   show_progress=False)  # fmt: skip
    assert not run.interrupted and len(run.records) == 4
    for record in run.records:
        assert record["answer"] is None and record["abstained"] is None
        assert set(record["metrics"]) == {"hit@1", "hit@3", "hit@5", "mrr@10"}
        assert set(record["timings"]) == {"retrieve", "total"}
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert summary["retrieval_only"] and summary["overall"]["abstention"] is None
    report = (tmp_path / "r" / "report.md").read_text(encoding="utf-8")
    assert "| hit@5 |" in report and "| em |" not in report


def test_without_matplotlib_everything_but_the_plots_is_written(
    assistant: Assistant, qa_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # import fails
    out = tmp_path / "noplots"
    run = evaluate(assistant, load_dataset(qa_file).items, out_dir=out, k=5, show_progress=False)
    assert run.summary["plots"] == [] and not list(out.glob("*.png"))
    assert (out / "summary.json").exists()
    assert ".png" not in (out / "report.md").read_text(encoding="utf-8")


def test_a_question_that_fails_is_recorded_and_the_run_goes_on(
    assistant: Assistant, tmp_path: Path
) -> None:
    items = [QAItem("long", "x" * 3000), QAItem("ok", "Ai chủ trì hội nghị năm 2023?", source=A003)]
    run = evaluate(assistant, items, out_dir=tmp_path / "e", k=5, show_progress=False)
    failed, fine = run.records
    assert "limit" in failed["error"] and failed["metrics"] == {}
    assert fine["error"] is None and fine["metrics"]["hit@5"] is not None
    assert run.summary["overall"]["errors"] == 1
    assert "- **long**" in (tmp_path / "e" / "report.md").read_text(encoding="utf-8")


# --- Ctrl-C -----------------------------------------------------------------------------------


class InterruptingAssistant:
    """Answers ``after`` questions, then behaves as if Ctrl-C was pressed."""

    def __init__(self, inner: Assistant, after: int) -> None:
        self.inner = inner
        self.after = after
        self.asked = 0

    def search(self, question: str, k: int = 5) -> list[Passage]:
        return self.inner.search(question, k)

    def ask(self, question: str, history: Any = None) -> Answer:
        if self.asked == self.after:
            raise KeyboardInterrupt
        self.asked += 1
        return self.inner.ask(question)


def test_ctrl_c_keeps_what_was_done(assistant: Assistant, qa_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    items = load_dataset(qa_file).items
    run = evaluate(
        InterruptingAssistant(assistant, 2), items, out_dir=out, k=5, show_progress=False
    )
    assert run.interrupted
    assert [r["id"] for r in read_results(out)] == ["motto2020", "staff2021"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["interrupted"] and summary["evaluated"] == 2 and summary["questions"] == 4
    assert summary["overall"]["questions"] == 2
    assert "**Interrupted**: 2 of 4 questions" in (out / "report.md").read_text(encoding="utf-8")
    assert (out / "hit_at_k.png").exists()


def test_ctrl_c_from_the_command_writes_then_reraises(
    settings: Settings, qa_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_ask = Assistant.ask
    calls = {"n": 0}

    def ask_then_interrupt(self: Assistant, question: str, history: Any = None) -> Answer:
        calls["n"] += 1
        if calls["n"] > 3:
            raise KeyboardInterrupt
        return real_ask(self, question, history)

    monkeypatch.setattr(Assistant, "ask", ask_then_interrupt)
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        run_from_cli(settings, qa_file=qa_file, out=out)
    assert len(read_results(out)) == 3
    summary = json.loads((out / "summary.json").read_text())
    assert summary["interrupted"] and summary["evaluated"] == 3


# --- the commands -----------------------------------------------------------------------------


@pytest.fixture
def cli_runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name in list(os.environ):
        if name.startswith("RAG_"):
            monkeypatch.delenv(name)
    env = {"RAG_EMBEDDER": "fake", "RAG_GENERATOR": "fake", "RAG_CACHE_DIR": str(tmp_path / "c")}
    return CliRunner(env=env)


def test_rag_eval_json_with_a_malformed_line(
    cli_runner: CliRunner, qa_file: Path, tmp_path: Path
) -> None:
    with qa_file.open("a", encoding="utf-8") as handle:
        handle.write('{"question": "broken"\n')  # line 5
        handle.write(json.dumps({"id": "ghost", "question": "Q?", "source": "nope.txt"}) + "\n")
    out = tmp_path / "cli-out"
    arguments = [
        "eval",
        str(qa_file),
        "--out",
        str(out),
        "--json",
        "--retrieval-only",
        "--limit",
        "5",
    ]
    result = cli_runner.invoke(cli, arguments, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["evaluated"] == 5 and summary["retrieval_only"]
    assert f"Skipped: {qa_file}, line 5: invalid JSON" in result.stderr
    assert "1 gold source(s) are not in the index" in result.stderr
    assert summary["skipped_input"] == [
        f"{qa_file}, line 5: invalid JSON (Expecting ',' delimiter)"
    ]
    assert len(read_results(out)) == 5


def test_rag_eval_empty_file_is_a_one_line_error(cli_runner: CliRunner, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    result = cli_runner.invoke(cli, ["eval", str(empty)], catch_exceptions=False)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error:") and "empty" in result.stderr
    assert "Traceback" not in result.output


def test_rag_eval_interrupted_exits_130(
    cli_runner: CliRunner, qa_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupt(self: Assistant, question: str, k: int = 5) -> list[Passage]:
        raise KeyboardInterrupt

    monkeypatch.setattr(Assistant, "search", interrupt)
    out = tmp_path / "o"
    result = cli_runner.invoke(cli, ["eval", str(qa_file), "--out", str(out)])
    assert result.exit_code == 130
    assert "Interrupted after 0 of 4 questions" in result.stderr
    assert (out / "summary.json").exists() and read_results(out) == []


def test_python_dash_m_eval_is_the_same_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "eval", "--help"], cwd=PROJECT_ROOT, capture_output=True,
        text=True, timeout=120, env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "python -m eval [OPTIONS] QA_FILE" in result.stdout
    assert "--retrieval-only" in result.stdout and "--corpus-from-dataset" in result.stdout


@pytest.mark.parametrize(
    ("env", "args", "expected"),
    [
        ({}, [], 5),
        ({"RAG_TOP_K": "3"}, [], 3),
        ({"RAG_TOP_K": "3"}, ["--k", "7"], 7),
        ({"RAG_TOP_K": "3"}, ["-k", "2"], 2),
    ],
)
def test_rag_eval_retrieves_rag_top_k_passages_unless_told(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], args: list[str],
    expected: int,
) -> None:  # fmt: skip
    for name in [n for n in os.environ if n.startswith("RAG_")]:
        monkeypatch.delenv(name)
    runner = CliRunner(env={"RAG_EMBEDDER": "fake", "RAG_GENERATOR": "fake",
                            "RAG_CACHE_DIR": str(tmp_path / "cache"), **env})  # fmt: skip
    result = runner.invoke(cli, ["eval", str(DEVSET), "--limit", "4", "--retrieval-only", "--json",
                                 "--out", str(tmp_path / "out"), *args])  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["k"] == expected
    retrieved = [json.loads(line)["retrieved"] for line in (tmp_path / "out" / RESULTS).open()]
    assert all(len(r) >= expected for r in retrieved)  # searched to depth max(k, 10) for MRR@10
