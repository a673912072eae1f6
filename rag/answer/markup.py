"""What answers may contain that must be recognised or removed: citation markers, Markdown
images and links, HTML tags, bare URLs. Defined once, for reading replies (``reply``), checking
them (``grounding``) and showing them (``ui.render``).
"""

from __future__ import annotations

import re

# "[1]", "[2][3]", "[1, 2]", "[1; 3]": group 1 holds the numbers.
CITATION = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
# A marker the model left unclosed ("... famous for using [2 [1]"): not a figure "2". A
# bracket closed later on its line ("[10 tỷ đồng]") is not a marker.
_UNCLOSED_CITATION = re.compile(r"\[\d{1,3}(?![\d\]])(?=[^\]\n]*(?:\[|\n|$))")
MD_IMAGE = re.compile(r"!\[[^\]\n]*\](?:\([^)\n]*\)?|\[[^\]\n]*\])")
# group 1: the label; group 2: the URL.
MD_LINK = re.compile(r"\[([^\]\n]*)\]\(\s*<?([^)\s>]*)>?[^)\n]*\)")
MD_REF_DEF = re.compile(
    r"^ {0,3}\[[^\]\n]+\]:[ \t]*<?(?:[a-z][a-z0-9+.-]*:|www\.|/)\S*.*$",
    re.IGNORECASE | re.MULTILINE,
)
HTML_TAG = re.compile(r"<[A-Za-z/!?][^<>]{0,200}>")  # a half-written tag is not a tag
BARE_URL = re.compile(
    r"\b(?:(?:https?|ftp|file|data|javascript):|www\.)[^\s<>()\[\]]*", re.IGNORECASE
)


def strip_markup(text: str) -> str:
    """Text without images, link targets (labels stay) and HTML tags."""
    return HTML_TAG.sub("", MD_LINK.sub(r"\1", MD_IMAGE.sub("", text)))


def citation_numbers(group: str) -> list[int]:
    """The numbers of one ``CITATION`` match's group 1, in order: "2; 3" gives [2, 3]."""
    return [int(n) for n in re.split(r"\s*[,;]\s*", group)]


def without_citations(text: str) -> str:
    return _UNCLOSED_CITATION.sub(" ", CITATION.sub(" ", text))
