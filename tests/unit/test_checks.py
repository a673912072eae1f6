"""rag.answer.checks: each named check on its own, with the reply shapes that real models wrote
(right answers that earlier vetoes threw away, and wrong ones that must still be caught)."""

from __future__ import annotations

import pytest

from rag.answer.checks import (
    CHECKS,
    RETRY_ON,
    SOFT,
    Draft,
    asked_fact_not_grounded,
    draft_from_reply,
    failing_check,
    first_failure,
    from_another_year,
    invented_figures,
    invented_names,
    lacks_asked_fact,
    no_grounded_fact,
    restates_question,
    stands_without,
    wrong_place,
    wrong_role,
)
from rag.answer.reply import parse_reply
from rag.answer.sources import places
from rag.types import Passage


def passage(text: str, title: str = "Tin tức", date: str | None = None) -> Passage:
    return Passage(title, title, date, text, 0.5, 0, len(text))


TASKS = passage("Nghị định quy định Bộ Nội vụ có 7 nhiệm vụ trọng tâm. Quốc hội thông qua 2 luật.")
SCHOOLS = passage("Năm 2023, toàn thành phố có 3.250 cơ sở giáo dục, trong đó Quận 1 có 120 cơ sở.")
MOTTO = passage(
    "Bộ Nội vụ xác định phương châm hành động năm 2022 là “Đoàn kết, kỷ cương, đổi mới”.",
    title="Hội nghị triển khai nhiệm vụ năm 2022",
    date="2022-01-05",
)
PLAN = passage("Năm 2023, Chính phủ đặt mục tiêu hoàn thành chuyển đổi số vào năm 2035.")
LAW = passage("Ngày 25/11/2019, Quốc hội thông qua Luật sửa đổi, bổ sung Luật Cán bộ, công chức.")
YEARS = passage(
    "Tổng kết năm 2022, ngành đạt nhiều kết quả. Phương châm hành động của năm 2023 là "
    "“Đoàn kết, kỷ cương, gương mẫu”."
)
CONTEXT = [TASKS, SCHOOLS, MOTTO, PLAN, LAW, YEARS]


def draft(text: str, question: str, language: str = "vi", context=None) -> Draft:
    context = CONTEXT if context is None else context
    return draft_from_reply(parse_reply(text, len(context)), question, language, context)


# --- right answers that must stand -----------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "question"),
    [
        ("Bộ Nội vụ gồm 7 nhiệm vụ trọng tâm [1].", "Bộ Nội vụ có bao nhiêu nhiệm vụ trọng tâm?"),
        ("Quốc hội thông qua 2 luật [1].", "Quốc hội thông qua bao nhiêu luật?"),
        ("Toàn thành phố có 3, 250 cơ sở giáo dục [2].", "Thành phố có bao nhiêu cơ sở giáo dục?"),
        ("There were 3,250 schools in 2023 [2].", "How many schools did the city have in 2023?"),
        (
            "Ngày 5/1/2022, Bộ Nội vụ nêu phương châm “Đoàn kết, kỷ cương, đổi mới” [3].",
            "Phương châm hành động năm 2022 của Bộ Nội vụ là gì?",
        ),
        ("Mục tiêu là hoàn thành vào năm 2035 [4].", "Năm 2023, mục tiêu chuyển đổi số là gì?"),
        ("The goal is to finish by 2035 [4].", "In 2023, by when should the transition finish?"),
        (
            "The law is “Luật Cán bộ, công chức” (Law on Cadres and Civil Servants) [5].",
            "Which law did the National Assembly amend?",
        ),
    ],
)
def test_grounded_answers_pass_every_check(reply: str, question: str) -> None:
    assert first_failure(draft(reply, question, "en" if question.isascii() else "vi")) is None


def test_a_fact_cited_to_the_wrong_passage_is_cited_to_the_one_holding_it() -> None:
    found = draft("Toàn thành phố có 3.250 cơ sở giáo dục [1].", "Có bao nhiêu cơ sở giáo dục?")
    assert found.cited == [1] and found.text.endswith("[1]")
    assert first_failure(found) is None


