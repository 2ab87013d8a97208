"""README.md and docs/ stay in step with the code: the settings table and the two commands."""

import re

from conftest import REPO
from indexer.settings import settings_table

README = (REPO / "README.md").read_text(encoding="utf-8")
DOCS = REPO / "docs"


def doc(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def test_settings_doc_table_matches_the_settings_class():
    match = re.search(r"<!-- settings-table:start -->\n(.*?)\n<!-- settings-table:end -->", doc("settings.md"), re.DOTALL)
    assert match, "docs/settings.md lost its settings-table markers"
    assert match.group(1) == settings_table(), "run `python -m indexer.settings` and paste the table into docs/settings.md"


def test_readme_shows_the_two_commands_and_the_model_licence():
    assert "make run" in README and "make test" in README
    assert "non-commercial" in README and "KEFU_EMBED_MODEL" in README


def cli_commands() -> list[str]:
    """Every `kefu` command path, e.g. `kefu index`, `kefu tickets list`."""
    import typer.main

    from bot.cli import app

    def walk(command, path: str) -> list[str]:
        if not hasattr(command, "commands"):  # a leaf command, not a group
            return [path]
        paths = [path] if command.invoke_without_command else []
        for name, sub in command.commands.items():
            paths += walk(sub, f"{path} {name}")
        return paths

    return [p for p in walk(typer.main.get_command(app), "kefu") if p != "kefu"]


def test_readme_commands_table_lists_every_cli_command():
    table = README.split("## Commands", 1)[1].split("\n## ", 1)[0]
    commands = cli_commands()
    assert "kefu index" in commands and "kefu tickets list" in commands
    missing = [command for command in commands if f"`{command}" not in table]
    assert not missing, f"README's Commands table lacks {missing}; keep it in step with `kefu --help`"
