"""One worker thread per modem, the drivers it is built from, each modem's health and its
recorded status.
"""
