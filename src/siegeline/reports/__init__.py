"""Charts and maps as Plotly figures (shared with the dashboard) and self-contained HTML
reports of stored runs."""

from siegeline.reports.html import render_report, write_report

__all__ = ["render_report", "write_report"]
