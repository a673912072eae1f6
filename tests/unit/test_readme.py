"""The README stays true: every `rag` command it shows exists, with every option it shows, and
the page stays a newcomer's page (the two commands first, under 300 lines)."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from rag.cli import cli
from rag.settings import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```(?:bash|text)\n(.*?)```", README, flags=re.DOTALL)
SHOWN = [
    line.split("#")[0].strip()
    for block in BLOCKS
    for line in block.splitlines()
    if line.strip().startswith(("rag ", "$ rag "))
]


def test_the_shell_commands_are_found() -> None:
    assert len(SHOWN) >= 10 and any("models list | fetch" in s for s in SHOWN)


def test_the_two_set_up_commands_come_first_and_the_page_is_short() -> None:
    first_screen = README.splitlines()[:12]
    assert any(line.startswith("make chat") for line in first_screen)
    assert any(line.startswith("make test") for line in first_screen)
    assert len(README.splitlines()) <= 300


@pytest.mark.parametrize("page", ["README.md", "benchmarks/README.md", "eval/README.md"])
def test_no_page_carries_history(page: str) -> None:
    """No commit hash, no session's wording: the pages state what is true now."""
    text = (PROJECT_ROOT / page).read_text(encoding="utf-8")
    assert not re.search(r"\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{7,40}\b", text)
    assert not re.search(r"\b(this|last|that|previous) session\b|\brun again at\b", text, re.I)


def test_every_figure_table_names_the_command_that_made_it() -> None:
    """In the Measured part, the text before each table (its caption) names a command."""
    measured = README.split("\n## Measured", 1)[1].split("\n## ", 1)[0]
    assert "### Answer speed and the backend" in measured
    tables = re.findall(r"(?:^\|.*\n)+", measured, flags=re.MULTILINE)
    assert len(tables) >= 2
    before = measured
    for table in tables:
        caption, before = before.split(table, 1)
        assert re.search(r"`(python|rag) [^`]+`", caption), table.splitlines()[0]


@pytest.mark.parametrize("shown", SHOWN)
def test_every_rag_command_shown_exists_with_its_options(shown: str) -> None:
    words = shown.removeprefix("$ ").split()[1:]
    path = [w for w in words[:2] if re.fullmatch(r"[a-z]+", w)]
    if path[1:] and path[0] != "models":
        path = path[:1]
    if "|" in words:  # `rag models list | fetch | ...`: each choice is a subcommand
        choices = [w for w in words[1:] if w != "|"]
        for choice in choices:
            assert CliRunner().invoke(cli, ["models", choice, "--help"]).exit_code == 0, choice
        return
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, f"{shown!r}: {result.output}"
    for option in re.findall(r"(?<![\w-])(-{1,2}[a-z][a-z-]*)", shown):
        assert option in result.output, f"{shown!r}: {option} is not an option of rag {path}"
