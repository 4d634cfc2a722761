"""A patient's turn as the bot saves it, on the embedded TinyDB files and on PostgreSQL,
measured in one run: milliseconds per turn with 1 and 4 storage threads (bot.disk_pool runs 4).

    .venv/bin/python bench/storage_postgres.py [--turns 400]

A turn: the update into the inbox (not waiting for the disk), then one transaction with
the dialog state, the session, one reply into the outbox and the inbox entry done, then
the reply marked sent. 50 patients take turns in rotation. PostgreSQL from
BACKCARE_TEST_DATABASE_URL (a schema of its own, dropped after). TinyDB commits many
threads' turns in one write (group commit); PostgreSQL commits each turn on its own but
serves any number of replicas.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from backcare.bot.storage import Storage, TinyDBStorage  # noqa: E402
from backcare.bot.storage.postgres import PostgresStorage  # noqa: E402
from backcare.kernel.languages import DEFAULT  # noqa: E402
from tests.support.postgres import fresh_schema  # noqa: E402


def turn(s: Storage, k: int) -> None:
    uid, update_id = k % 50 + 1, 1_000_000 + k
    s.inbox_add(update_id, uid, {"update_id": update_id, "message": {"text": "x" * 50}}, wait=False)
    with s.transaction():
        s.put_state(uid, {"step": f"q{k}", "answers": {f"a{i}": i for i in range(30)}})
        s.put_session(uid, {"recent_updates": [[update_id, 1]], "language": DEFAULT})
        s.enqueue(uid, uid, [{"kind": "text", "text": "reply " * 20}])
        s.inbox_done(update_id)
    for item in s.pending(uid):
        s.mark_sent(item.id, wait=False)


def ms_per_turn(s: Storage, threads: int, turns: int, first: int) -> float:
    began = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda k: turn(s, k), range(first, first + turns)))
    s.sync()
    return (time.perf_counter() - began) / turns * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=400)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    rows = {}
    with tempfile.TemporaryDirectory() as folder, fresh_schema() as url:
        stores: dict[str, Storage] = {
            "tinydb": TinyDBStorage(Path(folder) / "backcare.json"),
            "postgres": PostgresStorage(url),
        }
        try:
            for name, store in stores.items():
                ms_per_turn(store, 1, 50, 0)  # warm up
                rows[name] = [
                    ms_per_turn(store, threads, args.turns, 10_000 * threads) for threads in (1, 4)
                ]
        finally:
            for store in stores.values():
                store.close()
    print(
        f"\n{'backend':>9} {'1 thread':>12} {'4 threads':>12}   (ms per turn, {args.turns} turns)"
    )
    for name, (one, four) in rows.items():
        print(f"{name:>9} {one:>12.2f} {four:>12.2f}")
    base = rows["tinydb"]
    ratios = [pg / tiny for pg, tiny in zip(rows["postgres"], base)]
    print(f"{'ratio':>9} {ratios[0]:>11.1f}x {ratios[1]:>11.1f}x   (postgres / tinydb)")


if __name__ == "__main__":
    main()
