"""rag.answer.facts: the facts an answer states, and where passages hold them after
normalisation (number forms, tone marks, case, diacritics)."""

from __future__ import annotations

import unicodedata

import pytest

from rag.answer.facts import Evidence, Fact, asked_kinds, facts_of, judged, key_facts

PASSAGE = (
    "Năm 2023, thành phố có 3.250 cơ sở giáo dục và 63 điểm cầu. Phó Chủ tịch UBND tỉnh "
    "Nguyễn Thị Hòa phát biểu. Phương châm là “Kỷ cương, trách nhiệm, hành động”. "
    "Tỷ lệ đạt 10,01%."
)
EVIDENCE = Evidence([PASSAGE, "Một bài khác về 7 nhiệm vụ, đăng 2022-01-05."])


def kinds(answer: str) -> list[tuple[str, str]]:
    return [(f.kind, f.text) for f in facts_of(answer)]


def test_figures_years_dates_names_and_quotes_are_facts() -> None:
    answer = "Ngày 5/1/2022, Phó Chủ tịch Nguyễn Thị Hòa nêu phương châm “Kỷ cương” và 63 điểm cầu."
    assert kinds(answer) == [
        ("date", "Ngày 5/1/2022"),
        ("figure", "63"),
        ("quote", "Kỷ cương"),
        ("name", "Phó Chủ"),
        ("name", "Nguyễn Thị Hòa"),
    ]


def test_citations_and_pointers_are_not_facts() -> None:
    assert facts_of("Có 63 điểm cầu, theo passage 2 [1][3].") == [Fact("figure", "63")]


def test_a_lowercase_letter_in_the_upper_range_does_not_start_a_name() -> None:
    # "ị" lies between "Ạ" and "Ỹ" in Unicode, but it is not a capital.
    assert kinds("Chủ tịch Nguyễn Văn An phát biểu.") == [("name", "Nguyễn Văn An")]


@pytest.mark.parametrize("written", ["3.250", "3,250", "3250", "3, 250", "3. 250"])
def test_one_figure_in_every_spelling_is_found(written: str) -> None:
    [fact] = facts_of(f"Có {written} cơ sở giáo dục [1].")
    assert EVIDENCE.holds(fact) == [0]


def test_a_list_of_two_figures_is_two_figures_each_looked_up() -> None:
    [fact] = facts_of("Có 63, 250 điểm.")  # no 63250 anywhere: 63 and 250 must each be found
    assert EVIDENCE.holds(fact) == []
    assert Evidence(["63 điểm và 250 cơ sở"]).holds(fact) == [0]


def test_a_decimal_in_either_notation_is_found() -> None:
    for written in ("10,01%", "10.01%"):
        [fact] = facts_of(f"Tỷ lệ là {written}.")
        assert EVIDENCE.holds(fact) == [0]


def test_a_one_digit_figure_is_a_fact_and_found() -> None:
    [fact] = facts_of("Gồm 7 nhiệm vụ [1].")
    assert fact == Fact("figure", "7") and EVIDENCE.holds(fact) == [1]


def test_a_date_is_found_in_a_publication_date_in_another_format() -> None:
    [fact] = [f for f in facts_of("Ngày 5/1/2022 [1].") if f.kind == "date"]
    assert EVIDENCE.holds(fact) == [1]


def test_names_are_found_whatever_the_case_tone_placement_or_unicode_form() -> None:
    for written in ("Nguyễn Thị Hoà", "NGUYỄN THỊ HÒA",
                    unicodedata.normalize("NFD", "Nguyễn Thị Hòa"), "Nguyen Thi Hoa"):  # fmt: skip
        assert EVIDENCE.holds(Fact("name", written)) == [0], written


def test_a_name_with_an_english_title_before_it_is_found() -> None:
    [fact] = facts_of("Deputy Chair Nguyen Thi Hoa spoke [1].")
    assert EVIDENCE.holds(fact) == [0]


def test_a_foreign_name_accented_only_in_its_last_word_is_a_name() -> None:
    assert kinds("Dưới sự chỉ đạo của Ferenc Deák [1].") == [("name", "Ferenc Deák")]
    assert Evidence(["những người Hungary dưới thời Ferenc Deák đã chỉ đạo"]).holds(
        Fact("name", "Ferenc Deák")
    ) == [0]
    assert kinds("Deputy Prime Minister Trần Lưu Quang [1].") == [("name", "Trần Lưu Quang")]


def test_a_name_must_match_whole_words() -> None:
    assert EVIDENCE.holds(Fact("name", "Nguyễn Thị Ho")) == []


def test_a_quoted_motto_is_found_despite_punctuation_and_case() -> None:
    [fact] = facts_of("The motto was “kỷ cương trách nhiệm, hành động” (discipline) [1].")
    assert EVIDENCE.holds(fact) == [0]
    [garbled] = facts_of("The motto was “Kỷ cương, trách nhiệm, sáng tạo” [1].")
    assert EVIDENCE.holds(garbled) == []


def test_key_facts_leave_out_what_the_question_holds() -> None:
    question = "Năm 2023 thành phố có bao nhiêu cơ sở giáo dục?"
    assert key_facts("Năm 2023 có 3.250 cơ sở [1].", question) == [Fact("figure", "3.250")]


