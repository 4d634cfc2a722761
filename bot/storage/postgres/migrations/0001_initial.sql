-- The storage contract's tables (backcare.storage.base). Documents the dialogs own
-- are JSON (json, not jsonb: key order and every character are kept as written).
CREATE TABLE users (
    user_id BIGINT PRIMARY KEY,
    doc JSON NOT NULL
);
CREATE TABLE states (
    user_id BIGINT PRIMARY KEY,
    doc JSON NOT NULL
);
CREATE TABLE sessions (
    user_id BIGINT PRIMARY KEY,
    doc JSON NOT NULL
);
CREATE TABLE assessments (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL,
    created TEXT NOT NULL,
    entry JSON NOT NULL
);
CREATE INDEX assessments_user ON assessments (user_id, id);
CREATE TABLE checkins (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL,
    created TEXT NOT NULL,
    entry JSON NOT NULL
);
CREATE INDEX checkins_user ON checkins (user_id, id);
CREATE TABLE reminders (
    user_id BIGINT PRIMARY KEY,
    chat_id BIGINT NOT NULL,
    plan JSON NOT NULL,
    next_due TIMESTAMPTZ NOT NULL
);
CREATE INDEX reminders_due ON reminders (next_due);
CREATE TABLE outbox (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL,
    chat_id BIGINT NOT NULL,
    payload JSON NOT NULL,
    created TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_user ON outbox (user_id, id);
CREATE TABLE inbox (
    update_id BIGINT PRIMARY KEY,
    user_id BIGINT,
    body JSON NOT NULL,
    received TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX inbox_user ON inbox (user_id, update_id);
CREATE TABLE audit (
    id BIGSERIAL PRIMARY KEY,
    time TEXT NOT NULL,
    admin_id BIGINT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE TABLE photos (
    user_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    data BYTEA NOT NULL,
    PRIMARY KEY (user_id, name)
);
