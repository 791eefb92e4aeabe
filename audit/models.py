"""Audit trail models."""
