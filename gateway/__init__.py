"""The gateway daemon and its domain, in packages that are layers (docs/architecture.md)."""
