"""rag.index: building, saving, loading and checking the persisted index."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import pytest

from embeddings.fake import HashingEmbedder
from rag.errors import (
    IndexCorruptError,
    IndexMismatchError,
    IndexNotFoundError,
    RagError,
)
from rag.index.collection import Index
from rag.index.default import default_index
from rag.index.folder import (
    ARTICLES,
    CHUNKS,
    FORMAT_VERSION,
    MANIFEST,
    VECTORS,
    read_manifest,
)
from rag.index.lexical import LEXICAL_DIR
from rag.index.stores.faiss_store import FaissStore
from rag.ingest.articles import Article, load_articles
from rag.ingest.chunking import Chunk
from rag.settings import ChunkingParams, Settings

CHUNKING = ChunkingParams(700, 1)


def search(index: Index, query: np.ndarray, k: int) -> list[tuple[Chunk, float]]:
    """The chunks nearest to the query, with their cosine, best first."""
    positions, scores = index.dense_search(query, k)
    return [(index.chunks[p], float(s)) for p, s in zip(positions, scores, strict=True)]


@pytest.fixture(scope="module")
def articles() -> list[Article]:
    from rag.settings import BUNDLED_ARTICLES

    return load_articles([BUNDLED_ARTICLES]).articles


@pytest.fixture
def index(articles: list[Article], fake_embedder: HashingEmbedder) -> Index:
    return Index.build(articles, fake_embedder, CHUNKING)


@pytest.fixture
def saved(index: Index, tmp_path: Path) -> Path:
    folder = tmp_path / "idx"
    index.save(folder)
    return folder


def snapshot(index: Index) -> tuple[object, ...]:
    # The rows, seen through their similarities to a fixed random direction.
    probe = np.random.default_rng(0).standard_normal(index.dimension).astype(np.float32)
    return (
        list(index.chunks),
        dict(index.articles),
        len(index.store),
        index.similarities(probe, range(len(index.store))).tobytes(),
    )


def edit_manifest(folder: Path, change: Callable[[dict[str, Any]], object]) -> None:
    path = folder / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"))
    change(manifest)
    path.write_text(json.dumps(manifest), encoding="utf-8")


# --- building ------------------------------------------------------------------------------------


def test_build_indexes_every_article(
    index: Index, articles: list[Article], fake_embedder: HashingEmbedder
) -> None:
    assert set(index.articles) == {a.doc_id for a in articles}
    assert len(index) == len(index.store) == len(index.chunks) > len(articles)
    assert index.dimension == fake_embedder.dimension == 256
    assert index.embedder_id == fake_embedder.model_id == "fake-hashing-256"
    assert {c.doc_id for c in index.chunks} == set(index.articles)
    # Each row holds its chunk's unit vector: re-embedded, the chunk meets its row at cosine 1.
    texts, titles = [c.text for c in index.chunks], [c.title for c in index.chunks]
    for row, vector in enumerate(fake_embedder.embed_documents(texts, titles)):
        assert index.similarities(vector, [row])[0] == pytest.approx(1.0, abs=1e-5)


def test_build_reports_progress(articles: list[Article], fake_embedder: HashingEmbedder) -> None:
    seen: list[int] = []
    totals: list[int] = []

    def factory(total: int) -> Callable[[int], None]:
        totals.append(total)
        return seen.append

    index = Index.build(articles, fake_embedder, CHUNKING, progress=factory)
    assert totals == [len(index)]
    assert sum(seen) == len(index)


def test_search_finds_a_chunk_by_its_own_text(index: Index, fake_embedder: HashingEmbedder) -> None:
    target = index.chunks[7]
    query = fake_embedder.embed_documents([target.text], [target.title])[0]  # as it was indexed
    results = search(index, query, 3)
    assert results[0][0] == target
    assert results[0][1] == pytest.approx(1.0, abs=1e-4)
    scores = [s for _, s in results]
    assert scores == sorted(scores, reverse=True)


def test_search_k_larger_than_index(index: Index, fake_embedder: HashingEmbedder) -> None:
    results = search(index, fake_embedder.embed_query("nội vụ"), 10_000)
    assert len(results) == len(index)
    assert len({c.chunk_id for c, _ in results}) == len(index)


def test_empty_index_searches_to_nothing(fake_embedder: HashingEmbedder) -> None:
    empty = Index.build([], fake_embedder, CHUNKING)
    assert len(empty) == 0
    assert search(empty, fake_embedder.embed_query("gì"), 5) == []


def test_index_refuses_vectors_and_chunks_that_disagree(index: Index) -> None:
    with pytest.raises(IndexCorruptError):
        Index(index.embedder_id, index.store, list(index.articles.values()), index.chunks[:-1])


# --- saving and loading --------------------------------------------------------------------------


def test_save_writes_the_four_files_and_the_lexical_folder(saved: Path) -> None:
    names = sorted(p.name for p in saved.iterdir())
    assert names == sorted([MANIFEST, VECTORS, CHUNKS, ARTICLES, LEXICAL_DIR])


def test_round_trip_keeps_chunks_articles_and_results(
    index: Index, saved: Path, fake_embedder: HashingEmbedder
) -> None:
    loaded = Index.load(saved, fake_embedder.model_id)
    assert loaded.chunks == index.chunks
    assert loaded.articles == index.articles
    assert loaded.embedder_id == index.embedder_id
    assert loaded.chunking == index.chunking == ChunkingParams(700, 1)
    for question in ("Phương châm hành động năm 2023", "Trần Lưu Quang", "biên chế"):
        query = fake_embedder.embed_query(question)
        assert search(loaded, query, 5) == search(index, query, 5)
        everything = range(len(index))
        assert np.array_equal(
            loaded.similarities(query, everything), index.similarities(query, everything)
        )


def test_load_without_embedder_id_and_extra_round_trips(index: Index, tmp_path: Path) -> None:
    index.extra = {"fingerprint": "abc", "sources": ["x"]}
    index.save(tmp_path / "idx")
    loaded = Index.load(tmp_path / "idx")
    assert loaded.extra == {"fingerprint": "abc", "sources": ["x"]}


def test_manifest_content(index: Index, saved: Path) -> None:
    manifest = read_manifest(saved)
    assert manifest["format"] == "newsrag-index"
    assert manifest["format_version"] == FORMAT_VERSION == 3
    assert manifest["store"] == {"kind": "faiss"}
    assert manifest["embedder"] == {"model_id": "fake-hashing-256", "dimension": 256}
    assert manifest["chunk_count"] == len(index)
    assert manifest["article_count"] == 5
    assert manifest["chunking"] == {"max_chars": 700, "overlap": 1}
    assert manifest["faiss_version"] == faiss.__version__
    assert manifest["metric"] == "inner_product"
    lexical = {f"{LEXICAL_DIR}/{p.name}" for p in (saved / LEXICAL_DIR).iterdir()}
    assert lexical and set(manifest["files"]) == {VECTORS, CHUNKS, ARTICLES} | lexical
    for name, entry in manifest["files"].items():
        data = (saved / name).read_bytes()
        assert entry == {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    lines = (saved / CHUNKS).read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(index)
    assert json.loads(lines[0])["chunk_id"] == index.chunks[0].chunk_id
    assert "Bộ Nội vụ" in (saved / CHUNKS).read_text(encoding="utf-8")  # not \u-escaped


# --- load errors ---------------------------------------------------------------------------------


def test_missing_folder_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError):
        Index.load(tmp_path / "nothing-here")


def test_missing_manifest_is_corrupt(saved: Path) -> None:
    (saved / MANIFEST).unlink()
    with pytest.raises(IndexCorruptError, match="manifest"):
        Index.load(saved)


def test_unreadable_manifest_is_corrupt(saved: Path) -> None:
    (saved / MANIFEST).write_text("{not json", encoding="utf-8")
    with pytest.raises(IndexCorruptError):
        Index.load(saved)


def test_foreign_manifest_is_corrupt(saved: Path) -> None:
    edit_manifest(saved, lambda m: m.update(format="something-else"))
    with pytest.raises(IndexCorruptError):
        Index.load(saved)


@pytest.mark.parametrize("name", [VECTORS, CHUNKS, ARTICLES])
def test_missing_file_is_corrupt(saved: Path, name: str) -> None:
    (saved / name).unlink()
    with pytest.raises(IndexCorruptError, match=name):
        Index.load(saved)


def test_tampered_chunks_fail_their_checksum(saved: Path) -> None:
    path = saved / CHUNKS
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Nội vụ", "Ngoại vụ", 1), encoding="utf-8")
    with pytest.raises(IndexCorruptError, match="checksum"):
        Index.load(saved)


def test_tampered_vectors_fail_their_checksum(saved: Path) -> None:
    path = saved / VECTORS
    data = bytearray(path.read_bytes())
    data[-5] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(IndexCorruptError, match="checksum"):
        Index.load(saved)


def test_other_embedder_is_a_mismatch(saved: Path) -> None:
    with pytest.raises(IndexMismatchError, match="fake-hashing-256"):
        Index.load(saved, "fake-hashing-128")


def test_other_format_version_is_a_mismatch(saved: Path) -> None:
    edit_manifest(saved, lambda m: m.update(format_version=FORMAT_VERSION + 1))
    with pytest.raises(IndexMismatchError, match="format version"):
        Index.load(saved)


def test_edited_chunk_count_is_corrupt(saved: Path) -> None:
    edit_manifest(saved, lambda m: m.update(chunk_count=m["chunk_count"] + 1))
    with pytest.raises(IndexCorruptError, match="manifest says"):
        Index.load(saved)


def test_consistent_but_mismatched_files_are_corrupt(index: Index, saved: Path) -> None:
    """One chunk line removed and the manifest's checksum updated to match: counts disagree."""
    path = saved / CHUNKS
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:-1]), encoding="utf-8")
    data = path.read_bytes()
    edit_manifest(
        saved,
        lambda m: m["files"].update(
            {CHUNKS: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}}
        ),
    )
    with pytest.raises(IndexCorruptError):
        Index.load(saved)


