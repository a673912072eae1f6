"""eval.heldout with the fake models: which questions each half gets, the files a run writes, the
targets table, the environment's settings, and Ctrl-C. XQuAD is a tiny synthetic pair of files;
the dev set and the seed articles are the real ones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from eval import DEVSET
from eval.datasets import load_dataset
from eval.heldout import SETS, build_sets, main, parser, run
from eval.heldout_table import ALLOWED_LOSS, TARGETS, TODAY_GOLD_SPAN, figures, format_targets
from eval.seed_hard import read_seed_negatives
from eval.splits import HALVES, half_of, origin_id
from eval.unanswerable import kind_of
from rag import Assistant, Settings

TOPICS = {  # title: (Vietnamese paragraph, English paragraph, [(vi q, vi a, en q, en a)])
    "Super_Bowl_50": (
        "Super Bowl 50 diễn ra năm 2016 tại sân Levi's ở Santa Clara. Đội Denver Broncos thắng.",
        "Super Bowl 50 was played in 2016 at Levi's Stadium in Santa Clara. Denver Broncos won.",
        [("Đội nào thắng Super Bowl 50?", "Denver Broncos", "Who won Super Bowl 50?",
          "Denver Broncos"),
         ("Super Bowl 50 diễn ra ở sân nào?", "sân Levi's", "Where was Super Bowl 50 played?",
          "Levi's Stadium")],
    ),
    "Warsaw": (
        "Warszawa là thủ đô của Ba Lan, nằm bên sông Vistula. Thành phố có khoảng 1,7 triệu dân.",
        "Warsaw is the capital of Poland, on the Vistula river. It has about 1.7 million people.",
        [("Warszawa nằm bên sông nào?", "sông Vistula", "Which river is Warsaw on?", "Vistula"),
         ("Thủ đô của Ba Lan là gì?", "Warszawa", "What is the capital of Poland?", "Warsaw"),
         ("Warszawa có bao nhiêu dân?", "1,7 triệu", "How many people live in Warsaw?",
          "1.7 million")],
    ),
    "Oxygen": (
        "Oxy là nguyên tố hóa học có số hiệu nguyên tử 8, do Carl Wilhelm Scheele tìm ra.",
        "Oxygen is the chemical element with atomic number 8, found by Carl Wilhelm Scheele.",
        [("Số hiệu nguyên tử của oxy là bao nhiêu?", "8", "What is oxygen's atomic number?", "8"),
         ("Ai tìm ra oxy?", "Carl Wilhelm Scheele", "Who found oxygen?", "Carl Wilhelm Scheele")],
    ),
}  # fmt: skip


def write_xquad(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for language, side in (("vi", 0), ("en", 1)):
        data, number = [], 0
        for title, topic in TOPICS.items():
            qas = []
            for question in topic[2]:
                number += 1
                text, answer = question[2 * side], question[2 * side + 1]
                qas.append({"id": f"xq{number}", "question": text,
                            "answers": [{"text": answer, "answer_start": 0}]})  # fmt: skip
            data.append({"title": title, "paragraphs": [{"context": topic[side], "qas": qas}]})
        path = folder / f"xquad.{language}.json"
        path.write_text(json.dumps({"data": data}, ensure_ascii=False), encoding="utf-8")
    return folder


@pytest.fixture
def xquad_dir(tmp_path: Path) -> Path:
    return write_xquad(tmp_path / "xquad")


def arguments(xquad_dir: Path, out: Path, *extra: str) -> list[str]:
    return ["--xquad-dir", str(xquad_dir), "--out", str(out), *extra]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


# --- which questions a half gets --------------------------------------------------------------


def test_the_halves_share_no_question_and_derived_ones_follow_their_origin(
    xquad_dir: Path,
) -> None:
    halves = {half: build_sets(half, xquad_dir=xquad_dir).sets for half in HALVES}
    for name in halves["choose"]:
        choose = {i.id for i in halves["choose"][name]}
        report = {i.id for i in halves["report"][name]}
        assert not choose & report, name
        for half in HALVES:
            assert all(half_of(i.id) == half for i in halves[half][name])
    every_xquad = {i.id for half in HALVES for i in halves[half]["xquad-vi"]}
    assert every_xquad == {f"xq{n}" for n in range(1, 8)}
    dev_ids = {i.id for half in HALVES for i in halves[half]["devset"]}
    assert dev_ids == {i.id for i in load_dataset(DEVSET).items}
    for half in HALVES:
        sets = halves[half]
        assert [i.id for i in sets["xquad-vi"]] == [i.id for i in sets["xquad-en"]]
        own_dev = {i.id for i in sets["devset"]}
        own_xquad = {i.id for i in sets["xquad-vi"]}
        for item in sets["unanswerable"]:
            assert item.unanswerable
            assert origin_id(item.id) in (own_dev if kind_of(item.id) in ("year", "place")
                                          else own_xquad)  # fmt: skip


def test_the_constructed_set_is_as_large_as_the_answerable_dev_questions(xquad_dir: Path) -> None:
    sets = build_sets("report", xquad_dir=xquad_dir).sets
    answerable = [i for i in sets["devset"] if not i.unanswerable]
    constructed = sets["unanswerable"]
    swapped = [i for i in constructed if kind_of(i.id) in ("year", "place")]
    # The synthetic XQuAD has only a few questions, so the swaps fill what it cannot.
    foreign = [i for i in constructed if kind_of(i.id).startswith("seed-")]
    assert len(constructed) == len(answerable) == len(swapped) + len(foreign)
    assert len(swapped) >= len(answerable) // 2 and foreign


def test_the_seed_hard_set_mixes_its_halfs_negatives_one_to_one_with_answerable_dev_questions(
    xquad_dir: Path,
) -> None:
    negatives = {n.item.id for n in read_seed_negatives()}
    dev = {i.id: i for i in load_dataset(DEVSET).items}
    seen: set[str] = set()
    for half in HALVES:
        items = build_sets(half, xquad_dir=xquad_dir).sets["seed-hard"]
        assert items == build_sets(half, xquad_dir=xquad_dir).sets["seed-hard"]  # stable
        hard = [i for i in items if i.unanswerable]
        answerable = [i for i in items if not i.unanswerable]
        assert len(hard) == len(answerable) > 0
        assert {i.id for i in hard} == {i for i in negatives if half_of(i) == half}
        assert all(i.id in dev and not dev[i.id].unanswerable for i in answerable)
        assert all(half_of(i.id) == half for i in items)
        assert not seen & {i.id for i in items}  # the halves are disjoint
        seen |= {i.id for i in items}
    assert {i for i in seen if i in negatives} == negatives  # every negative is in one half


def test_per_set_takes_the_same_seeded_sample(xquad_dir: Path) -> None:
    first = build_sets("choose", xquad_dir=xquad_dir, per_set=3, seed=1).sets
    assert first == build_sets("choose", xquad_dir=xquad_dir, per_set=3, seed=1).sets
    assert all(len(items) <= 3 for items in first.values())
    assert len(first["devset"]) == 3
    assert len(first["unanswerable"]) == sum(not i.unanswerable for i in first["devset"])
    assert [i.unanswerable for i in first["seed-hard"]] == [True, False]  # 3 // 2 negatives
    other = build_sets("choose", xquad_dir=xquad_dir, per_set=3, seed=2).sets
    assert [i.id for i in other["devset"]] != [i.id for i in first["devset"]]


# --- a run ------------------------------------------------------------------------------------


def test_a_run_writes_every_set_and_the_targets(
    settings: Settings, xquad_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert run(settings, parser().parse_args(["--half", "choose", *arguments(xquad_dir, out)])) == 0
    for name in (*SETS, "abstention"):
        assert (out / name / "results.jsonl").exists() and (out / name / "summary.json").exists()
    dev = read_jsonl(out / "devset" / "results.jsonl")
    assert {r["id"] for r in dev} == {i.id for i in load_dataset(DEVSET).items
                                      if half_of(i.id) == "choose"}  # fmt: skip
    mixed = read_jsonl(out / "abstention" / "results.jsonl")
    should = [r["gold"]["unanswerable"] for r in mixed]
    assert should.count(True) == should.count(False) > 0

    document = json.loads((out / "targets.json").read_text(encoding="utf-8"))
    assert document["half"] == "choose" and document["generator"] == "fake"
    rows = {(f["set"], f["label"]): f for f in document["figures"]}
    correct = [r["metrics"]["correct"] for r in dev]
    assert rows[("devset", "correct")]["value"] == pytest.approx(sum(correct) / len(correct))
    assert rows[("devset", "correct")]["n"] == len(dev)
    tp = sum(r["abstained"] and r["gold"]["unanswerable"] for r in mixed)
    assert rows[("abstention", "abstention recall")]["value"] == pytest.approx(tp / len(mixed) * 2)
    assert all((t.set, t.label) in rows for t in TARGETS)
    seed_hard = read_jsonl(out / "seed-hard" / "results.jsonl")
    negatives = [r for r in seed_hard if r["gold"]["unanswerable"]]
    assert len(negatives) * 2 == len(seed_hard) > 0
    abstained = sum(bool(r["abstained"]) for r in negatives) / len(negatives)
    assert rows[("seed-hard", "hard negatives abstained on")]["value"] == pytest.approx(abstained)
    assert rows[("seed-hard", "hard negatives abstained on")]["n"] == len(negatives)
    for row in [("seed-hard", "their answerable questions: gold span"),
                ("unanswerable", "easy negatives abstained on"),
                ("xquad-vi-absent", "their answerable questions: gold span"),
                ("xquad-en-absent", "their answerable questions: gold span")]:  # fmt: skip
        assert row in rows
    printed = capsys.readouterr().out
    assert "gold span in answer" in printed and "≥ 0.90" in printed
    assert printed.strip() == (out / "targets.md").read_text(encoding="utf-8").strip()


def test_the_settings_come_from_the_environment(
    xquad_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAG_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("RAG_EMBEDDER", "fake")
    monkeypatch.setenv("RAG_GENERATOR", "fake")
    monkeypatch.setenv("RAG_GENERATOR_BACKEND", "llama.cpp")
    out = tmp_path / "out"
    assert main(["--half", "report", "--per-set", "2", *arguments(xquad_dir, out)]) == 0
    document = json.loads((out / "targets.json").read_text(encoding="utf-8"))
    assert document["generator_backend"] == "llama.cpp" and document["half"] == "report"
    summary = json.loads((out / "devset" / "summary.json").read_text(encoding="utf-8"))
    assert summary["generator_backend"] == "llama.cpp"
    assert summary["index"].startswith(str(tmp_path / "cache"))


def test_ctrl_c_keeps_what_was_done(
    settings: Settings, xquad_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = []
    real_ask = Assistant.ask

    def ask_then_interrupt(self: Assistant, question: str, history: Any = None) -> Any:
        asked.append(question)
        if len(asked) == 3:
            raise KeyboardInterrupt
        return real_ask(self, question, history)

    monkeypatch.setattr(Assistant, "ask", ask_then_interrupt)
    out = tmp_path / "out"
    assert (
        run(settings, parser().parse_args(["--half", "choose", *arguments(xquad_dir, out)])) == 130
    )
    assert len(read_jsonl(out / "devset" / "results.jsonl")) == 2
    assert not (out / "xquad-vi").exists()
    assert "INTERRUPTED" in (out / "targets.md").read_text(encoding="utf-8")
    assert json.loads((out / "devset" / "summary.json").read_text())["interrupted"]


# --- the targets table ------------------------------------------------------------------------


def summary_with(metrics: dict[str, float], abstention: dict[str, Any] | None = None) -> dict:
    return {"overall": {"metrics": {k: {"mean": v, "n": 10} for k, v in metrics.items()},
                        "abstention": abstention}, "interrupted": False}  # fmt: skip


def test_figures_are_compared_with_their_targets() -> None:
    summaries = {
        "xquad-vi": summary_with({"contains": 0.80, "abstained": 0.10}),
        "abstention": summary_with(
            {}, {"tp": 9, "fp": 1, "fn": 1, "tn": 9, "precision": 0.9, "recall": 0.9}
        ),
    }
    records = [{"id": "vi-001~year", "abstained": True, "error": None},
               {"id": "vi-002~year", "abstained": False, "error": None},
               {"id": "xq1~seed-en", "abstained": True, "error": None}]  # fmt: skip
    rows = {(r.set, r.label): r for r in figures(summaries, records)}
    assert rows[("xquad-vi", "gold span in answer")].met is True
    assert rows[("xquad-vi", "abstained (answerable)")].met is False  # 0.10 > 0.05
    assert rows[("abstention", "abstention precision")].met is True  # the bound itself is met
    assert rows[("abstention", "abstention recall")].n == 20
    assert rows[("unanswerable", "abstained: year")].value == 0.5
    assert rows[("unanswerable", "abstained: seed-en")].value == 1.0
    assert ("xquad-en", "gold span in answer") not in rows  # not evaluated: no row
    table = format_targets(list(rows.values()), "report", 15, interrupted=False)
    assert "seeded sample of 15" in table and "| NO |" in table


def result(rid: str, *, unanswerable: bool, abstained: bool, contains: float | None = None,
           error: str | None = None) -> dict[str, Any]:  # fmt: skip
    return {"id": rid, "abstained": abstained, "error": error, "metrics": {"contains": contains},
            "gold": {"unanswerable": unanswerable}}  # fmt: skip


def test_each_kind_of_negative_has_its_own_rows() -> None:
    easy = [result("vi-001~year", unanswerable=True, abstained=True),
            result("xq1~seed-vi", unanswerable=True, abstained=False)]  # fmt: skip
    records = {
        "unanswerable": easy,
        "xquad-vi": [result("xq1", unanswerable=False, abstained=False, contains=1.0),
                     result("xq2", unanswerable=False, abstained=True, contains=0.0),
                     result("xq3", unanswerable=False, abstained=False, contains=0.0)],
        "xquad-vi-absent": [result("xq1~absent", unanswerable=True, abstained=True),
                            result("xq2~absent", unanswerable=True, abstained=True)],
        "seed-hard": [result("hard-01~year", unanswerable=True, abstained=True),
                      result("hard-02~place", unanswerable=True, abstained=True),
                      result("hard-03~place", unanswerable=True, abstained=False),
                      result("hard-04~place", unanswerable=True, abstained=True, error="x"),
                      result("vi-001", unanswerable=False, abstained=False, contains=1.0),
                      result("en-001", unanswerable=False, abstained=True, contains=0.0)],
    }  # fmt: skip
    rows = {(r.set, r.label): r for r in figures({}, easy, records)}
    easy_row = rows[("unanswerable", "easy negatives abstained on")]
    assert (easy_row.value, easy_row.n, easy_row.met) == (0.5, 2, False)
    assert rows[("unanswerable", "abstained: seed-vi")].value == 0.0
    # XQuAD: the answerable questions are the absent ones' own (xq3 has no absent twin).
    paired = rows[("xquad-vi-absent", "their answerable questions: gold span")]
    assert (paired.value, paired.n) == (0.5, 2)
    assert paired.target == f"≥ {TODAY_GOLD_SPAN['vi'] - ALLOWED_LOSS:.2f}" and paired.met is False
    assert rows[("xquad-vi-absent", "abstention precision (1:1 mix)")].value == 2 / 3
    assert ("xquad-en-absent", "their answerable questions: gold span") not in rows
    hard = rows[("seed-hard", "hard negatives abstained on")]
    assert (hard.value, hard.n, hard.target, hard.met) == (2 / 3, 3, "≥ 0.90", False)
    assert rows[("seed-hard", "abstained: year")].value == 1.0
    assert rows[("seed-hard", "abstained: place")].value == 0.5  # the failed one not counted
    gold = rows[("seed-hard", "their answerable questions: gold span")]
    assert (gold.value, gold.n, gold.target, gold.met) == (0.5, 2, "", None)
    assert rows[("seed-hard", "abstention precision (1:1 mix)")].value == 2 / 3
    assert not [r for r in figures({}, [], {}) if r.set != "unanswerable"]  # nothing evaluated


def test_sets_picks_what_is_evaluated(settings: Settings, xquad_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    argv = ["--half", "report", "--sets", "xquad-en,devset", *arguments(xquad_dir, out)]
    assert run(settings, parser().parse_args(argv)) == 0
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["devset", "xquad-en"]
    document = json.loads((out / "targets.json").read_text(encoding="utf-8"))
    assert {f["set"] for f in document["figures"]} == {"devset", "xquad-en"}
    with pytest.raises(SystemExit):
        parser().parse_args(["--half", "report", "--sets", "devset,xquad-fr"])


def test_ctrl_c_while_indexing_xquad_keeps_the_sets_done(
    settings: Settings, xquad_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr("eval.heldout.dataset_index", interrupted)
    out = tmp_path / "out"
    argv = ["--half", "choose", "--per-set", "3", *arguments(xquad_dir, out)]
    assert run(settings, parser().parse_args(argv)) == 130
    document = json.loads((out / "targets.json").read_text(encoding="utf-8"))
    assert {f["set"] for f in document["figures"]} == {
        "devset", "abstention", "unanswerable", "seed-hard"
    }  # fmt: skip
    assert "INTERRUPTED" in (out / "targets.md").read_text(encoding="utf-8")
