"""`smsgw doctor`: the checks a person looking after the gateway would make."""
