-- The monthly report (D9): each branch head submits the Jalali month with a note, by the 5th of the next.
-- depends: 0001_initial

CREATE TABLE submissions (
    branch TEXT NOT NULL REFERENCES branches,
    month TEXT NOT NULL,                        -- Jalali 'YYYY-MM'
    note TEXT,
    submitted_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    submitted_by TEXT,                          -- the branch head's username
    PRIMARY KEY (branch, month)
);
