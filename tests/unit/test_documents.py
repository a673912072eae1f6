"""rag.ingest.articles: reading saved news pages and JSONL records into clean Articles."""

from __future__ import annotations

import gzip
import json
import unicodedata
from pathlib import Path

import pytest

from rag.errors import DocumentError
from rag.ingest.articles import (
    Article,
    LoadResult,
    clean_paragraphs,
    load_articles,
    load_file,
    parse_date,
    parse_plain_text,
)

A000 = "000_c1d1bf0d00618ad8.txt"
A001 = "001_eb33f2e5ca9e7309.txt"
A002 = "002_9a983ff685051e77.txt"
A003 = "003_16e7c6cf24d0288c.txt"
A004 = "004_f6d78a68113691fd.txt"

GOOD_TXT = (
    "Thứ hai, 15/01/2024\n\n"
    "Tiêu đề bài báo thử nghiệm\n\n"
    "Hà Nội có 1.783.174 người tham gia hoạt động. Đây là câu thứ hai của đoạn đầu.\n\n"
    "Đoạn thứ hai nói về năm 2023 và các kết quả đạt được trong năm.\n\n"
    "NGUYỄN VĂN A\n"
)


@pytest.fixture(scope="module")
def bundled() -> LoadResult:
    from rag.settings import BUNDLED_ARTICLES

    return load_articles([BUNDLED_ARTICLES])


def by_id(result: LoadResult) -> dict[str, Article]:
    return {a.doc_id: a for a in result.articles}


# --- the bundled articles ------------------------------------------------------------------------


def test_bundled_articles_all_load(articles_dir: Path) -> None:
    result = load_articles([articles_dir])
    assert result.errors == []
    assert [a.doc_id for a in result.articles] == [A000, A001, A002, A003, A004]


def test_bundled_articles_load_from_a_string_path(articles_dir: Path) -> None:
    assert len(load_articles([str(articles_dir)]).articles) == 5


@pytest.mark.parametrize(
    ("doc_id", "title", "date", "source", "byline"),
    [
        (
            A000,
            "Ngành nội vụ tổng kết công tác giai đoạn 2016 – 2020 và triển khai nhiệm vụ năm 2021",
            "2021-01-27",
            "LSO",
            "THANH HUYỀN-TIỂU YẾN",
        ),
        (
            A001,
            "Sáng 27/12, Bộ Nội vụ tổ chức hội nghị trực tuyến toàn quốc "
            "triển khai nhiệm vụ năm 2020",
            None,
            "Chinhphu.vn",
            "Lê Sơn",
        ),
        (A002, "Sở Nội vụ triển khai nhiệm vụ năm 2020", "2022-07-02", "LSO", "HÀ MY"),
        (
            A003,
            "Xây dựng nền hành chính nhà nước theo hướng dân chủ, chuyên nghiệp, hiện đại",
            "2023-12-20",
            "ABO",
            "MINH QUANG",
        ),
        (A004, "Bộ Nội vụ triển khai công tác năm 2022", "2022-01-12", None, "N.B"),
    ],
)
def test_bundled_article_facts(
    bundled: LoadResult,
    doc_id: str,
    title: str,
    date: str | None,
    source: str | None,
    byline: str,
) -> None:
    article = by_id(bundled)[doc_id]
    assert article.title == title
    assert article.date == date
    assert article.source == source
    assert article.byline == byline


def test_outlet_marker_and_byline_are_removed_from_the_text(bundled: LoadResult) -> None:
    articles = by_id(bundled)
    assert articles[A000].text.startswith("Sáng nay (30/12), Bộ Nội vụ")
    assert articles[A001].text.startswith("Sáng 27/12, Bộ Nội vụ")
    assert articles[A003].text.startswith("Chiều 20-12,")
    assert not articles[A000].text.rstrip().endswith("THANH HUYỀN-TIỂU YẾN")
    assert articles[A002].paragraphs[-1].startswith("Nhân dịp này")
    for article in articles.values():
        assert "\n\n\n" not in article.text
        assert all(p == p.strip() and p for p in article.paragraphs)


def test_repeated_lead_paragraph_appears_once(articles_dir: Path, bundled: LoadResult) -> None:
    lead = "Sáng 12-1, Bộ Nội vụ tổ chức Hội nghị trực tuyến tổng kết công tác năm 2021"
    raw = (articles_dir / A004).read_text(encoding="utf-8")
    assert raw.count(lead) == 2
    assert by_id(bundled)[A004].text.count(lead) == 1


