"""README.md and docs/ stay in step with the code: the settings table, the commands, the API
table, the tests the reliability page names, and the search example's output."""

import json
import re

import pytest

from kefu.settings import settings_table

from conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
DOCS = REPO / "docs"


def doc(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def test_settings_doc_table_matches_the_settings_class():
    match = re.search(r"<!-- settings-table:start -->\n(.*?)\n<!-- settings-table:end -->", doc("settings.md"), re.DOTALL)
    assert match, "docs/settings.md lost its settings-table markers"
    assert match.group(1) == settings_table(), "run `python -m kefu.settings` and paste the table into docs/settings.md"


def test_readme_shows_the_two_commands_and_the_model_licence():
    assert "make run" in README and "make test" in README
    assert "non-commercial" in README and "KEFU_EMBED_MODEL" in README


def relative_links(path) -> list:
    """The files a Markdown page links to on this repository, e.g. docs/img/widget.png."""
    targets = [link.split("#")[0] for link in re.findall(r"\]\(([^)]+)\)", path.read_text(encoding="utf-8"))]
    return [(path.parent / target).resolve() for target in targets if target and "://" not in target]


def test_readme_and_docs_link_only_to_files_that_exist():
    readme_links = relative_links(REPO / "README.md")
    assert DOCS / "settings.md" in readme_links and DOCS / "img" / "widget.png" in readme_links
    for page in [REPO / "README.md", *sorted(DOCS.glob("*.md"))]:
        assert [link for link in relative_links(page) if not link.is_file()] == [], page.name


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


def operation(method: str, path: str) -> str:
    """`GET /api/tickets/{}`: parameter names and query strings left out, as the doc may name them."""
    bare = re.sub(r"{[^}]*}", "{}", path.split("?")[0])
    return f"{method.upper()} {bare}"


def test_api_doc_table_names_every_operation_and_no_other(tmp_path):
    from bot.app import create_app

    from conftest import make_settings

    schema = create_app(make_settings(tmp_path)).openapi()  # no lifespan: nothing is loaded
    served = {operation(method, path) for path, methods in schema["paths"].items() for method in methods}
    table = doc("api.md").split("| endpoint |", 1)[1].split("\n\n", 1)[0]
    documented = {operation(method, path) for method, path in re.findall(r"`(GET|POST|PATCH|PUT|DELETE) (/[^`]*)`", table)}
    assert "POST /api/ask" in served and "GET /api/tickets/{}" in served
    assert served - documented == set(), "docs/api.md's table lacks these operations"
    assert documented - served == set(), "docs/api.md's table names operations the app does not have"


def test_reliability_doc_names_only_tests_that_exist():
    named = set(re.findall(r"`(test_[a-z0-9_]+\.py)`", doc("reliability.md")))
    assert {"test_crash.py", "test_faults.py"} <= named
    existing = {path.name for path in (REPO / "tests").rglob("test_*.py")}
    assert named - existing == set(), "docs/reliability.md names test files that do not exist"


@pytest.mark.model
def test_readme_search_example_is_what_search_prints(searcher):
    from bot.retrieve.results import hits_to_json
    from bot.retrieve.search import Searcher

    match = re.search(r'\$ \.venv/bin/kefu search "(.+?)" --kb ([a-z-]+) -k 1 --json\n(\{.*\})\n', README)
    assert match, "README lost its `kefu search … --kb … -k 1 --json` example"
    shown = json.loads(match.group(3))
    one_kb = Searcher([i for i in searcher.indexes if i.kb == match.group(2)], searcher.queries, searcher.tokenizer, searcher.settings)
    printed = hits_to_json(match.group(1), one_kb.search(match.group(1), 1))
    assert printed["results"] and len(shown["results"]) == 1
    for field in ("id", "doc", "section", "text", "score"):
        assert shown["results"][0][field] == printed["results"][0][field], f"README's search example: {field} is stale"
    for field in ("dense_score", "bm25_score"):  # last digits may vary with the CPU's float kernels
        assert shown["results"][0][field] == pytest.approx(printed["results"][0][field], abs=1e-3), field
