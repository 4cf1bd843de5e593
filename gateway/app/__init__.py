"""The gateway put together: the daemon, the demo, and what the command line and the console
read of it.
"""
