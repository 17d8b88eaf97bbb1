-- The headquarters' schema: branches and their tokens, HQ users, every branch's events as it
-- sent them (keyed on branch and event id: a batch sent twice changes nothing), ratings, and the
-- daily rollups the dashboard and the API read (they never scan events).

CREATE TABLE branches (
    id TEXT PRIMARY KEY,
    province TEXT NOT NULL,
    region TEXT NOT NULL,
    type TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    profile JSONB,                              -- name, time zone, sub-services and targets, as last sent
    events_hwm BIGINT NOT NULL DEFAULT 0,       -- every event up to this id is stored
    ratings_hwm BIGINT NOT NULL DEFAULT 0,      -- the same for the branch's ratings outbox
    last_event_at TEXT,                         -- the newest event's time, as the branch wrote it
    last_contact_at TIMESTAMPTZ,                -- the last batch received
    branch_last_id BIGINT NOT NULL DEFAULT 0    -- the branch's newest event when it last wrote: backlog
);
CREATE INDEX branches_province ON branches (province, region);

CREATE TABLE users (
    username TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('national', 'province')),
    province TEXT,
    pin_hash TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (role = 'national' OR province IS NOT NULL)
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL REFERENCES users ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE events (
    branch TEXT NOT NULL REFERENCES branches,
    id BIGINT NOT NULL,
    at TEXT NOT NULL,                           -- ISO 8601 UTC, exactly as in the branch's log
    type TEXT NOT NULL,
    actor TEXT,
    ticket_id BIGINT,
    counter INTEGER,
    data JSONB NOT NULL,
    PRIMARY KEY (branch, id)
);
CREATE INDEX events_ticket ON events (branch, ticket_id);

-- Which branch day a ticket belongs to (the day it was issued, in the branch's time zone):
-- a later event or rating of the ticket updates that day's rollup.
CREATE TABLE tickets (
    branch TEXT NOT NULL,
    ticket_id BIGINT NOT NULL,
    day DATE NOT NULL,
    PRIMARY KEY (branch, ticket_id)
);
CREATE INDEX tickets_day ON tickets (branch, day);

CREATE TABLE ratings (
    branch TEXT NOT NULL REFERENCES branches,
    ticket_id BIGINT NOT NULL,
    score INTEGER NOT NULL,
    comment TEXT,
    source TEXT,
    counter INTEGER,
    clerk TEXT,
    service TEXT,
    at TEXT NOT NULL,
    PRIMARY KEY (branch, ticket_id)
);

-- One row per branch, branch day and sub-service, plus service '' for the branch's total:
-- the report's figures for that day (server.reports.figures), with what adding days needs.
CREATE TABLE daily (
    branch TEXT NOT NULL REFERENCES branches,
    day DATE NOT NULL,
    service TEXT NOT NULL,
    unit TEXT,
    visitors INTEGER NOT NULL,
    called INTEGER NOT NULL,
    mean_wait DOUBLE PRECISION,
    p90_wait DOUBLE PRECISION,
    within_target INTEGER NOT NULL,             -- visitors called within their target
    within_target_pct DOUBLE PRECISION,
    served INTEGER NOT NULL,
    mean_service DOUBLE PRECISION,
    no_shows INTEGER NOT NULL,
    transfers INTEGER NOT NULL,
    docs_incomplete INTEGER NOT NULL,
    docs_incomplete_pct DOUBLE PRECISION,
    ratings INTEGER NOT NULL,
    satisfaction DOUBLE PRECISION,
    satisfied INTEGER NOT NULL,
    satisfied_pct DOUBLE PRECISION,
    complaints INTEGER NOT NULL,                -- ratings in the lowest two faces
    waits DOUBLE PRECISION[] NOT NULL,          -- each called visitor's wait: the month's p90
    PRIMARY KEY (branch, day, service)
);
CREATE INDEX daily_day ON daily (day, service);
