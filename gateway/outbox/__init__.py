"""The durable outbox: messages queued, claimed, sent and settled, with each modem's budget and
the delivery reports.
"""
