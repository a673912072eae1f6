"""rag.ingest.cleaning: each rule alone, the guard that keeps prose, and the rules together."""

from __future__ import annotations

import hashlib

import pytest

from rag.errors import DocumentError
from rag.ingest.articles import article_from_record, load_articles, parse_plain_text
from rag.ingest.cleaning import (
    PROSE_MIN_CHARS,
    RULES,
    Place,
    Rule,
    clean,
    explain,
    is_protected,
    repeat_key,
)
from rag.settings import BUNDLED_ARTICLES

RULE = {rule.name: rule for rule in RULES}
NOWHERE = Place()  # a paragraph among others, not after an image, nothing kept before it

# A long prose paragraph that happens to hold "ảnh:" (the shape the credit rule used to eat).
SCREEN_PROSE = (
    "Bộ phim kể lại cuộc đời của một nữ diễn viên từng rất nổi tiếng trên màn ảnh: cô bắt đầu "
    "đóng phim từ năm 16 tuổi, được khán giả yêu mến suốt hai thập kỷ, rồi rời xa ánh đèn sân "
    "khấu để về quê mở một lớp dạy múa miễn phí cho trẻ em nghèo trong vùng."
)
# A long paragraph of a photo report: prose that closes with the photo's credit.
REPORT_WITH_CREDIT = (
    "Các bệnh viện ở thủ đô đang quá tải vì số bệnh nhân tăng nhanh trong tuần qua. Nhiều người "
    "phải chờ bên ngoài cổng bệnh viện hàng giờ liền trước khi được tiếp nhận, trong khi nguồn "
    "cung ôxy y tế vẫn chưa đáp ứng đủ nhu cầu điều trị (Ảnh: Reuters)."
)


def drops(name: str, text: str, place: Place = NOWHERE) -> bool:
    return RULE[name].drops(text, place)


def test_long_paragraphs_in_these_tests_are_long() -> None:
    assert len(SCREEN_PROSE) >= PROSE_MIN_CHARS
    assert len(REPORT_WITH_CREDIT) >= PROSE_MIN_CHARS


def test_rules_have_unique_names_and_say_what_they_drop() -> None:
    assert len(RULE) == len(RULES)
    assert all(rule.claims for rule in RULES)


# --- photo credits -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Ảnh: Nguyễn Văn A",
        "Ảnh: QUỐC NAM.",
        "(Ảnh: CNN)",
        "ẢNH: TUYẾT KIỀU.",
        "Ảnh minh họa: Reuters",
        "Toàn cảnh hội nghị năm 2023 (Ảnh: TTXVN)",
        "Phó Thủ tướng dự hội nghị - Ảnh: VGP/Lê Sơn",
        "Binh sĩ tập trận tại vùng biên giới (ảnh: Reuters).",
        "Cổ động viên dọn rác trên khán đài sau trận đấu - ảnh: REUTERS.",
        "Lực lượng chức năng kiểm tra hiện trường. Ảnh: Thanh Tuấn",
        "(Nguồn ảnh: Cảnh sát PCCC Hà Nội).",
    ],
)
def test_photo_credit_drops_credits_and_the_captions_they_close(text: str) -> None:
    assert drops("photo_credit", text)


@pytest.mark.parametrize(
    "text",
    [
        "Một phụ huynh phản ảnh: con tôi đã đóng tiền nhưng không được khám sức khỏe.",
        "Cùng xem một số hình ảnh: lễ hội, đường phố và chợ đêm.",
        "Ảnh hưởng của bão số 9: nhiều tuyến đường bị ngập sâu.",
        "Trước đó, ông được bổ nhiệm làm phó khoa Chẩn đoán hình ảnh - xét nghiệm.",
        # the credit word in the middle of a paragraph, followed by more than a name
        "Người dân tắm biển - Ảnh: T.TRUNG. Kết quả phân tích mẫu nước tại các bãi tắm phía "
        "đông cho thấy mật độ sinh vật vẫn đạt yêu cầu.",
    ],
)
def test_photo_credit_keeps_prose_that_mentions_a_picture(text: str) -> None:
    assert not drops("photo_credit", text)


def test_photo_credit_never_drops_long_prose() -> None:
    assert not drops("photo_credit", SCREEN_PROSE)
    assert not drops("photo_credit", REPORT_WITH_CREDIT)
    # the same shape, short, is a caption
    assert drops("photo_credit", "Bệnh nhân chờ bên ngoài cổng bệnh viện (Ảnh: Reuters).")