def test_an_uncited_answer_cites_the_passage_holding_its_facts() -> None:
    found = draft("Phương châm là “Đoàn kết, kỷ cương, đổi mới”.", "Phương châm năm 2022 là gì?")
    assert found.cited == [2] and first_failure(found) is None


# --- wrong or empty answers that must be caught, each by its own check -------------------------


def test_an_echo_of_the_question_is_caught_and_may_be_retried() -> None:
    question = "Bộ Nội vụ có bao nhiêu nhiệm vụ trọng tâm?"
    echo = draft("Bộ Nội vụ có bao nhiêu nhiệm vụ trọng tâm? [1]", question)
    assert restates_question(echo) is not None
    assert failing_check(echo)[0] in RETRY_ON  # type: ignore[index]


def test_an_english_paraphrase_of_a_vietnamese_title_has_no_grounded_fact() -> None:
    reply = draft("It amended the Law on Public Officials [5].", "Which law was amended?", "en")
    assert no_grounded_fact(reply) is not None
    assert failing_check(reply)[0] in RETRY_ON  # type: ignore[index]


def test_an_invented_figure_is_caught() -> None:
    reply = draft("Toàn thành phố có 4.100 cơ sở giáo dục [2].", "Có bao nhiêu cơ sở giáo dục?")
    assert asked_fact_not_grounded(reply) is not None
    assert invented_figures(reply) == "figures found in no passage: ['4.100']"


def test_an_invented_figure_beside_a_grounded_fact_is_still_caught() -> None:
    reply = draft("Phương châm “Đoàn kết, kỷ cương, đổi mới” có 5 chữ [3].", "Phương châm là gì?")
    assert no_grounded_fact(reply) is None and invented_figures(reply) is not None


def test_an_invented_vietnamese_name_is_caught() -> None:
    reply = draft("Ông Nguyễn Văn Quyết chủ trì, có 7 nhiệm vụ [1].", "Ai chủ trì?")
    assert invented_names(reply) is not None
    assert asked_fact_not_grounded(reply) is not None  # the asked name is nowhere


def test_a_garbled_vietnamese_title_is_caught() -> None:
    reply = draft("Quốc hội thông qua “Luật Công chức, viên chức” [5].", "Luật nào được sửa?")
    assert invented_names(reply) is not None


def test_a_motto_taken_from_a_sentence_about_another_year_is_caught() -> None:
    reply = draft("Phương châm năm 2022 là “Đoàn kết, kỷ cương, gương mẫu” [6].",
                  "Phương châm năm 2022 là gì?")  # fmt: skip
    assert from_another_year(reply) == "the answer comes from a sentence about 2023"
    same_year = draft("Phương châm là “Đoàn kết, kỷ cương, gương mẫu” [6].",
                      "Phương châm năm 2023 là gì?")  # fmt: skip
    assert from_another_year(same_year) is None


def test_an_answer_in_words_found_in_no_passage_is_not_grounded() -> None:
    reply = draft("Trời hôm nay nắng đẹp [1].", "Thời tiết thế nào?")
    assert no_grounded_fact(reply) is not None


def test_an_answer_in_words_of_a_passage_is_grounded() -> None:
    reply = draft("Ngành đạt nhiều kết quả [6].", "Tổng kết năm 2022 ngành thế nào?")
    assert no_grounded_fact(reply) is None


def test_every_check_is_named_and_retry_is_a_subset() -> None:
    assert len({c.__name__ for c in CHECKS}) == len(CHECKS)
    assert set(CHECKS) >= RETRY_ON
    assert invented_figures not in RETRY_ON and invented_names not in RETRY_ON


# --- whose fact: roles and places ----------------------------------------------------------------

REVIEW = passage(
    "Chiều 20-12, Phó Thủ tướng Trần Lưu Quang chủ trì hội nghị trực tuyến toàn quốc. "
    "Chủ trì tại điểm cầu tỉnh Bến Tre có đồng chí Lê Văn Hải, Phó Bí thư Tỉnh ủy, Chủ tịch "
    "UBND tỉnh. Phó Chủ tịch UBND tỉnh Đồng Nai Võ Thị Lan dự tại điểm cầu tỉnh Đồng Nai."
)
COUNTS = passage(
    "Cả nước có 2.140 đơn vị hành chính cấp xã được sắp xếp. Riêng tỉnh Nam Định có 135 đơn vị."
)
WHOSE = [REVIEW, COUNTS]