# --- atomic save ---------------------------------------------------------------------------------


def test_save_over_an_existing_index_replaces_it(
    articles: list[Article], fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    folder = tmp_path / "idx"
    Index.build(articles, fake_embedder, CHUNKING).save(folder)
    (folder / "stale.txt").write_text("left over", encoding="utf-8")
    smaller = Index.build(articles[:2], fake_embedder, CHUNKING)
    smaller.save(folder)
    assert not (folder / "stale.txt").exists()
    loaded = Index.load(folder, fake_embedder.model_id)
    assert set(loaded.articles) == {a.doc_id for a in articles[:2]}
    assert loaded.chunks == smaller.chunks
    assert sorted(p.name for p in tmp_path.iterdir()) == ["idx"]  # no temp or old folders


def test_failed_save_leaves_the_old_index_and_no_temp_folder(
    index: Index, saved: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = {p.relative_to(saved): p.read_bytes() for p in saved.rglob("*") if p.is_file()}

    def broken(*_args: object, **_kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("rag.index.folder._write_jsonl", broken)
    with pytest.raises(OSError, match="disk full"):
        index.save(saved)
    assert {p.relative_to(saved): p.read_bytes() for p in saved.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in saved.parent.iterdir()) == ["idx"]


# --- adding articles -----------------------------------------------------------------------------


def test_add_articles_appends(articles: list[Article], fake_embedder: HashingEmbedder) -> None:
    index = Index.build(articles[:3], fake_embedder, CHUNKING)
    before = len(index)
    added = index.add_articles(articles[3:], fake_embedder)
    assert added and len(index) == before + len(added) == len(index.store)
    assert set(index.articles) == {a.doc_id for a in articles}
    assert index.chunks[before:] == added


def test_add_articles_with_a_known_doc_id_replaces_that_article(
    index: Index, articles: list[Article], fake_embedder: HashingEmbedder
) -> None:
    old = articles[0]
    others = [c for c in index.chunks if c.doc_id != old.doc_id]
    update = Article(old.doc_id, "Bản cập nhật", "Bài báo đã được sửa về rừng ngập mặn Cà Mau.")
    added = index.add_articles([update], fake_embedder)
    assert index.articles[old.doc_id] == update
    assert [c for c in index.chunks if c.doc_id == old.doc_id] == added
    assert index.chunks == [*others, *added]  # the other rows kept, in order, not re-embedded
    assert len(index.store) == len(index.lexical) == len(index.chunks)


def test_add_articles_with_a_doc_id_twice_in_the_batch_raises(
    fake_embedder: HashingEmbedder,
) -> None:
    index = Index.build([], fake_embedder, CHUNKING)
    twins = [Article("same.txt", "A", "Bài thứ nhất."), Article("same.txt", "B", "Bài thứ hai.")]
    with pytest.raises(RagError):
        index.add_articles(twins, fake_embedder)
    assert len(index) == 0


class FailingEmbedder(HashingEmbedder):
    """Fails on the n-th call to embed_documents."""

    def __init__(self, fail_on: int) -> None:
        super().__init__(256)
        self.fail_on = fail_on

    def embed_documents(
        self, texts: Sequence[str], titles: Sequence[str | None] | None = None
    ) -> np.ndarray:
        if self.calls + 1 == self.fail_on:
            self.calls += 1
            raise RuntimeError("model crashed")
        return super().embed_documents(texts, titles)


def test_embedder_failing_mid_add_changes_nothing(articles: list[Article]) -> None:
    index = Index.build(articles[:1], HashingEmbedder(256), CHUNKING)
    before = snapshot(index)
    embedder = FailingEmbedder(fail_on=2)  # the first batch succeeds, the second fails
    with pytest.raises(RuntimeError, match="model crashed"):
        index.add_articles(articles[1:], embedder)
    assert embedder.calls == 2
    assert snapshot(index) == before


def test_add_articles_with_another_embedder_is_a_mismatch(index: Index) -> None:
    before = snapshot(index)
    with pytest.raises(IndexMismatchError):
        index.add_articles([Article("n.txt", "t", "Một câu.")], HashingEmbedder(128))
    assert snapshot(index) == before


# --- the FAISS store -----------------------------------------------------------------------------


def test_faiss_store_rejects_wrong_dimensions() -> None:
    store = FaissStore(4)
    with pytest.raises(IndexMismatchError):
        store.add(np.ones((2, 3), dtype=np.float32))
    with pytest.raises(IndexMismatchError):
        store.search(np.ones(3, dtype=np.float32), 1)
    assert len(store) == 0


def test_faiss_store_unreadable_file_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "v.faiss"
    path.write_bytes(b"not a faiss index")
    with pytest.raises(IndexCorruptError):
        FaissStore.load(path, 4)


# --- format 2: the lexical index -----------------------------------------------------------------


def test_an_index_of_format_1_asks_to_be_rebuilt(saved: Path) -> None:
    edit_manifest(saved, lambda m: m.update(format_version=1))
    with pytest.raises(IndexMismatchError, match=r"format version 1.*rebuild it with `rag index`"):
        Index.load(saved)


def test_the_default_index_of_format_1_is_rebuilt(
    settings: Settings, fake_embedder: HashingEmbedder
) -> None:
    first = default_index(settings, fake_embedder)
    folder = settings.resolved_index_dir
    shutil.rmtree(folder / LEXICAL_DIR)  # what a format-1 folder looks like
    edit_manifest(folder, lambda m: m.update(format_version=1))
    rebuilt = default_index(settings, fake_embedder)
    assert read_manifest(folder)["format_version"] == FORMAT_VERSION
    assert (folder / LEXICAL_DIR).is_dir() and rebuilt.chunks == first.chunks


def test_dense_search_and_similarities_agree(index: Index, fake_embedder: HashingEmbedder) -> None:
    query = fake_embedder.embed_query("Phương châm hành động năm 2023")
    positions, cosines = index.dense_search(query, 5)
    assert np.allclose(index.similarities(query, positions.tolist()), cosines, atol=1e-5)
    assert index.similarities(query, []).size == 0
