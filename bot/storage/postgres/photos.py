"""The photos role on PostgreSQL: the ``photos`` table, ``bytea`` rows keyed by user and
name, so every replica sees them."""

from __future__ import annotations

from backcare.bot.storage.errors import StorageError
from backcare.bot.storage.postgres.core import PostgresCore
from backcare.bot.storage.roles import Photos
from backcare.bot.storage.roles.photos import check_name


class PostgresPhotos(PostgresCore, Photos):
    def save_photo(self, user_id: int, name: str, data: bytes) -> str:
        check_name(name)
        with self._tx() as cur:
            cur.execute(
                "INSERT INTO photos (user_id, name, data) VALUES (%s, %s, %s) "
                "ON CONFLICT (user_id, name) DO UPDATE SET data = EXCLUDED.data",
                (user_id, name, bytes(data)),
            )
        return name

    def photos(self, user_id: int) -> list[str]:
        with self._tx() as cur:
            cur.execute("SELECT name FROM photos WHERE user_id = %s ORDER BY name", (user_id,))
            return [row[0] for row in cur.fetchall()]

    def load_photo(self, user_id: int, name: str) -> bytes:
        check_name(name)
        with self._tx() as cur:
            cur.execute("SELECT data FROM photos WHERE user_id = %s AND name = %s", (user_id, name))
            row = cur.fetchone()
        if row is None:
            raise StorageError(f"no photo {name!r} for this user")
        return bytes(row[0])

    def delete_photo(self, user_id: int, name: str) -> None:
        check_name(name)
        with self._tx() as cur:
            cur.execute("DELETE FROM photos WHERE user_id = %s AND name = %s", (user_id, name))
