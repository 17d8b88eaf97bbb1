-- The in-target share's denominator (issue 24): visitors called, and those who waited past their
-- target uncalled (missed). Days rolled up before this judged only those called.
-- depends: 0010_budgets

ALTER TABLE daily ADD COLUMN judged INTEGER;
UPDATE daily SET judged = called;
ALTER TABLE daily ALTER COLUMN judged SET NOT NULL;
ALTER TABLE monthly ADD COLUMN judged INTEGER;
UPDATE monthly SET judged = called;
ALTER TABLE monthly ALTER COLUMN judged SET NOT NULL;
