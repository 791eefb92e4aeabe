"""Writes of the connectors app: imports of source records and activities."""
