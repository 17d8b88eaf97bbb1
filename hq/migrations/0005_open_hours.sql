-- Open window-hours per branch day (from the counters' open/close events): the load figure F4
-- ranks by is visitors per open window-hour.
-- depends: 0004_monthly_rollups

ALTER TABLE daily ADD COLUMN open_hours DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE monthly ADD COLUMN open_hours DOUBLE PRECISION NOT NULL DEFAULT 0;
