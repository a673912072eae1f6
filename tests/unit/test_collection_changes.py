"""Changing an index in place: replacing and removing articles, saved before they count, and the
crash-safe swap of the index folder (rag.index.swap)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from embeddings.fake import HashingEmbedder
from rag.assistant import Assistant
from rag.errors import ArticleNotFoundError
from rag.index import swap
from rag.index.collection import Index
from rag.index.folder import MANIFEST
from rag.ingest.articles import Article, load_articles
from rag.settings import BUNDLED_ARTICLES, ChunkingParams, Settings
from rag.text import normalize

CHUNKING = ChunkingParams(700, 1)
ROOT = Path(__file__).resolve().parents[2]
MANGROVE = Article("mangrove.txt", "Rừng ngập mặn", "Cà Mau trồng thêm rừng ngập mặn ven biển.")


@pytest.fixture(scope="module")
def articles() -> list[Article]:
    return load_articles([BUNDLED_ARTICLES]).articles


@pytest.fixture
def saved(articles: list[Article], fake_embedder: HashingEmbedder, tmp_path: Path) -> Path:
    folder = tmp_path / "idx"
    Index.build(articles, fake_embedder, CHUNKING).save(folder)
    return folder


def lexical_doc_ids(index: Index, question: str) -> list[str]:
    return [index.chunks[p].doc_id for p in index.lexical_search(question, 5)[0]]


def dense_doc_ids(index: Index, embedder: HashingEmbedder, text: str) -> list[str]:
    return [index.chunks[p].doc_id for p in index.dense_search(embedder.embed_query(text), 3)[0]]


def state(index: Index) -> tuple[object, ...]:
    probe = np.random.default_rng(0).standard_normal(index.dimension).astype(np.float32)
    rows = index.similarities(probe, range(len(index)))
    return list(index.chunks), dict(index.articles), rows.tobytes(), len(index.lexical)


# --- remove and replace ----------------------------------------------------------------------


def test_remove_drops_the_article_from_every_part(
    saved: Path, articles: list[Article], fake_embedder: HashingEmbedder
) -> None:
    index = Index.load(saved, fake_embedder.model_id)
    gone = articles[1]
    kept = [c for c in index.chunks if c.doc_id != gone.doc_id]
    probe = gone.text[:300]
    assert dense_doc_ids(index, fake_embedder, probe)[0] == gone.doc_id
    assert index.remove_articles([gone.doc_id]) == [gone.doc_id]
    assert gone.doc_id not in index.articles and index.chunks == kept
    assert len(index.store) == len(index.lexical) == len(kept)
    assert gone.doc_id not in dense_doc_ids(index, fake_embedder, probe)
    # the vectors of the rows kept are the very rows they had: positions moved with them
    again = Index.load(saved, fake_embedder.model_id)  # saved before it counted
    assert state(again) == state(index)


def test_removing_an_unknown_article_changes_nothing(
    saved: Path, fake_embedder: HashingEmbedder
) -> None:
    index = Index.load(saved, fake_embedder.model_id)
    before = state(index)
    known = next(iter(index.articles))
    with pytest.raises(ArticleNotFoundError, match=r"nope\.txt"):
        index.remove_articles([known, "nope.txt"])
    assert state(index) == before


def test_a_replacement_is_found_by_its_new_words_only(
    saved: Path, articles: list[Article], fake_embedder: HashingEmbedder
) -> None:
    index = Index.load(saved, fake_embedder.model_id)
    old = articles[2]
    index.add_articles([Article(old.doc_id, MANGROVE.title, MANGROVE.text)], fake_embedder)
    assert lexical_doc_ids(index, "rừng ngập mặn Cà Mau")[:1] == [old.doc_id]
    old_words = " ".join(old.title.split()[:8])
    assert all(c.text != old.text for c in index.chunks)
    again = Index.load(saved, fake_embedder.model_id)
    assert again.articles[old.doc_id].title == MANGROVE.title
    assert lexical_doc_ids(again, old_words) == lexical_doc_ids(index, old_words)


def test_a_change_that_cannot_be_saved_is_not_made(
    saved: Path, fake_embedder: HashingEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = Index.load(saved, fake_embedder.model_id)
    before = state(index)
    on_disk = (saved / MANIFEST).read_bytes()

    def disk_full(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("rag.index.folder._write_jsonl", disk_full)
    with pytest.raises(OSError, match="disk full"):
        index.add_articles([MANGROVE], fake_embedder)
    with pytest.raises(OSError, match="disk full"):
        index.remove_articles([next(iter(index.articles))])
    assert state(index) == before
    assert (saved / MANIFEST).read_bytes() == on_disk


# --- the swap ------------------------------------------------------------------------------------


def test_a_crash_between_the_two_renames_keeps_the_previous_index(
    saved: Path, fake_embedder: HashingEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = Index.load(saved, fake_embedder.model_id)
    before = state(index)

    def crash() -> None:
        raise KeyboardInterrupt  # stands for the process dying there

    monkeypatch.setattr(swap, "between_renames", crash)
    with pytest.raises(KeyboardInterrupt):
        index.add_articles([MANGROVE], fake_embedder)
    assert not saved.exists()  # the window the issue describes
    monkeypatch.undo()
    assert state(Index.load(saved, fake_embedder.model_id)) == before  # recovered on load
    assert sorted(p.name for p in saved.parent.iterdir()) == ["idx"]


CRASHING_CHILD = """
import os, sys
from pathlib import Path
from embeddings.fake import HashingEmbedder
from rag.assistant import Assistant
from rag.index import swap
from rag.index.collection import Index
from rag.ingest.articles import Article

