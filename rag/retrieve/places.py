"""The provinces a question names, beside the years it names (``timeaware``).

Used by the evidence gate (``rag.answer.context.evidence_gap``) and the judge's signals
(``rag.answer.signals``): a question about a province that no
related passage names cannot be answered from the articles, and a small model given passages
about other provinces (or the nation) answers with their figures. Names are matched as whole
words, with or without diacritics ("Lang Son" in an English question is Lạng Sơn) and with
their capitals, so "hòa bình" (peace) is not the province Hòa Bình.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rag.text import normalize, strip_diacritics

PROVINCES = (
    "An Giang", "Bà Rịa - Vũng Tàu", "Bắc Giang", "Bắc Kạn", "Bạc Liêu", "Bắc Ninh", "Bến Tre",
    "Bình Định", "Bình Dương", "Bình Phước", "Bình Thuận", "Cà Mau", "Cần Thơ", "Cao Bằng",
    "Đà Nẵng", "Đắk Lắk", "Đắk Nông", "Điện Biên", "Đồng Nai", "Đồng Tháp", "Gia Lai", "Hà Giang",
    "Hà Nam", "Hà Nội", "Hà Tĩnh", "Hải Dương", "Hải Phòng", "Hậu Giang", "Hòa Bình",
    "Thành phố Hồ Chí Minh", "Hưng Yên", "Khánh Hòa", "Kiên Giang", "Kon Tum", "Lai Châu",
    "Lâm Đồng", "Lạng Sơn", "Lào Cai", "Long An", "Nam Định", "Nghệ An", "Ninh Bình",
    "Ninh Thuận", "Phú Thọ", "Phú Yên", "Quảng Bình", "Quảng Nam", "Quảng Ngãi", "Quảng Ninh",
    "Quảng Trị", "Sóc Trăng", "Sơn La", "Tây Ninh", "Thái Bình", "Thái Nguyên", "Thanh Hóa",
    "Thừa Thiên Huế", "Tiền Giang", "Trà Vinh", "Tuyên Quang", "Vĩnh Long", "Vĩnh Phúc",
    "Yên Bái",
)  # the 63 provinces and centrally governed cities before the 2025 merger  # fmt: skip
# Other names of the same places, as articles and readers write them.
ALIASES = {
    "Hồ Chí Minh": "Thành phố Hồ Chí Minh", "TP.HCM": "Thành phố Hồ Chí Minh",
    "TPHCM": "Thành phố Hồ Chí Minh", "Sài Gòn": "Thành phố Hồ Chí Minh",
    "Hanoi": "Hà Nội", "Huế": "Thừa Thiên Huế", "Bà Rịa Vũng Tàu": "Bà Rịa - Vũng Tàu",
    "Da Nang": "Đà Nẵng", "Haiphong": "Hải Phòng",
}  # fmt: skip


def plain(text: str) -> str:
    """Without diacritics (đ as d), capitals kept, spaces tidied."""
    return " ".join(strip_diacritics(normalize(text)).split())


@lru_cache(maxsize=1)
def _pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    canonical = {plain(name): name for name in PROVINCES}
    canonical.update({plain(alias): name for alias, name in ALIASES.items()})
    forms = sorted(canonical, key=len, reverse=True)  # "Ha Nam" never eats "Ha Nam Dinh"
    alternation = "|".join(re.escape(form).replace(r"\ ", r"\s+") for form in forms)
    return re.compile(rf"(?<![\w])(?:{alternation})(?![\w])"), canonical


def provinces_in(text: str) -> set[str]:
    """The provinces (canonical names) a text names."""
    pattern, canonical = _pattern()
    return {canonical[" ".join(m.group(0).split())] for m in pattern.finditer(plain(text))}
