"""API access models."""
