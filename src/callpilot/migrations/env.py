"""Alembic environment: always handed a live connection by callpilot.eventlog.migrate."""

from alembic import context

from callpilot.eventlog.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `callpilot db upgrade`, which passes the connection in")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
