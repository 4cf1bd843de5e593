"""The gateway daemon and its domain: config, database, outbox, inbound, command line."""
