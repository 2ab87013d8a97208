"""Schema migrations from an empty database and from one at migration 1, on SQLite and PostgreSQL:
the result always matches the models, and rows written under the old schema survive."""

import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import create_engine, inspect, text

from bot.store.db import make_engine, migrate
from bot.store.migrations import MIGRATIONS
from bot.store.models import Base


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'kefu.db'}"
    server = request.getfixturevalue("postgres_url")
    name = f"migrations_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return server.rsplit("/", 1)[0] + f"/{name}"


def columns(engine) -> dict[str, set[str]]:
    inspector = inspect(engine)
    return {table: {c["name"] for c in inspector.get_columns(table)} for table in inspector.get_table_names() if table != "schema_migrations"}


def model_columns() -> dict[str, set[str]]:
    return {table.name: {c.name for c in table.columns} for table in Base.metadata.sorted_tables}


def test_an_empty_database_migrates_to_the_models(empty_url):
    engine = make_engine(empty_url)
    assert migrate(engine) == sorted(MIGRATIONS)
    assert columns(engine) == model_columns()
    assert migrate(engine) == []  # recorded: nothing runs twice


def test_a_database_at_migration_1_keeps_its_rows_and_gains_the_new_columns(empty_url):
    engine = make_engine(empty_url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at VARCHAR(40) NOT NULL)"))
        MIGRATIONS[1](connection)
        connection.execute(text("INSERT INTO schema_migrations (version, applied_at) VALUES (1, 'then')"))
        now = datetime.now(timezone.utc)
        connection.execute(
            text("INSERT INTO tickets (id, access_key_hash, status, priority, reason, channel, name, phone, sla_due_at, created_at, updated_at) "
                 "VALUES ('T1', 'h', 'open', 'normal', 'low_confidence', 'api', '张三', '13800138000', :now, :now, :now)"),
            {"now": now},
        )
    assert "kb" not in columns(engine)["tickets"]
    assert migrate(engine) == sorted(MIGRATIONS)[1:]
    assert columns(engine) == model_columns()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT name, kb FROM tickets WHERE id = 'T1'")).one() == ("张三", None)
