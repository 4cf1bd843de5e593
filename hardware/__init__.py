"""Modem drivers behind one small interface. Knows nothing of subscribers or alerts."""
