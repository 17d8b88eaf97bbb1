-- Branch totals per Jalali month, kept from the daily rollups on ingest: a year on the dashboard adds
-- up twelve rows a branch, not 365 (the days of a span outside whole months still come from daily).
-- depends: 0003_daily_totals_index

CREATE TABLE monthly (
    branch TEXT NOT NULL REFERENCES branches,
    month_start DATE NOT NULL,                  -- the Jalali month's first day (Gregorian)
    visitors INTEGER NOT NULL, served INTEGER NOT NULL, called INTEGER NOT NULL,
    wait_sum DOUBLE PRECISION NOT NULL, wait_n INTEGER NOT NULL, within_target INTEGER NOT NULL,
    service_sum DOUBLE PRECISION NOT NULL, service_n INTEGER NOT NULL,
    no_shows INTEGER NOT NULL, transfers INTEGER NOT NULL, docs_incomplete INTEGER NOT NULL,
    ratings INTEGER NOT NULL, satisfied INTEGER NOT NULL, complaints INTEGER NOT NULL,
    PRIMARY KEY (branch, month_start)
);
CREATE INDEX monthly_start ON monthly (month_start);
