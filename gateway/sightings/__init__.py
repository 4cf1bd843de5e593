"""Sightings: the parser of a gamekeeper's text, the desk that files, forwards and escalates a
report, and the queries the console asks.
"""
