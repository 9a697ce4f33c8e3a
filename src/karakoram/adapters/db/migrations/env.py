"""Alembic environment: the engine comes from the caller (no URL in an ini file)."""

from alembic import context

from karakoram.adapters.db.tables import metadata

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=engine.dialect.name == "sqlite",
    )
    context.run_migrations()
