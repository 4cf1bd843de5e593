"""Alerts: the fan-out to lists, templates, the cost and reach of a text before it goes, and
smart encoding.
"""
