"""Writes of the profiles app: identity resolution runs, golden records, steward decisions."""
