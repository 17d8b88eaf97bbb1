-- Requests answered later (issue 16: F1, F3) per branch day and sub-service: opened that day,
-- answered that day, on time, and the working days those answers took (summed, so any span adds
-- up). Folded from the request.* events by the branch's own report code (server.reports.requests).
-- depends: 0005_open_hours

CREATE TABLE request_daily (
    branch TEXT NOT NULL REFERENCES branches,
    day DATE NOT NULL,                          -- the branch day of the opening or the answer
    service TEXT NOT NULL,
    unit TEXT,
    opened INTEGER NOT NULL,
    answered INTEGER NOT NULL,
    answered_on_time INTEGER NOT NULL,
    days_to_answer INTEGER NOT NULL,            -- sum over the day's answers, in working days
    PRIMARY KEY (branch, day, service)
);
CREATE INDEX events_requests ON events (branch, at) WHERE type IN ('request.opened', 'request.answered');
