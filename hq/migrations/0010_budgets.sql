-- Issue 23: what the branches ship about their budgets (the SMS budget's use, for the dashboard's
-- alarm) and the phones holding an open remote turn there, as slow hashes (hq/budgets.py): one open
-- turn per phone across branches. A row is a claim (confirmed=false) from the moment a hub asks,
-- confirmed once a batch from that branch lists it, gone once a batch no longer does.
-- depends: 0009_relay_queue

ALTER TABLE branches ADD COLUMN budgets JSONB;
CREATE TABLE open_turns (
    branch TEXT NOT NULL REFERENCES branches (id) ON DELETE CASCADE,
    phone_hash TEXT NOT NULL,
    since TIMESTAMPTZ NOT NULL DEFAULT now(),
    confirmed BOOLEAN NOT NULL DEFAULT false,
    PRIMARY KEY (branch, phone_hash)
);
CREATE INDEX open_turns_phone ON open_turns (phone_hash);
