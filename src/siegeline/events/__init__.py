"""Conflict-event monitor: ingest ACLED/UCDP data, analyse trends, tie events to corridor
segments and calibrate the simulator's attack hazards from them."""
