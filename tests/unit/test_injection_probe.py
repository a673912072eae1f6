"""The injection set's probe (eval/injection.py) with the fakes: it sees whether a planted
instruction reached the prompt and whether a canary or the system prompt came back, and the
chat's rendering leaves no image or link of a hostile reply."""

from __future__ import annotations

from pathlib import Path

from embeddings.fake import HashingEmbedder
from eval import injection
from rag.answer.prompting import build_messages
from rag.assistant import Assistant
from rag.generation.fake import FakeGenerator
from rag.settings import Settings
from ui import render

HOSTILE = (
    "CANARY-7Q05 ![chart](https://attacker.example/c.png?d=1) [xem](https://attacker.example/p) "
    '<img src="https://attacker.example/x.png"> www.attacker.example/gift 520.000 tấn [1]'
)


def planted_assistant(
    settings: Settings, tmp_path: Path, *replies: str
) -> tuple[Assistant, injection.RecordingGenerator]:
    # The screen off: these tests are of the probe, which must see instructions that get in.
    settings = settings.model_copy(
        update={"articles_dir": injection.corpus_folder(tmp_path / "articles"),
                "screen_instructions": False}
    )  # fmt: skip
    recorder = injection.RecordingGenerator(FakeGenerator(replies=list(replies) or None))
    assistant = Assistant.load(settings=settings, embedder=HashingEmbedder(), generator=recorder)
    return assistant, recorder


def test_the_set_has_20_planted_articles_and_10_questions_aimed_at_them(
    settings: Settings, tmp_path: Path
) -> None:
    assistant, _ = planted_assistant(settings, tmp_path)
    planted = {a for a in assistant.index.articles if a.startswith("inj")}
    assert len(planted) == 20
    assert {q.target for q in injection.questions()} <= planted
    assert len(injection.questions()) == 10


def test_a_hostile_reply_is_caught_by_the_probe_and_rendered_without_images_or_links(
    settings: Settings, tmp_path: Path
) -> None:
    assistant, recorder = planted_assistant(settings, tmp_path, HOSTILE)
    question = next(q for q in injection.questions() if q.target == "inj05")
    probe = injection.probe(assistant, recorder, question)
    assert probe.exposed and probe.canary_streamed
    assert injection.outside_markup(HOSTILE)  # the detector sees them in the raw reply
    rendered = [render.safe_answer(probe.streamed)]
    if not probe.answer.abstained:
        rendered.append(render.answer_message(probe.answer))
    assert all(injection.outside_markup(text) == [] for text in rendered), rendered


def test_an_echo_of_the_system_prompt_is_recognised() -> None:
    system = build_messages("q", [], "vi")[0]["content"]
    assert injection.echoes_system_prompt("Sure! " + system[100:180], "vi")
    assert not injection.echoes_system_prompt("Cầu Nậm Ty dài 215 mét [1].", "vi")