@pytest.mark.parametrize(
    ("reply", "question"),
    [
        ("Bà Võ Thị Lan [1].", "Ai là Chủ tịch UBND tỉnh Đồng Nai?"),  # the vice-chair
        ("Ông Lê Văn Hải [1].", "Ai là Bí thư Tỉnh ủy Bến Tre?"),  # the deputy secretary
        ("Võ Thị Lan [1].", "Who is the chair of Đồng Nai province's People's Committee?"),
    ],
)
def test_a_name_given_for_a_role_it_holds_only_as_deputy_is_caught(
    reply: str, question: str
) -> None:
    found = draft(reply, question, context=WHOSE)
    assert wrong_role(found) is not None
    assert failing_check(found)[0] in RETRY_ON  # type: ignore[index]


@pytest.mark.parametrize(
    ("reply", "question"),
    [
        ("Ông Lê Văn Hải [1].", "Ai là Chủ tịch UBND tỉnh Bến Tre?"),  # chair as well as deputy
        ("Bà Võ Thị Lan [1].", "Ai là Phó Chủ tịch UBND tỉnh Đồng Nai?"),
        ("Lê Văn Hải chaired it [1].", "Who chaired the Bến Tre connection point?"),
        ("Trần Lưu Quang [1].", "Ai chủ trì hội nghị toàn quốc?"),  # no role asked
    ],
)
def test_the_right_rank_and_place_pass(reply: str, question: str) -> None:
    assert first_failure(draft(reply, question, context=WHOSE)) is None


def test_the_national_chair_named_for_a_provincial_connection_point_is_caught() -> None:
    found = draft("Trần Lưu Quang chaired it [1].", "Who chaired the Bến Tre connection point?",
                  "en", WHOSE)  # fmt: skip
    assert wrong_place(found) is not None and wrong_role(found) is None


def test_a_provincial_count_given_for_the_national_one_is_caught() -> None:
    question = "Cả nước có bao nhiêu đơn vị hành chính cấp xã được sắp xếp?"
    assert wrong_place(draft("Có 135 đơn vị [2].", question, context=WHOSE)) is not None
    assert wrong_place(draft("Có 2.140 đơn vị [2].", question, context=WHOSE)) is None


def test_a_national_count_given_for_a_province_is_caught() -> None:
    question = "Tỉnh Nam Định có bao nhiêu đơn vị được sắp xếp?"
    assert wrong_place(draft("Có 2.140 đơn vị [2].", question, context=WHOSE)) is not None
    assert wrong_place(draft("Có 135 đơn vị [2].", question, context=WHOSE)) is None


@pytest.mark.parametrize(
    "question",
    ["Jacksonville nằm ở quận nào?", "In which county is Jacksonville?",
     "Where is Jacksonville the county seat?"],
)  # fmt: skip
def test_the_place_beside_the_answer_is_the_answer_when_the_question_asks_which_place(
    question: str,
) -> None:
    seat = passage(
        "Năm 1822, thành phố Jacksonville được thành lập. Đây là quận lỵ của quận Duval, "
        "mà chính quyền thành phố đã hợp nhất vào năm 1968."
    )
    assert wrong_place(draft("Quận Duval [1].", question, "vi", [seat])) is None
    # Asked of the same place without asking which place, the sentence is still someone else's.
    other = "Jacksonville hợp nhất với chính quyền quận vào năm nào?"
    assert wrong_place(draft("Năm 1968 [1].", other, "vi", [seat])) is not None


def test_a_place_word_before_a_lowercase_word_names_no_place() -> None:
    # "đ" lies inside the capital-letter range of the pattern: "thành phố đã" once named "đã".
    assert places("Chính quyền thành phố đã hợp nhất, tỉnh được khen.") == set()
    assert places("Năm 1822, thành phố Jacksonville được thành lập.") == {"jacksonville"}
    assert places("Tại điểm cầu tỉnh Lạng Sơn có đồng chí Quỳnh.") == {"lạng sơn"}