# --- marked captions -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Từ trái sang: ông Nguyễn Văn A, bà Trần Thị B và ông Lê Văn C tại lễ ký kết.",
        "Từ trái qua phải: Taylor R, Sophie Hannah Richardson và Davison.",
        "Trong ảnh: Một người phụ nữ bế con đi ngang các bức tường ở Baghdad ngày 9-12-2011.",
    ],
)
def test_marked_caption_drops_captions_that_say_so(text: str) -> None:
    assert drops("marked_caption", text)


def test_marked_caption_keeps_prose_and_long_paragraphs() -> None:
    assert not drops("marked_caption", "Ông A ngồi từ trái sang phải theo thứ tự chức vụ.")
    long_caption = "Từ trái sang: " + ", ".join(f"ông Nguyễn Văn {i}" for i in range(20)) + "."
    assert len(long_caption) >= PROSE_MIN_CHARS
    assert not drops("marked_caption", long_caption)


# --- image remnants, numbers, file names ---------------------------------------------------------


@pytest.mark.parametrize("text", ["a", ".", "b.", "..."])
def test_image_remnant_drops_what_is_left_of_an_image(text: str) -> None:
    assert drops("image_remnant", text)


@pytest.mark.parametrize("text", ["", "1", "9.", "-", "*"])
def test_a_lone_number_mark_or_empty_line_is_no_image(text: str) -> None:
    assert not drops("image_remnant", text)
    assert drops("stray_mark", text)


def test_cells_of_a_flattened_table_are_not_taken_for_captions() -> None:
    blocks = [
        "Chỉ tiêu tuyển sinh năm 2021 như sau.",
        "-",
        "120",
        "-",
        "Từ 4.150.000 đến 11.350.000",
    ]
    assert clean(blocks) == [blocks[0], "120", "Từ 4.150.000 đến 11.350.000"]


def test_items_after_list_numbers_are_not_taken_for_captions() -> None:
    blocks = ["Các mục tiêu gồm:", "1", "Xóa nghèo (No Poverty)", "2", "Xóa đói (Zero Hunger)"]
    assert clean(blocks) == ["Các mục tiêu gồm:", "Xóa nghèo (No Poverty)", "Xóa đói (Zero Hunger)"]


def test_the_empty_lead_left_by_an_outlet_marker_does_not_eat_the_next_paragraph() -> None:
    body = (
        "(Chinhphu.vn) -\n"
        "Ngày 2/8/2016, Hội đồng tiền lương đã chốt phương án tăng lương theo các mức sau đây:\n"
        "- Vùng I: 3.750.000 đồng / tháng."
    )
    article = article_from_record({"id": "x", "body": body}, "test")
    assert article.source == "Chinhphu.vn"
    assert article.paragraphs[0].startswith("Ngày 2/8/2016")


def test_image_file_drops_file_names_but_not_long_prose() -> None:
    assert drops("image_file", "hoi-nghi-2023.jpg")
    assert drops("image_file", "Noi-vu.jpgQuang cảnh hội nghị tại điểm cầu Khánh Hòa.")
    assert not drops("image_file", "Tệp ảnh.jpg được gửi kèm. " + SCREEN_PROSE)


# --- captions by position and shape --------------------------------------------------------------


def test_caption_under_image_needs_an_image_before_it() -> None:
    caption = "Quang cảnh tại điểm cầu tỉnh Tiền Giang."
    assert drops("caption_under_image", caption, Place(after_image=True))
    assert not drops("caption_under_image", caption)
    assert not drops("caption_under_image", SCREEN_PROSE, Place(after_image=True))


def test_unpunctuated_label_drops_short_labels_only() -> None:
    assert drops("unpunctuated_label", "Các đại biểu dự hội nghị tại điểm cầu tỉnh Lạng Sơn")
    assert drops("unpunctuated_label", "Minh Phương")
    assert not drops("unpunctuated_label", "Hội nghị kết thúc lúc 17 giờ")  # a figure
    assert not drops("unpunctuated_label", "Hội nghị kết thúc vào buổi chiều.")  # a final mark
    assert not drops("unpunctuated_label", "- Đau đầu")  # an item of a list of symptoms
    assert drops("unpunctuated_label", "* Bài viết thể hiện quan điểm riêng của tác giả")


# --- repeats -------------------------------------------------------------------------------------


