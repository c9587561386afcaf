"""A crmcore storage adapter on the standard library's sqlite3."""

from examples.sqlite_store.store import SqliteUnitOfWork, create_schema

__all__ = ["SqliteUnitOfWork", "create_schema"]
