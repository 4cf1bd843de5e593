"""The `smsgw` subcommands, one module per family."""
