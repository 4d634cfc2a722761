"""PostgreSQL storage (``BACKCARE_DATABASE_URL``): several bot replicas on one database."""

from backcare.bot.storage.postgres.store import PostgresStorage

__all__ = ["PostgresStorage"]
