"""schemathesis against the app's own OpenAPI schema, through the real app, index, model and a
SQLite file: bounded, derandomised examples per operation; no 5xx, every response as documented."""

import shutil

import hypothesis
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance, status_code_conformance

from bot.app import create_app

from conftest import KB_DIR

EXAMPLES_PER_OPERATION = 25
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def fuzzed_app(built_settings, encoder, tmp_path_factory):
    """Uploads and FAQ entries land in a kb/ copy; rate limits lifted (one client sends everything)."""
    tmp = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(KB_DIR, tmp / "kb")
    settings = built_settings.model_copy(update={
        "kb_dir": tmp / "kb", "database_url": f"sqlite:///{tmp / 'kefu.db'}",
        "ask_rate_per_minute": 10**9, "ticket_rate_per_minute": 10**9, "upload_max_bytes": 64 * 1024,
    })
    app = create_app(settings, encoder=encoder)
    with TestClient(app):  # runs the lifespan: model, index and store loaded on app.state
        yield app


@pytest.fixture(scope="module")
def api_schema(fuzzed_app):
    # A re-index builds a whole index in the background: its own tests cover it.
    return schemathesis.openapi.from_asgi("/openapi.json", fuzzed_app).exclude(path="/api/admin/kbs/{kb}/reindex", method="POST")


def fuzz_operation(operation, mode: GenerationMode, headers: dict) -> None:
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis.settings(
        max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
        suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate],
    )
    def run(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


def test_api_conforms_to_its_schema(api_schema, fuzzed_app):
    """Every operation, schema-valid and schema-invalid examples, with the admin token (which
    opens the agent routes too); the failures of all operations are reported together."""
    headers = {"Authorization": f"Bearer {fuzzed_app.state.tokens.admin}"}
    failures, fuzzed = [], []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        fuzzed.append(operation.label)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                fuzz_operation(operation, mode, headers)
            except hypothesis.errors.Unsatisfiable:
                assert mode == GenerationMode.NEGATIVE  # no parameter to get wrong (GET /healthz ...)
            except Exception as exc:  # noqa: BLE001 - collected and reported below
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    assert len(fuzzed) >= 15, fuzzed
    assert not failures, "\n\n".join(failures)
