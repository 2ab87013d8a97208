"""README stays in step with the code: the settings table and the two commands."""

import re

from kefu.settings import settings_table

from conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_readme_settings_table_matches_the_settings_class():
    match = re.search(r"<!-- settings-table:start -->\n(.*?)\n<!-- settings-table:end -->", README, re.DOTALL)
    assert match, "README.md lost its settings-table markers"
    assert match.group(1) == settings_table(), "run `python -m kefu.settings` and paste the table into README.md"


def test_readme_shows_the_two_commands_and_the_model_licence():
    assert "make run" in README and "make test" in README
    assert "non-commercial" in README and "KEFU_EMBED_MODEL" in README


def cli_commands() -> list[str]:
    """Every `kefu` command path, e.g. `kefu index`, `kefu tickets list`."""
    import typer.main

    from kefu.cli import app

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
