"""What every part of the gateway stands on: configuration, the database and its models,
migrations, phone numbers, privacy, the audit log, console users, logs and systemd.
"""