def test_repeated_paragraph_drops_copies_even_long_ones() -> None:
    seen = {repeat_key(SCREEN_PROSE)}
    assert drops("repeated_paragraph", SCREEN_PROSE.upper(), Place(seen=seen))
    assert not drops("repeated_paragraph", REPORT_WITH_CREDIT, Place(seen=seen))


def test_the_same_value_in_two_table_cells_is_no_repeat() -> None:
    blocks = ["Điểm chuẩn như sau.", "Kế toán", "23.35", "110", "Kiểm toán", "23.35", "110"]
    assert [v.rule for v in explain(blocks)][4:] == ["unpunctuated_label", None, None]
    assert drops("repeated_paragraph", "Hiện trường vụ cháy.", Place(seen={"hiện trường vụ cháy"}))


# --- the guard -----------------------------------------------------------------------------------


def test_the_guard_protects_long_paragraphs_and_an_only_paragraph() -> None:
    assert is_protected("x" * PROSE_MIN_CHARS, NOWHERE)
    assert not is_protected("x" * (PROSE_MIN_CHARS - 1), NOWHERE)
    assert is_protected("Ảnh: Reuters", Place(only_paragraph=True))


def test_an_unguarded_rule_ignores_the_guard() -> None:
    always = Rule("always", "everything", lambda text, place: True, guarded=False)
    guarded = Rule("guarded", "everything short", lambda text, place: True)
    assert always.drops(SCREEN_PROSE, NOWHERE)
    assert not guarded.drops(SCREEN_PROSE, NOWHERE)
    assert guarded.drops("ngắn", NOWHERE)


# --- the rules together --------------------------------------------------------------------------


def test_explain_names_the_rule_that_dropped_each_paragraph() -> None:
    blocks = [
        "Câu đầu tiên của bài viết có đủ dấu câu.",
        "a",
        "Quang cảnh hội nghị.",
        "Phó Thủ tướng dự hội nghị - Ảnh: VGP/Lê Sơn",
        SCREEN_PROSE,
        "Câu đầu tiên của bài viết có đủ dấu câu!",
        REPORT_WITH_CREDIT,
    ]
    assert [v.rule for v in explain(blocks)] == [
        None,
        "image_remnant",
        "caption_under_image",
        "photo_credit",
        None,
        "repeated_paragraph",
        None,
    ]


def test_an_articles_only_paragraph_is_not_dropped_as_a_caption() -> None:
    caption = "Toàn bộ bệnh nhân trong bệnh viện đã được sơ tán (Ảnh: Reuters)."
    assert clean([caption]) == [caption]
    assert clean(["a", caption, "."]) == [caption]
    assert clean([caption, "Một đoạn văn khác của bài."]) == ["Một đoạn văn khác của bài."]
    article = article_from_record({"id": "one", "body": caption}, "test")
    assert article.text == caption
    assert parse_plain_text("one.txt", f"Tiêu đề bài\n\n{caption}\n").text == caption


def test_a_photo_report_keeps_its_prose() -> None:
    body = "\n".join([REPORT_WITH_CREDIT, "Người dân xếp hàng chờ nạp ôxy (Ảnh: AFP).", "Minh Anh"])
    article = article_from_record({"id": "report", "body": body}, "test")
    assert article.paragraphs == [REPORT_WITH_CREDIT]


def test_an_article_of_remnants_only_is_still_refused() -> None:
    with pytest.raises(DocumentError, match="no text left"):
        article_from_record({"id": "r", "body": "a\n.\n1"}, "test")


# --- the bundled articles clean exactly as they did before the rules were bounded ----------------

# sha256 of each bundled article's text (first 16 hex digits) and its paragraph count, taken with
# the cleaning of commit 87f67b3, before the rules were named and bounded.
BUNDLED_BEFORE = {
    "000_c1d1bf0d00618ad8.txt": ("e4fd63de6ce544db", 14),
    "001_eb33f2e5ca9e7309.txt": ("ff29e34e1413e5e3", 14),
    "002_9a983ff685051e77.txt": ("5cbbdb413e4fe9d4", 11),
    "003_16e7c6cf24d0288c.txt": ("1220414ff8f37d9b", 11),
    "004_f6d78a68113691fd.txt": ("d1dd40f8a994bbba", 3),
}


def test_the_bundled_articles_clean_exactly_as_before() -> None:
    result = load_articles([BUNDLED_ARTICLES])
    found = {
        a.doc_id: (hashlib.sha256(a.text.encode()).hexdigest()[:16], len(a.paragraphs))
        for a in result.articles
    }
    assert found == BUNDLED_BEFORE
