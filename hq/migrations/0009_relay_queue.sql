-- The relay between HQ's worker processes (hq/relay.py, issue 23): a visitor's request waits in
-- relay_requests for its branch's poll (on whichever worker holds it), and the branch's answer waits
-- there for the visitor's worker; NOTIFY navbat_relay wakes them. relay_links holds which hub polls
-- for a branch now (one at a time) and until when the branch counts online. Both are short-lived:
-- unlogged (a crash empties them, as it ends every poll and visit in flight).
-- depends: 0008_branch_version

CREATE UNLOGGED TABLE relay_requests (
    id BIGSERIAL PRIMARY KEY,
    branch TEXT NOT NULL,
    req JSONB NOT NULL,
    deadline TIMESTAMPTZ NOT NULL,
    taken_by TEXT,
    answer TEXT  -- the branch's answer as it sent it (JSON), parsed once by the visitor's worker
);
CREATE INDEX relay_requests_waiting ON relay_requests (branch, id) WHERE taken_by IS NULL;

CREATE UNLOGGED TABLE relay_links (
    branch TEXT PRIMARY KEY,
    poller TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    until TIMESTAMPTZ NOT NULL,
    refused_at TIMESTAMPTZ,
    refused_from TEXT
);