def test_captions_and_stray_lines_are_dropped(articles_dir: Path, bundled: LoadResult) -> None:
    articles = by_id(bundled)
    raw001 = (articles_dir / A001).read_text(encoding="utf-8")
    raw003 = (articles_dir / A003).read_text(encoding="utf-8")
    assert "Ảnh: VGP/Lê Sơn" in raw001
    assert "\na\n" in raw003
    assert "Ảnh:" not in articles[A001].text
    assert "Quang cảnh tại điểm cầu tỉnh Tiền Giang" not in articles[A003].text
    assert "Các đại biểu dự hội nghị tại điểm cầu tỉnh Lạng Sơn" not in articles[A000].text
    assert "Chủ tịch UBND tỉnh phát biểu tại hội nghị" not in articles[A002].text
    assert "Đại biểu dự hội nghị" not in articles[A002].paragraphs
    for article in articles.values():
        assert all(len(p) > 3 for p in article.paragraphs), article.doc_id


def test_text_is_nfc_with_traditional_tone_marks(articles_dir: Path, bundled: LoadResult) -> None:
    assert "Tỉnh uỷ" in (articles_dir / A002).read_text(encoding="utf-8")
    article = by_id(bundled)[A002]
    assert "Tỉnh ủy" in article.text
    assert "uỷ" not in article.text
    for a in bundled.articles:
        for field in (a.title, a.text, a.byline or ""):
            assert unicodedata.is_normalized("NFC", field)


# --- plain-text parsing on synthetic pages -------------------------------------------------------


def test_parse_plain_text_of_nfd_input_is_nfc() -> None:
    article = parse_plain_text("x.txt", unicodedata.normalize("NFD", GOOD_TXT))
    assert article.title == "Tiêu đề bài báo thử nghiệm"
    assert article.date == "2024-01-15"
    assert article.byline == "NGUYỄN VĂN A"
    assert unicodedata.is_normalized("NFC", article.text)
    assert article.paragraphs == [
        "Hà Nội có 1.783.174 người tham gia hoạt động. Đây là câu thứ hai của đoạn đầu.",
        "Đoạn thứ hai nói về năm 2023 và các kết quả đạt được trong năm.",
    ]


def test_image_file_lines_and_credits_are_dropped() -> None:
    raw = (
        "Tiêu đề\n\n"
        "Câu đầu tiên của bài viết có đủ dấu câu.\n\n"
        "hoi-nghi-2023.jpg\n\n"
        "Toàn cảnh hội nghị năm 2023 (Ảnh: TTXVN)\n\n"
        "a\n\n"
        "Quang cảnh hội nghị.\n\n"  # the caption under the image whose remnant is "a"
        "Câu cuối cùng của bài viết cũng có dấu câu.\n"
    )
    article = parse_plain_text("x.txt", raw)
    assert article.paragraphs == [
        "Câu đầu tiên của bài viết có đủ dấu câu.",
        "Câu cuối cùng của bài viết cũng có dấu câu.",
    ]


def test_clean_paragraphs_keeps_prose_and_drops_repeats() -> None:
    blocks = ["Một câu văn.", ".", "Một câu văn.", "Một  câu văn!", "Câu khác có số 12."]
    assert clean_paragraphs(blocks) == ["Một câu văn.", "Câu khác có số 12."]


def test_lines_ending_in_a_comma_continue_on_the_next() -> None:
    raw = "Tiêu đề\n\nNăm 2023, ngành nội vụ đạt kết quả,\ntốt trong mọi lĩnh vực.\n"
    assert parse_plain_text("x.txt", raw).text == (
        "Năm 2023, ngành nội vụ đạt kết quả, tốt trong mọi lĩnh vực."
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("27/01/2021", "2021-01-27"),
        ("Thứ tư, 27/01/2021", "2021-01-27"),
        ("2021-01-27", "2021-01-27"),
        ("20200115", "2020-01-15"),
        ("04:01, 12/01/2022", "2022-01-12"),
        ("31/02/2021", None),
        ("không có ngày", None),
        ("", None),
    ],
)
def test_parse_date(text: str, expected: str | None) -> None:
    assert parse_date(text) == expected


