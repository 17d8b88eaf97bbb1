-- Each branch hub's release, from its last batch (server/shipping.py sends it): HQ's branch list
-- shows which branches still run an older navbat after an upgrade.
-- depends: 0007_login_limits

ALTER TABLE branches ADD COLUMN hub_version TEXT;
