"""Reliability tools: opening the shared DuckDB file under concurrent use
(:mod:`siegeline.reliability.locking`) and reproducing stored runs bit for bit
(:mod:`siegeline.reliability.reproduce`)."""