folder, where = Path(sys.argv[1]), sys.argv[2]
index = Index.load(folder, "fake-hashing-256")
if where == "between":
    swap.between_renames = lambda: os._exit(9)
else:  # while the staging folder is being written
    import rag.index.folder as f
    f._write_jsonl = lambda *a: os._exit(9)
index.add_articles([Article("x.txt", "X", "Một bài mới.")], HashingEmbedder(256))
"""


@pytest.mark.parametrize("where", ["between", "writing"])
def test_a_killed_writer_leaves_a_loadable_index_and_its_staging_is_cleared(
    saved: Path, fake_embedder: HashingEmbedder, where: str
) -> None:
    before = state(Index.load(saved, fake_embedder.model_id))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(CRASHING_CHILD), str(saved), where], env=env
    )
    assert run.returncode == 9
    leftovers = [p.name for p in saved.parent.iterdir() if p.name != "idx"]
    assert leftovers  # the dead writer's staging (and, between the renames, the old folder)
    index = Index.load(saved, fake_embedder.model_id)
    assert state(index) == before and "x.txt" not in index.articles
    index.add_articles([MANGROVE], fake_embedder)  # the next save clears the dead staging
    assert sorted(p.name for p in saved.parent.iterdir()) == ["idx"]


def test_a_live_builds_staging_folder_is_never_removed(tmp_path: Path) -> None:
    target = tmp_path / "idx"
    with swap.staging_folder(target) as live:
        (live / "half-written").write_text("…", encoding="utf-8")
        assert swap.remove_dead_staging(target) == []
        with swap.staging_folder(target) as other:  # another build beside it
            assert live.exists() and other != live
        assert live.exists()
    assert not live.exists()  # removed by its own writer when it gave up


# --- readers during changes ------------------------------------------------------------------


def test_a_view_keeps_one_state_while_the_index_changes(
    saved: Path, articles: list[Article], fake_embedder: HashingEmbedder
) -> None:
    index = Index.load(saved, fake_embedder.model_id)
    view = index.view()
    before = state(view)
    index.remove_articles([articles[0].doc_id])
    assert state(view) == before  # positions and chunks still agree for a search under way
    assert len(index) < len(view)


def test_a_replaced_articles_event_years_are_read_again(
    settings: Settings, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    assistant = Assistant.load(settings=settings, embedder=fake_embedder)
    path = tmp_path / "incoming" / "ports.txt"
    path.parent.mkdir()
    question = "Cảng Hải Phòng mở bến mới năm 2024?"

    def year_bonus(title: str) -> float:
        """The part of the passage's score that comes from its article's years (the title's:
        the text names none)."""
        path.write_text(f"{title}\n\nCảng Hải Phòng mở bến mới cho tàu lớn.\n", "utf-8")
        assistant.add_documents([path])
        found = next(p for p in assistant.search(question, k=50) if p.doc_id == "ports.txt")
        position = next(i for i, c in enumerate(assistant.index.chunks) if c.doc_id == "ports.txt")
        query = fake_embedder.embed_query(normalize(question))
        return found.score - float(assistant.index.similarities(query, [position])[0])

    assert year_bonus("Cảng Hải Phòng năm 2019") == pytest.approx(0.0, abs=1e-6)
    assert year_bonus("Cảng Hải Phòng năm 2024") > 0.01  # the new title's year, not the cached


def test_writers_killed_at_random_moments_leave_a_loadable_index() -> None:
    """The short form of benchmarks/bench_kills.py: SIGKILL at random times while a child keeps
    adding articles (sentence vectors included); each time, the previous or a newer index loads."""
    run = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_kills.py"), "--rounds", "4",
         "--sentences", "--seed", "1"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "4 writers killed at random" in run.stdout
    assert "broken" not in run.stdout, run.stdout
