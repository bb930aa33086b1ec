"""Reliability tools: reproducing stored runs bit for bit."""

from siegeline.reliability.reproduce import RerunReport, rerun, result_digest

__all__ = ["RerunReport", "rerun", "result_digest"]
