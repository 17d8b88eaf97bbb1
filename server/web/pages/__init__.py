"""Web pages served by the hub (tracking, wall display, clerk and branch-head consoles)."""
