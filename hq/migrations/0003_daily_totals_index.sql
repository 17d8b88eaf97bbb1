-- The dashboard's national and province figures read only the branch totals (service ''): an
-- index of those alone, carrying what the sums need, so a year is read from the index, not the table.
-- depends: 0002_monthly_submissions

CREATE INDEX daily_totals ON daily (day, branch)
    INCLUDE (visitors, served, called, mean_wait, within_target, mean_service, no_shows, transfers,
             docs_incomplete, ratings, satisfied, complaints)
    WHERE service = '';