def test_english_words_in_names_or_quotes_are_not_judged() -> None:
    assert not judged(Fact("name", "Home Affairs"))
    assert not judged(Fact("quote", "discipline, responsibility"))
    assert judged(Fact("name", "Nguyễn Văn An")) and judged(Fact("figure", "7"))


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Biên chế năm 2021 là bao nhiêu?", {"figure"}),
        ("How many civil servants were there?", {"figure"}),
        ("Ai chủ trì hội nghị?", {"name"}),
        ("Who chaired the meeting?", {"name"}),
        ("Luật được thông qua khi nào?", {"year", "date"}),
        ("In what year was it founded?", {"year", "date"}),
        ("Phương châm hành động là gì?", set()),
        ("Tại sao phải cải cách?", set()),  # "sao" alone asks nothing countable
        ("In what decades was he most active?", {"year", "date"}),
        # A question word inside a name asks nothing: "Doctor Who", "Ai Cập" (Egypt).
        ("Doctor Who thường mang theo những sinh vật nào?", set()),
        ("In what decades was Dudley Simpson most active in Doctor Who?", {"year", "date"}),
        ("Dân số Ai Cập là bao nhiêu?", {"figure"}),
        ("Người Ai Cập nào là ai?", {"name"}),
        ("Ai là Chủ tịch?", {"name"}),
    ],
)
def test_what_a_question_asks_for(question: str, expected: set[str]) -> None:
    assert asked_kinds(question) == expected


def test_a_share_written_with_a_slash_is_a_figure_not_a_date() -> None:
    assert kinds("Hoàn thành 16/16 nhiệm vụ [1].") == [("figure", "16"), ("figure", "16")]
    assert kinds("Ngày 13/1 [1].") == [("date", "Ngày 13/1")]


@pytest.mark.parametrize(
    "answer",
    [
        "Các nhiệm vụ gồm:\n1. Cải cách hành chính\n2. Tinh giản biên chế\n3) Chuyển đổi số",
        "Chỉ tiêu gồm (1) sắp xếp bộ máy và (2) tinh giản biên chế.",
        "Các nguyên nhân là: 1. nghèo đói 2. thiếu giáo dục 3. thể chế yếu [1]",
        "It focused on: 1. North Africa. 2. Southeast Asia. [1]",
    ],
)
def test_the_numbers_of_a_list_are_not_figures(answer: str) -> None:
    assert not [f for f in facts_of(answer) if f.kind in ("figure", "year")]


def test_an_inline_list_keeps_the_figures_of_its_items() -> None:
    answer = "Như sau: 1. Rhazes (865-915) dùng hóa chất. 2. Abulcasis viết 30 tập."
    assert [f.text for f in facts_of(answer) if f.kind == "figure"] == ["865", "915", "30"]


@pytest.mark.parametrize(
    "answer",
    [
        "Đội về thứ 2. Đội kia về thứ 3.",  # no "1." before them: places, not markers
        "Tỷ số là 1. Sau đó đội thắng 3 trận.",  # one "1." alone ends a sentence
        "Giá 1.5 triệu, rồi 2.5 triệu.",  # decimals
    ],
)
def test_numbers_that_do_not_count_up_from_one_stay_figures(answer: str) -> None:
    assert [f for f in facts_of(answer) if f.kind == "figure"]


def test_a_figure_at_the_start_of_a_line_is_still_a_figure() -> None:
    assert ("figure", "7") in kinds("7 nhiệm vụ trọng tâm.\n63 điểm cầu.")
    assert ("figure", "2.5") in kinds("2.5% là tỷ lệ.")


def test_a_capitalised_word_alone_inside_a_sentence_is_a_name_judged_only_where_found() -> None:
    answer = "The merger was proposed with DuMont in 1954."
    names = [f for f in facts_of(answer) if f.kind == "name"]
    assert names == [Fact("name", "DuMont")]
    assert not judged(names[0])
    assert Evidence(["Sáp nhập với Mạng lưới Truyền hình DuMont năm 1954."]).holds(names[0]) == [0]


def test_a_sentence_first_word_or_a_word_of_a_run_is_not_a_single_name() -> None:
    names = [f.text for f in facts_of("Luther wrote it. Then William Tyndale read it.")
             if f.kind == "name"]  # fmt: skip
    assert names == ["Then William Tyndale"]  # a run (name_variants drop its first words)


def test_a_count_written_as_a_word_is_a_figure_found_as_its_value() -> None:
    evidence = Evidence(["Lưu vực sông có chín quốc gia.", "Trường có 4 cơ sở ở Ba Lan."])
    assert ("figure", "bốn") in kinds("Trường có bốn cơ sở.")
    assert ("figure", "nine") in kinds("There are nine countries.")
    assert evidence.holds(Fact("figure", "9")) == [0]  # the passage writes the word
    assert evidence.holds(Fact("figure", "nine")) == [0]  # across languages
    assert evidence.holds(Fact("figure", "bốn")) == [1]  # the passage writes the digit
    assert evidence.holds(Fact("figure", "3")) == []  # "Ba Lan" is Poland, not three


def test_a_count_written_as_a_word_is_not_judged_where_found_nowhere() -> None:
    # "the two sides" is the answer's own wording more often than a claimed figure.
    assert not judged(Fact("figure", "two")) and judged(Fact("figure", "2"))
