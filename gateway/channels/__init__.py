"""Hosted SMS services beside the SIMs: one small interface, an adapter per service."""
