"""Numbered schema migrations; each runs once and is recorded in schema_migrations.

Each migration is frozen as it was written: it never reads the live models, so a column the
models gain later reaches old and new databases alike through the migration that adds it.
"""

from sqlalchemy import JSON, Boolean, Column, Connection, Float, ForeignKey, Integer, MetaData, String, Table, Text, inspect
from sqlalchemy.types import TypeDecorator

from bot.store.models import UTCDateTime


def _initial_tables(metadata: MetaData, when: TypeDecorator) -> None:
    """The schema of migration 1, exactly as it shipped."""
    Table(
        "chat_sessions", metadata,
        Column("id", String(64), primary_key=True), Column("persona", String(16), nullable=False),
        Column("channel", String(16), nullable=False), Column("created_at", when, nullable=False),
        Column("updated_at", when, nullable=False), Column("expires_at", when, nullable=False, index=True),
        Column("last_question", Text), Column("low_confidence_streak", Integer, nullable=False),
        Column("contact", JSON), Column("ticket_id", String(32)),
    )
    Table(
        "turns", metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("session_id", String(64), ForeignKey("chat_sessions.id"), nullable=False, index=True),
        Column("role", String(16), nullable=False), Column("text", Text, nullable=False),
        Column("created_at", when, nullable=False), Column("answer_id", String(64)),
    )
    Table(
        "answers", metadata,
        Column("id", String(64), primary_key=True), Column("session_id", String(64), nullable=False, index=True),
        Column("question", Text, nullable=False), Column("answer", Text, nullable=False),
        Column("confidence", Float, nullable=False), Column("handoff_reason", String(32), index=True),
        Column("citations", JSON, nullable=False), Column("index_version", String(64), nullable=False),
        Column("created_at", when, nullable=False, index=True),
    )
    Table(
        "feedback", metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("answer_id", String(64), ForeignKey("answers.id"), nullable=False, index=True),
        Column("helpful", Boolean, nullable=False), Column("comment", Text), Column("created_at", when, nullable=False),
    )
    Table(
        "tickets", metadata,
        Column("id", String(32), primary_key=True), Column("access_key_hash", String(64), nullable=False),
        Column("idempotency_key", String(128), unique=True), Column("session_id", String(64), index=True),
        Column("status", String(16), nullable=False, index=True), Column("priority", String(16), nullable=False),
        Column("reason", String(32), nullable=False), Column("channel", String(16), nullable=False),
        Column("name", String(64), nullable=False), Column("phone", String(32), nullable=False),
        Column("fields", JSON), Column("assignee", String(64)), Column("sla_due_at", when, nullable=False),
        Column("created_at", when, nullable=False), Column("updated_at", when, nullable=False),
    )
    Table(
        "ticket_messages", metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("ticket_id", String(32), ForeignKey("tickets.id"), nullable=False, index=True),
        Column("role", String(16), nullable=False), Column("author", String(64)),
        Column("text", Text, nullable=False), Column("created_at", when, nullable=False),
    )


def m001_initial(connection: Connection) -> None:
    metadata = MetaData()
    _initial_tables(metadata, UTCDateTime())
    metadata.create_all(connection)


def add_column(connection: Connection, table: str, column: Column) -> None:
    """ALTER TABLE … ADD COLUMN, rendered for the connection's dialect; a no-op where it exists."""
    if column.name in {c["name"] for c in inspect(connection).get_columns(table)}:
        return
    kind = column.type.compile(dialect=connection.dialect)
    connection.exec_driver_sql(f'ALTER TABLE {table} ADD COLUMN "{column.name}" {kind}')


def m002_knowledge_bases(connection: Connection) -> None:
    """Sessions, answers and tickets belong to a knowledge base (NULL: asked of all of them)."""
    for table in ("chat_sessions", "answers", "tickets"):
        add_column(connection, table, Column("kb", String(64)))


MIGRATIONS = {1: m001_initial, 2: m002_knowledge_bases}
