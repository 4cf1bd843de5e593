"""People and lists: joins and leaves with their consent, search, CSV import and export, join
badges, and the check just before a broadcast goes; email as a channel a person may choose
(emails.py), and who each channel reaches (audience.py).
"""
