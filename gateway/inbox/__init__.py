"""Texts received: stored once, parts joined, PINs redacted, kept when they cannot be stored,
and the words a text may be read as.
"""
