"""Reports for the branch head and the province (D9), computed from the events table.

`period` turns "1404-07" or "1404-08-30" into a span of branch days, `visits` folds the
event log into one visit per ticket (so recalls and transfers count once), `figures`
aggregates them, `export` writes CSV and XLSX.
"""

from navbat.server.reports.figures import Report, build_report
from navbat.server.reports.period import Period, parse_day, parse_month

__all__ = ["Period", "Report", "build_report", "parse_day", "parse_month"]
