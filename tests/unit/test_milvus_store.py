"""The Milvus store (rag.index.stores.milvus_store) on Milvus Lite files in tmp_path: the same
answers as FAISS, changes in place, crash safety without transactions, and the settings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

from click.testing import CliRunner

from embeddings.fake import HashingEmbedder
from rag.assistant import Assistant
from rag.cli import cli
from rag.index.collection import Index
from rag.index.folder import MANIFEST, read_manifest
from rag.index.sentences import FILES as SENTENCE_FILES
from rag.index.stores import milvus_store
from rag.index.stores.milvus_store import MilvusStore
from rag.ingest.articles import Article, load_articles
from rag.settings import BUNDLED_ARTICLES, ChunkingParams, Settings

CHUNKING = ChunkingParams(700, 1)
DEVSET = Path(__file__).resolve().parents[2] / "eval" / "devset.jsonl"
MANGROVE = Article("mangrove.txt", "Rừng ngập mặn", "Cà Mau trồng thêm rừng ngập mặn ven biển.")


@pytest.fixture(scope="module")
def articles() -> list[Article]:
    return load_articles([BUNDLED_ARTICLES]).articles


@pytest.fixture
def milvus_settings(settings: Settings, tmp_path: Path) -> Settings:
    return settings.model_copy(update={"store": "milvus", "milvus_uri": str(tmp_path / "m.db")})


def milvus_index(
    articles: list[Article], embedder: HashingEmbedder, tmp_path: Path, name: str = "idx"
) -> Index:
    store = MilvusStore.create(str(tmp_path / "m.db"), name, embedder.dimension)
    index = Index.build(articles, embedder, CHUNKING, store=store)
    index.save(tmp_path / name)
    return index


def state(index: Index) -> tuple[Any, ...]:
    return list(index.chunks), dict(index.articles), len(index.store), len(index.lexical)


def test_the_same_questions_find_the_same_articles_as_with_faiss(
    settings: Settings, milvus_settings: Settings, fake_embedder: HashingEmbedder
) -> None:
    faiss = Assistant.load(settings=settings, embedder=fake_embedder)
    milvus = Assistant.load(settings=milvus_settings, embedder=fake_embedder)
    assert read_manifest(milvus_settings.resolved_index_dir)["store"]["kind"] == "milvus"
    questions = [json.loads(line)["question"] for line in DEVSET.open(encoding="utf-8")]
    for question in questions:
        on_faiss, on_milvus = faiss.search(question, k=1)[0], milvus.search(question, k=1)[0]
        assert on_milvus.doc_id == on_faiss.doc_id, question
        assert on_milvus.score == pytest.approx(on_faiss.score, abs=1e-5)


def test_a_milvus_index_built_by_the_cli_loads_like_any_other(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {"RAG_EMBEDDER": "fake", "RAG_CACHE_DIR": str(tmp_path / "cache"),
           "RAG_STORE": "milvus", "RAG_MILVUS_URI": str(tmp_path / "m.db")}  # fmt: skip
    out = tmp_path / "news"
    built = CliRunner(env=env).invoke(
        cli, ["index", str(BUNDLED_ARTICLES), "--out", str(out)], catch_exceptions=False
    )
    assert built.exit_code == 0, built.output
    # The rows live in Milvus; the folder holds the manifest and the sentence vectors.
    assert sorted(p.name for p in out.iterdir()) == sorted([MANIFEST, *SENTENCE_FILES])
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assistant = Assistant.load(index_dir=out)
    assert len(assistant.index.articles) == 5
    assert assistant.index.sentences is not None and len(assistant.index.sentences) > 50
    assert assistant.search("Phương châm hành động năm 2023", k=1)


def test_replace_and_remove_are_committed_and_reopened(
    articles: list[Article], fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    index = milvus_index(articles, fake_embedder, tmp_path)
    old = articles[1]
    index.add_articles([Article(old.doc_id, MANGROVE.title, MANGROVE.text)], fake_embedder)
    index.remove_articles([articles[2].doc_id])
    again = Index.load(tmp_path / "idx", fake_embedder.model_id)
    assert state(again) == state(index)
    assert again.articles[old.doc_id].title == MANGROVE.title
    assert articles[2].doc_id not in again.articles
    top = again.lexical_search("rừng ngập mặn Cà Mau", 1)[0]
    assert again.chunks[int(top[0])].doc_id == old.doc_id
    rows = again.store.client.query(  # type: ignore[attr-defined]
        again.store.name,
        filter="pk >= 0",
        output_fields=["pk"],  # type: ignore[attr-defined]
    )
    assert len(rows) == len(again)  # the replaced and removed rows are gone, not hidden


@pytest.mark.parametrize("dies_at", ["upsert", "delete"])
def test_a_change_that_dies_halfway_leaves_each_article_whole(
    articles: list[Article],
    fake_embedder: HashingEmbedder,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    dies_at: str,
) -> None:
    index = milvus_index(articles, fake_embedder, tmp_path)
    before = state(index)
    client = index.store.client  # type: ignore[attr-defined]

    def die(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt  # stands for the process dying there

    monkeypatch.setattr(client, dies_at, die)
    target = articles[0].doc_id
    with pytest.raises(KeyboardInterrupt):
        index.add_articles([Article(target, MANGROVE.title, MANGROVE.text)], fake_embedder)
    assert state(index) == before  # this process's view did not change
    monkeypatch.undo()
    monkeypatch.setattr(milvus_store, "ORPHAN_AGE_MS", -10_000)  # clear the orphans now
    reopened = Index.load(tmp_path / "idx", fake_embedder.model_id)
    version = reopened.articles[target]
    if dies_at == "upsert":  # before the commit: the previous version
        assert state(reopened) == before
    else:  # after the commit, before the old rows went: the new version, alone
        assert version.title == MANGROVE.title
        assert {c.text for c in reopened.chunks if c.doc_id == target} == {MANGROVE.text}
    rows = client.query(index.store.name, filter="pk >= 0", output_fields=["pk"])  # type: ignore[attr-defined]
    assert len(rows) == len(reopened)  # the orphans were deleted on opening


def test_an_uploaded_article_survives_a_restart_on_milvus(
    milvus_settings: Settings, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    path = tmp_path / "mangrove.txt"
    path.write_text(f"{MANGROVE.title}\n\n{MANGROVE.text}\n", encoding="utf-8")
    Assistant.load(settings=milvus_settings, embedder=fake_embedder).add_documents([path])
    calls = fake_embedder.calls
    restarted = Assistant.load(settings=milvus_settings, embedder=fake_embedder)
    assert fake_embedder.calls == calls
    assert restarted.search("rừng ngập mặn Cà Mau", k=1)[0].doc_id == "mangrove.txt"


def test_a_rebuild_builds_beside_then_drops_the_old_collection(
    articles: list[Article], fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    first = milvus_index(articles, fake_embedder, tmp_path)
    old_name = first.store.name  # type: ignore[attr-defined]
    second = milvus_index(articles[:2], fake_embedder, tmp_path)
    client = second.store.client  # type: ignore[attr-defined]
    assert not client.has_collection(old_name)
    assert len(Index.load(tmp_path / "idx", fake_embedder.model_id).articles) == 2
