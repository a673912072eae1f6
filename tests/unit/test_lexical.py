"""rag.index.lexical: the tokenizer as BM25 sees it, searching, and the persisted lexical index
(alone and inside an index folder, whose manifest covers it)."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from embeddings.fake import HashingEmbedder
from rag.errors import IndexCorruptError
from rag.index import lexical as lexical_module
from rag.index.collection import Index
from rag.index.folder import MANIFEST
from rag.index.lexical import LEXICAL_DIR, LexicalIndex
from rag.ingest.articles import Article
from rag.settings import ChunkingParams
from rag.text import tokenize

TEXTS = [
    "Biên chế công chức năm 2021 là 247.344 biên chế, giảm 10,01% so với năm 2015.",
    "Phương châm hành động năm 2020: hoàn thiện thể chế, tinh gọn bộ máy.",
    "Hội nghị về hòa bình và sức khỏe cộng đồng tại Tỉnh ủy Lạng Sơn.",
]

# --- the tokenizer -------------------------------------------------------------------------------


def test_tokens_are_lower_cased_syllables() -> None:
    assert tokenize("Bộ Nội vụ TỔNG KẾT") == ["bộ", "nội", "vụ", "tổng", "kết"]


def test_nfd_and_nfc_give_the_same_tokens() -> None:
    text = TEXTS[0]
    assert unicodedata.normalize("NFD", text) != text
    assert tokenize(unicodedata.normalize("NFD", text)) == tokenize(text)


@pytest.mark.parametrize(
    ("variant", "traditional"),
    [("hoà bình", "hòa bình"), ("khoẻ", "khỏe"), ("Tỉnh uỷ", "Tỉnh ủy"), ("thuỷ", "thủy")],
)
def test_tone_mark_placements_give_the_same_tokens(variant: str, traditional: str) -> None:
    assert tokenize(variant) == tokenize(traditional)


@pytest.mark.parametrize(
    ("text", "token"),
    [("247.344 biên chế", "247344"), ("1.783.174 người", "1783174"), ("giảm 10,01%", "10.01"),
     ("giảm 10,01 %", "10.01"), ("năm 2021", "2021")],
)  # fmt: skip
def test_numbers_become_canonical_tokens(text: str, token: str) -> None:
    assert token in tokenize(text)


# --- searching -----------------------------------------------------------------------------------


@pytest.fixture
def lexical() -> LexicalIndex:
    return LexicalIndex.build(TEXTS)


def test_search_finds_exact_numbers_written_either_way(lexical: LexicalIndex) -> None:
    for question in ("247.344 biên chế", "247344", "giảm 10,01%"):
        positions, scores = lexical.search(question, 3)
        assert positions[0] == 0 and scores[0] > 0


def test_search_matches_tone_mark_variants_and_nfd(lexical: LexicalIndex) -> None:
    assert lexical.search("hoà bình sức khoẻ", 3)[0][0] == 2
    assert lexical.search(unicodedata.normalize("NFD", "Phương châm hành động"), 3)[0][0] == 1


def test_search_returns_only_positive_scores_best_first(lexical: LexicalIndex) -> None:
    positions, scores = lexical.search("năm 2020 phương châm", 10)
    assert positions.tolist()[0] == 1 and len(positions) <= len(TEXTS)
    assert (scores > 0).all() and list(scores) == sorted(scores, reverse=True)


def test_unknown_words_find_nothing(lexical: LexicalIndex) -> None:
    positions, scores = lexical.search("what was the motto", 3)
    assert len(positions) == len(scores) == 0
    assert lexical.search("", 3)[0].size == 0


def test_an_empty_collection_searches_to_nothing() -> None:
    empty = LexicalIndex.build([])
    assert len(empty) == 0 and empty.search("năm 2020", 5)[0].size == 0


# --- persistence ---------------------------------------------------------------------------------


def test_save_and_load_round_trip(lexical: LexicalIndex, tmp_path: Path) -> None:
    lexical.save(tmp_path / "lex")
    loaded = LexicalIndex.load(tmp_path / "lex")
    assert len(loaded) == len(lexical)
    for question in ("247.344", "hòa bình", "phương châm năm 2020"):
        expected, got = lexical.search(question, 3), loaded.search(question, 3)
        assert np.array_equal(expected[0], got[0]) and np.allclose(expected[1], got[1])


def test_an_empty_index_round_trips(tmp_path: Path) -> None:
    LexicalIndex.build([]).save(tmp_path / "lex")
    assert len(LexicalIndex.load(tmp_path / "lex")) == 0


def test_loading_an_unreadable_folder_is_corrupt(tmp_path: Path) -> None:
    with pytest.raises(IndexCorruptError, match="lexical"):
        LexicalIndex.load(tmp_path / "nothing")


@pytest.fixture
def saved_index(tmp_path: Path, fake_embedder: HashingEmbedder) -> Path:
    articles = [Article(f"a{n}", f"Bài {n}", text) for n, text in enumerate(TEXTS)]
    folder = tmp_path / "idx"
    Index.build(articles, fake_embedder, ChunkingParams(700, 1)).save(folder)
    return folder


def test_an_index_folder_keeps_its_lexical_index(saved_index: Path) -> None:
    loaded = Index.load(saved_index)
    assert len(loaded.lexical) == len(loaded)
    positions, _ = loaded.lexical_search("247.344 biên chế", 3)
    assert loaded.chunks[positions[0]].doc_id == "a0"


def test_a_tampered_lexical_file_fails_its_checksum(saved_index: Path) -> None:
    manifest = json.loads((saved_index / MANIFEST).read_text(encoding="utf-8"))
    name = next(n for n in manifest["files"] if n.startswith(f"{LEXICAL_DIR}/") and "vocab" in n)
    path = saved_index / name
    path.write_text(path.read_text(encoding="utf-8").replace("2021", "2022"), encoding="utf-8")
    with pytest.raises(IndexCorruptError, match="checksum"):
        Index.load(saved_index)


def test_a_missing_lexical_folder_is_a_clear_error(saved_index: Path) -> None:
    for path in (saved_index / LEXICAL_DIR).iterdir():
        path.unlink()
    (saved_index / LEXICAL_DIR).rmdir()
    with pytest.raises(IndexCorruptError, match=r"no lexical index \(lexical/\).*rag index"):
        Index.load(saved_index)


def test_a_missing_lexical_file_is_named(saved_index: Path) -> None:
    (saved_index / LEXICAL_DIR / "size.json").unlink()
    with pytest.raises(IndexCorruptError, match=r"size\.json"):
        Index.load(saved_index)


def test_adding_articles_updates_the_lexical_index(fake_embedder: HashingEmbedder) -> None:
    index = Index.build([Article("a0", "Bài", TEXTS[0])], fake_embedder, ChunkingParams(700, 1))
    assert index.lexical_search("Lạng Sơn", 3)[0].size == 0
    index.add_articles([Article("a2", "Bài", TEXTS[2])], fake_embedder)
    positions, _ = index.lexical_search("Lạng Sơn", 3)
    assert len(index.lexical) == len(index) and index.chunks[positions[0]].doc_id == "a2"


# --- changes without re-tokenizing the rows kept -----------------------------------------------

CHANGE_TEXTS = [
    "Bộ Nội vụ tổ chức hội nghị tổng kết năm 2020",
    "Biên chế công chức năm 2021 giảm 10,01%",
    "Rừng ngập mặn Cà Mau được trồng thêm",
    "Hội thảo chuyển đổi số tại Đà Lạt",
]
CHANGE_QUERIES = ["hội nghị năm 2020", "biên chế 10,01%", "rừng ngập mặn", "Đà Lạt chuyển đổi số"]


def _results(index: LexicalIndex) -> list[tuple[list[int], list[float]]]:
    return [
        (found[0].tolist(), np.round(found[1], 5).tolist())
        for found in (index.search(q, 4) for q in CHANGE_QUERIES)
    ]


def test_a_change_ranks_exactly_as_a_full_rebuild(tmp_path: Path) -> None:
    keep, new = [0, 2], ["Đà Lạt có rừng thông", "Hội nghị biên chế năm 2022"]
    first = LexicalIndex.build(CHANGE_TEXTS)
    first.save(tmp_path / "lex")
    loaded = LexicalIndex.load(tmp_path / "lex")  # the token ids travel with the index
    changed = loaded.changed(keep, new)
    assert changed is not None
    rebuilt = LexicalIndex.build([*(CHANGE_TEXTS[i] for i in keep), *new])
    assert len(changed) == len(rebuilt) == 4
    assert _results(changed) == _results(rebuilt)
    assert changed.search("10,01%", 4)[0].tolist() == []  # only the removed row said it


def test_a_change_tokenizes_only_the_new_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    index = LexicalIndex.build(CHANGE_TEXTS)
    seen: list[str] = []
    real = lexical_module.tokenize

    def counting(text: str) -> list[str]:
        seen.append(text)
        return real(text)

    monkeypatch.setattr(lexical_module, "tokenize", counting)
    index.changed([0, 1, 2, 3], ["Một đoạn mới"])
    assert seen == ["Một đoạn mới"]


def test_an_index_saved_without_token_ids_asks_for_a_rebuild(tmp_path: Path) -> None:
    LexicalIndex.build(CHANGE_TEXTS).save(tmp_path / "lex")
    for name in ("row_tokens.npy", "row_lengths.npy", "row_vocab.json"):
        (tmp_path / "lex" / name).unlink()
    assert LexicalIndex.load(tmp_path / "lex").changed([0], ["x"]) is None
