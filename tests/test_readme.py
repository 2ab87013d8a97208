"""README stays in step with the code: the settings table and the two commands."""

import re

from conftest import REPO
from indexer.settings import settings_table

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_readme_settings_table_matches_the_settings_class():
    match = re.search(r"<!-- settings-table:start -->\n(.*?)\n<!-- settings-table:end -->", README, re.DOTALL)
    assert match, "README.md lost its settings-table markers"
    assert match.group(1) == settings_table(), "run `python -m indexer.settings` and paste the table into README.md"


def test_readme_shows_the_two_commands_and_the_model_licence():
    assert "make run" in README and "make test" in README
    assert "non-commercial" in README and "KEFU_EMBED_MODEL" in README