# --- bad files are reported, the rest still loads ------------------------------------------------


def write_good(folder: Path, name: str = "good.txt") -> Path:
    path = folder / name
    path.write_text(GOOD_TXT, encoding="utf-8")
    return path


def test_empty_file_is_reported_and_the_others_load(tmp_path: Path) -> None:
    write_good(tmp_path)
    (tmp_path / "empty.txt").write_bytes(b"  \n\n")
    result = load_articles([tmp_path])
    assert [a.doc_id for a in result.articles] == ["good.txt"]
    assert len(result.errors) == 1
    error = result.errors[0]
    assert isinstance(error, DocumentError)
    assert error.path.endswith("empty.txt")
    assert "empty.txt" in str(error)
    assert "empty" in error.reason


def test_non_utf8_file_is_reported_and_the_others_load(tmp_path: Path) -> None:
    write_good(tmp_path)
    (tmp_path / "latin1.txt").write_bytes("Café au lait\n\nUne phrase.".encode("latin-1"))
    result = load_articles([tmp_path])
    assert [a.doc_id for a in result.articles] == ["good.txt"]
    assert len(result.errors) == 1
    assert "latin1.txt" in str(result.errors[0])
    assert "UTF-8" in result.errors[0].reason


def test_utf8_with_bom_is_read(tmp_path: Path) -> None:
    (tmp_path / "bom.txt").write_bytes(GOOD_TXT.encode("utf-8-sig"))
    result = load_articles([tmp_path])
    assert result.errors == []
    assert result.articles[0].date == "2024-01-15"


def test_file_with_nothing_left_after_cleaning_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "captions.txt").write_text("a\n\n.\n\nb\n", encoding="utf-8")
    result = load_articles([tmp_path])
    assert result.articles == []
    assert len(result.errors) == 1
    assert "captions.txt" in str(result.errors[0])


def test_unsupported_suffix_given_explicitly_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_text("Một câu văn.", encoding="utf-8")
    with pytest.raises(DocumentError, match="unsupported file type"):
        load_file(path)
    result = load_articles([path])
    assert result.articles == []
    assert [e.path for e in result.errors] == [str(path)]


