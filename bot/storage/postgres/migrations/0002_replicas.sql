-- Several bot replicas on one database (issue 18): who polls Telegram (a lease), and
-- which replica fires a due reminder (a claim that lapses if that replica dies).
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until TIMESTAMPTZ NOT NULL
);
ALTER TABLE reminders ADD COLUMN claimed_by TEXT;
ALTER TABLE reminders ADD COLUMN claimed_until TIMESTAMPTZ;
