"""From the single-file layout (format 1: every table in one JSON file) to partitions.

Found at start: a file written by an older version, or a backup an operator copied
over the main file to restore it. Each user's documents go to their own partition,
the inbox and outbox to the shared one, the audit to its own. Crash-safe: the users'
folder is built aside and moved into place, and the main file is replaced last, so
a crash at any point leaves the single file, and the next start migrates again.
The single file is kept as ``<file>.v1-<UTC time>`` (a backup like the others).
"""

from __future__ import annotations

import logging
import os
import shutil
from datetime import UTC, datetime

from backcare.bot.storage import atomic
from backcare.bot.storage.documents import (
    AUDIT,
    KEYED,
    SHARED,
    SHARED_TABLES,
    USER_TABLES,
    Partition,
    user_key,
)
from backcare.bot.storage.layout import PARTITIONED, Layout

log = logging.getLogger(__name__)


def shared_meta() -> dict:
    return {"1": {"format": PARTITIONED}}


def split(data: dict) -> dict[str, dict]:
    """A single-file database as partitions (key -> TinyDB data); documents keep their ids."""
    parts: dict[str, dict] = {
        SHARED: {name: dict(data.get(name, {})) for name in SHARED_TABLES}
        | {"meta": shared_meta()},
        AUDIT: {"audit": dict(data.get("audit", {}))},
    }
    for table in USER_TABLES:
        for doc_id, doc in data.get(table, {}).items():
            owner = int(doc_id) if table in KEYED else int(doc["user_id"])
            parts.setdefault(user_key(owner), {}).setdefault(table, {})[doc_id] = doc
    return parts


def migrate(layout: Layout, raw: bytes, data: dict) -> None:
    """Replace the single file ``layout.path`` (holding ``raw``, parsed as ``data``)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    parts = split(data)
    staging = layout.users.with_name(layout.users.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)  # a migration interrupted before
    atomic.ensure_private_dir(staging)
    users = 0
    for key, content in parts.items():
        if key in (SHARED, AUDIT):
            continue
        image = Partition(key, content).image()
        if image is None:
            continue
        target = layout.file_of(key)
        target = staging / target.parent.name / target.name
        atomic.ensure_private_dir(target.parent)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, atomic.FILE_MODE)
        with os.fdopen(fd, "wb") as f:
            f.write(image)
        users += 1
    os.sync()  # one flush for every user's file rather than one fsync each

    kept = layout.folder / f"{layout.path.name}.v1-{stamp}"
    atomic.atomic_write(kept, raw)
    layout.journal.unlink(missing_ok=True)  # it belonged to the partitions replaced here
    if layout.users.exists():
        aside = layout.users.with_name(f"{layout.users.name}.replaced-{stamp}")
        os.replace(layout.users, aside)
        log.warning(
            "a single-file database replaced the partitioned one: its users' folder is kept "
            "as %s (delete it once the restore is checked)",
            aside.name,
        )
    os.replace(staging, layout.users)
    atomic.fsync_dir(layout.folder)
    audit = Partition(AUDIT, parts[AUDIT]).image()
    if audit is None:
        layout.audit.unlink(missing_ok=True)
    else:
        atomic.atomic_write(layout.audit, audit)
    shared = Partition(SHARED, parts[SHARED]).image()
    assert shared is not None
    atomic.atomic_write(layout.path, shared)  # the last step: from here on, partitioned
    log.info(
        "moved %d user(s) from the single file %s into %s/; the single file is kept as %s",
        users,
        layout.path.name,
        layout.users.name,
        kept.name,
    )