def test_unsupported_files_in_a_folder_are_ignored(tmp_path: Path) -> None:
    write_good(tmp_path)
    (tmp_path / "notes.md").write_text("x", encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text(GOOD_TXT, encoding="utf-8")
    result = load_articles([tmp_path])
    assert [a.doc_id for a in result.articles] == ["good.txt"]
    assert result.errors == []


def test_missing_path_is_reported(tmp_path: Path) -> None:
    good = write_good(tmp_path)
    missing = tmp_path / "nope"
    result = load_articles([missing, good])
    assert [a.doc_id for a in result.articles] == ["good.txt"]
    assert len(result.errors) == 1
    assert result.errors[0].path == str(missing)
    assert "no such file" in result.errors[0].reason


def test_folder_without_articles_is_reported(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = load_articles([empty])
    assert result.articles == []
    assert len(result.errors) == 1
    assert result.errors[0].path == str(empty)


# --- JSONL ---------------------------------------------------------------------------------------


def record(
    doc_id: str, body: str = "Nội dung bài báo. Câu thứ hai của bài.", **extra: object
) -> str:
    return json.dumps({"id": doc_id, "body": body, **extra}, ensure_ascii=False)


def test_jsonl_records_become_articles(tmp_path: Path) -> None:
    path = tmp_path / "news.jsonl"
    path.write_text(
        record("a1", title="Tiêu đề hoà bình", date="20200115", url="https://example.org/a1")
        + "\n"
        + record("a2", body="(Chinhphu.vn) - Sáng 27/12, Bộ Nội vụ tổ chức hội nghị.")
        + "\n\n",
        encoding="utf-8",
    )
    result = load_articles([path])
    assert result.errors == []
    first, second = result.articles
    assert first == Article(
        doc_id="a1",
        title="Tiêu đề hòa bình",
        text="Nội dung bài báo. Câu thứ hai của bài.",
        date="2020-01-15",
        url="https://example.org/a1",
    )
    assert second.doc_id == "a2"
    assert second.source == "Chinhphu.vn"
    assert second.text == "Sáng 27/12, Bộ Nội vụ tổ chức hội nghị."
    assert second.title == "Sáng 27/12, Bộ Nội vụ tổ chức hội nghị"  # from the lead
    assert second.date is None and second.url is None


def test_malformed_json_line_is_reported_with_its_number(tmp_path: Path) -> None:
    path = tmp_path / "news.jsonl"
    path.write_text("\n".join([record("a1"), "{not json", record("a3")]), encoding="utf-8")
    result = load_articles([path])
    assert [a.doc_id for a in result.articles] == ["a1", "a3"]
    assert len(result.errors) == 1
    error = result.errors[0]
    assert error.line == 2
    assert error.path == str(path)
    assert "line 2" in str(error)
    assert "invalid JSON" in error.reason


def test_record_without_body_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "news.jsonl"
    path.write_text(
        "\n".join([json.dumps({"id": "nobody", "title": "T"}), record("ok"), json.dumps([1, 2])]),
        encoding="utf-8",
    )
    result = load_articles([path])
    assert [a.doc_id for a in result.articles] == ["ok"]
    assert [(e.line, "body" in e.reason or "JSON object" in e.reason) for e in result.errors] == [
        (1, True),
        (3, True),
    ]
    assert "nobody" in str(result.errors[0])


def test_jsonl_with_no_readable_record_is_one_file_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text("{oops\n" + json.dumps({"title": "no id"}) + "\n", encoding="utf-8")
    with pytest.raises(DocumentError, match="no article could be read"):
        load_file(path)


def test_gzipped_jsonl_is_read(tmp_path: Path) -> None:
    path = tmp_path / "news.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(record("g1", date="2021-01-27") + "\n" + record("g2") + "\n")
    result = load_articles([tmp_path])
    assert result.errors == []
    assert [(a.doc_id, a.date) for a in result.articles] == [("g1", "2021-01-27"), ("g2", None)]


def test_corrupt_gzip_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "news.jsonl.gz"
    path.write_bytes(gzip.compress((record("g1") + "\n").encode())[:-12])
    write_good(tmp_path)
    result = load_articles([tmp_path])
    assert [a.doc_id for a in result.articles] == ["good.txt"]
    assert len(result.errors) == 1
    assert result.errors[0].path == str(path)


def test_gzipped_jsonl_with_bom_is_read_like_plain_jsonl(tmp_path: Path) -> None:
    plain = tmp_path / "plain.jsonl"
    plain.write_bytes((record("p1") + "\n").encode("utf-8-sig"))
    zipped = tmp_path / "zipped.jsonl.gz"
    zipped.write_bytes(gzip.compress((record("z1") + "\n").encode("utf-8-sig")))
    result = load_articles([plain, zipped])
    assert result.errors == []
    assert [a.doc_id for a in result.articles] == ["p1", "z1"]


def test_record_body_may_hold_line_separators(tmp_path: Path) -> None:
    path = tmp_path / "news.jsonl"
    body = "Câu đầu tiên.\u2028Vẫn cùng dòng JSON. Câu thứ ba của bài."
    path.write_text(
        json.dumps({"id": "u", "body": body}, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    result = load_articles([path])
    assert result.errors == []
    assert [a.doc_id for a in result.articles] == ["u"]


# --- duplicates ----------------------------------------------------------------------------------


def test_duplicate_doc_ids_keep_the_first_and_report_the_rest(tmp_path: Path) -> None:
    first = tmp_path / "a.jsonl"
    second = tmp_path / "b.jsonl"
    first.write_text(record("same", body="Bản thứ nhất của bài.") + "\n", encoding="utf-8")
    second.write_text(
        record("same", body="Bản thứ hai của bài.") + "\n" + record("other") + "\n",
        encoding="utf-8",
    )
    result = load_articles([tmp_path])
    assert [a.doc_id for a in result.articles] == ["same", "other"]
    assert result.articles[0].text == "Bản thứ nhất của bài."
    assert len(result.errors) == 1
    assert result.errors[0].path == str(second)
    assert "duplicate" in result.errors[0].reason and "same" in result.errors[0].reason


def test_same_file_given_twice_loads_once(articles_dir: Path) -> None:
    path = articles_dir / A000
    result = load_articles([path, path])
    assert [a.doc_id for a in result.articles] == [A000]
    assert len(result.errors) == 1
