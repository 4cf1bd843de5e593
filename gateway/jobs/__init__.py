"""Scheduled work: the APScheduler jobs and the one leader among several gateways that runs them."""