def test_a_fact_from_a_sentence_naming_no_place_is_not_judged() -> None:
    lone = passage("Tổng lượt cán bộ được đào tạo trong năm là 4.800 lượt.")
    question = "Tỉnh Lạng Sơn có bao nhiêu lượt cán bộ được đào tạo?"
    assert wrong_place(draft("4.800 lượt [1].", question, context=[lone])) is None


@pytest.mark.parametrize(
    ("reply", "question"),
    [
        (
            "Ông Lê Văn Hải dự hội nghị [1].",
            "Hội nghị diễn ra vào ngày nào?",
        ),  # a person for a date
        ("Bộ Nội vụ có nhiều nhiệm vụ trọng tâm [1].", "Bộ Nội vụ có bao nhiêu nhiệm vụ?"),
        ("Hội nghị trực tuyến toàn quốc [1].", "Ai chủ trì hội nghị?"),
    ],
)
def test_an_answer_without_the_kind_of_fact_asked_for_is_caught(reply: str, question: str) -> None:
    found = draft(reply, question, context=[*CONTEXT, REVIEW])
    assert lacks_asked_fact(found) is not None
    assert failing_check(found)[0] in RETRY_ON  # type: ignore[index]


@pytest.mark.parametrize(
    ("reply", "question"),
    [
        ("Quốc hội thông qua luật ngày 25/11/2019 [5].", "Luật được thông qua vào ngày nào?"),
        ("It was passed on 25 November 2019 [5].", "When was the law passed?"),
        ("Bộ Nội vụ có 7 nhiệm vụ trọng tâm [1].", "Bộ Nội vụ có bao nhiêu nhiệm vụ?"),
        # A count written as a word, grounded by the passage's digit.
        ("Bộ Nội vụ có bảy nhiệm vụ trọng tâm [1].", "Bộ Nội vụ có bao nhiêu nhiệm vụ?"),
        ("The ministry has seven key tasks [1].", "How many tasks does the ministry have?"),
    ],
)
def test_an_answer_with_the_kind_of_fact_asked_for_passes(reply: str, question: str) -> None:
    assert lacks_asked_fact(draft(reply, question)) is None


def test_a_name_the_passages_give_another_role_is_caught() -> None:
    # The Deputy Prime Minister offered as the chair of a province's committee, or as minister.
    found = draft("Trần Lưu Quang [1].", "Ai là Chủ tịch UBND tỉnh Bến Tre?", context=WHOSE)
    assert wrong_role(found) == ("Trần Lưu Quang is phó thủ tướng in the passages, not chủ tịch")
    english = draft("Trần Lưu Quang [1].", "Who was the minister at the review?", "en", WHOSE)
    assert wrong_role(english) is not None


def test_a_name_written_without_a_role_is_not_judged() -> None:
    bare_name = passage("Hội nghị có sự tham dự của ông Đỗ Văn Minh.")
    found = draft("Đỗ Văn Minh [1].", "Ai là Bộ trưởng?", context=[bare_name])
    assert wrong_role(found) is None


def test_a_count_written_as_a_word_found_nowhere_is_not_an_invented_figure() -> None:
    reply = draft("Quốc hội thông qua hai luật, cả 2 luật đều mới [1].", "Quốc hội làm gì?")
    assert invented_figures(reply) is None
    assert invented_figures(draft("Quốc hội thông qua 3 luật [1].", "Quốc hội làm gì?"))


def test_a_reply_that_only_lacks_the_asked_kind_stands_without_that_check() -> None:
    # "ai" answered by a group the passage names ("the owner", "economists"): grounded words.
    grounded = draft("Quốc hội thông qua luật [1].", "Ai thông qua 2 luật?")
    assert failing_check(grounded)[0] is lacks_asked_fact  # type: ignore[index]
    assert lacks_asked_fact in SOFT and stands_without(grounded, lacks_asked_fact)
    # Failing another check too, or failing a check that is not soft, it does not stand.
    invented = draft("Quốc hội thông qua 3 luật [1].", "Ai thông qua luật?")
    assert lacks_asked_fact(invented) is not None
    assert not stands_without(invented, lacks_asked_fact)
    assert not stands_without(grounded, restates_question)
