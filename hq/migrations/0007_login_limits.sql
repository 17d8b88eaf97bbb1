-- Wrong PINs at HQ, per username and address (hq/login_limits.py): a guesser is slowed down as at
-- a branch hub; and sessions that end after a long idle time or a week.
-- depends: 0006_request_rollups

CREATE TABLE login_failures (
    username TEXT NOT NULL,
    address TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_username ON login_failures (username, at);
CREATE INDEX login_failures_address ON login_failures (address, at);
ALTER TABLE sessions ADD COLUMN last_used_at TIMESTAMPTZ NOT NULL DEFAULT now();
