"""Alembic environment of the expo's own database: the engine comes from the caller."""

from alembic import context

from karakoram.expo.adapters.picture_store import listing_pictures  # noqa: F401 - its table
from karakoram.expo.adapters.tables import metadata

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=engine.dialect.name == "sqlite",
        version_table="expo_alembic_version",
    )
    context.run_migrations()
