"""What a received text does: the router that sends it to keywords, officers' commands or the
sightings desk.
"""
