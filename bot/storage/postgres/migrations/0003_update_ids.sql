-- Update ids as Telegram may send them: any integer (a forged or renumbered id of 10**30
-- is answered like any other, as with the embedded files), not only what BIGINT holds.
-- Before, such an update could not be saved to the inbox and was offered again forever.
ALTER TABLE inbox ALTER COLUMN update_id TYPE NUMERIC(80, 0);
