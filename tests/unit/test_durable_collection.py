"""Every change to a collection is on disk before it is reported, and the default collection's
own articles survive restarts and rebuilds (rag.index.added); `rag add` and `rag remove`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from embeddings.fake import HashingEmbedder
from rag.assistant import Assistant
from rag.cli import cli
from rag.errors import ArticleNotFoundError
from rag.index.added import LOG_NAME
from rag.index.default import rebuild_default_index
from rag.settings import Settings

A003 = "003_16e7c6cf24d0288c.txt"
FOREST = """Hội thảo về chuyển đổi số tại Đà Lạt

Sáng 15-1, tại Đà Lạt, hội thảo khoa học về chuyển đổi số trong ngành lâm nghiệp đã diễn ra
với sự tham gia của 120 chuyên gia về rừng thông.
"""
QUESTION = "chuyển đổi số lâm nghiệp rừng thông Đà Lạt"


@pytest.fixture
def upload(tmp_path: Path) -> Path:
    folder = tmp_path / "incoming"
    folder.mkdir()
    path = folder / "forest.txt"
    path.write_text(FOREST, encoding="utf-8")
    return path


def restart(settings: Settings, embedder: HashingEmbedder) -> Assistant:
    return Assistant.load(settings=settings, embedder=embedder)


def test_an_added_article_survives_a_restart_without_a_rebuild(
    settings: Settings, upload: Path
) -> None:
    embedder = HashingEmbedder(256)
    restart(settings, embedder).add_documents([upload])
    calls = embedder.calls
    again = restart(settings, embedder)
    assert embedder.calls == calls  # loaded as saved: nothing was embedded again
    assert again.search(QUESTION, k=1)[0].doc_id == "forest.txt"
    assert not settings.resolved_added_dir.is_relative_to(settings.articles_dir)


def test_the_users_changes_survive_a_rebuild_of_the_default_index(
    settings: Settings, upload: Path
) -> None:
    embedder = HashingEmbedder(256)
    assistant = restart(settings, embedder)
    assistant.add_documents([upload])
    assistant.remove_documents([A003])
    before = (list(assistant.index.chunks), dict(assistant.index.articles))
    rebuilt, _ = rebuild_default_index(settings, embedder)  # `rag index`, or new settings
    assert (rebuilt.chunks, rebuilt.articles) == before
    assert (settings.resolved_added_dir / LOG_NAME).is_file()


def test_the_change_log_ignores_a_line_a_crash_cut_short(settings: Settings, upload: Path) -> None:
    embedder = HashingEmbedder(256)
    restart(settings, embedder).add_documents([upload])
    log = settings.resolved_added_dir / LOG_NAME
    with log.open("a", encoding="utf-8") as handle:
        handle.write('{"remove": "forest.t')  # the process died while writing
    rebuilt, _ = rebuild_default_index(settings, embedder)
    assert "forest.txt" in rebuilt.articles
    rebuilt.remove_articles(["forest.txt"])  # the next line starts on a line of its own
    assert "forest.txt" not in rebuild_default_index(settings, embedder)[0].articles


def test_a_removal_is_saved_and_an_unknown_doc_id_removes_nothing(
    settings: Settings, fake_embedder: HashingEmbedder
) -> None:
    assistant = restart(settings, fake_embedder)
    with pytest.raises(ArticleNotFoundError, match="missing"):
        assistant.remove_documents([A003, "missing"])
    assert A003 in restart(settings, fake_embedder).index.articles
    assert assistant.remove_documents([A003]) == [A003]
    assert A003 not in restart(settings, fake_embedder).index.articles


def test_adding_to_an_explicit_index_folder_is_saved_there(
    settings: Settings, fake_embedder: HashingEmbedder, upload: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "mine"
    restart(settings, fake_embedder).index.save(folder)
    Assistant.load(folder, settings, embedder=fake_embedder).add_documents([upload])
    assert "forest.txt" in Assistant.load(folder, settings, embedder=fake_embedder).index.articles
    assert not (settings.resolved_added_dir / LOG_NAME).exists()  # not the default collection


# --- the command line ------------------------------------------------------------------------


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name in list(os.environ):
        if name.startswith("RAG_"):
            monkeypatch.delenv(name)
    return CliRunner(env={"RAG_EMBEDDER": "fake", "RAG_CACHE_DIR": str(tmp_path / "cache")})


def test_rag_add_then_add_again_then_remove(runner: CliRunner, upload: Path) -> None:
    first = runner.invoke(cli, ["add", str(upload), "--json"], catch_exceptions=False)
    assert first.exit_code == 0, first.output
    added = json.loads(first.stdout)
    assert (added["added"], added["replaced"], added["articles"]) == (["forest.txt"], [], 6)

    upload.write_text(FOREST.replace("120", "150"), encoding="utf-8")
    second = runner.invoke(cli, ["add", str(upload)], catch_exceptions=False)
    assert "Replaced forest.txt" in second.output and "holds 6 articles" in second.output

    removed = runner.invoke(cli, ["remove", "forest.txt", A003, "--json"])
    assert json.loads(removed.stdout)["articles"] == 4
    unknown = runner.invoke(cli, ["remove", "forest.txt"])
    assert unknown.exit_code == 1 and "forest.txt" in unknown.output

    search = runner.invoke(cli, ["search", QUESTION, "--json"], catch_exceptions=False)
    found = {p["doc_id"] for p in json.loads(search.stdout)["passages"]}
    assert "forest.txt" not in found and A003 not in found
