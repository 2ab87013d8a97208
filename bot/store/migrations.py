"""Numbered schema migrations; each runs once and is recorded in schema_migrations."""

from sqlalchemy import Connection

from bot.store.models import Base


def m001_initial(connection: Connection) -> None:
    Base.metadata.create_all(connection)


MIGRATIONS = {1: m001_initial}
