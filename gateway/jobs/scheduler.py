"""Scheduled jobs (APScheduler 3, background thread, jobs kept in the database).

A scheduled alert is a row in `alerts` (the truth) and a date job in the job store (the
timing), so it survives a restart. The job only calls `Alerts.fire_due`, which claims each
alert with a conditional update: a job that runs twice, or on two gateways, starts it once.
A slow sweep does the same, as a net under a job store that lost a job.

With several gateways on one database only the leader runs the jobs (gateway/jobs/leader.py);
the others keep their scheduler paused and try for the lead every few seconds, so the
jobs go on within seconds of the leader dying. Every job is also safe to run twice.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine, select

from gateway.alerts.service import Alerts
from gateway.core.db import utcnow
from gateway.core.models import Alert
from gateway.jobs.finished import CHECK_SECONDS, finish_alerts
from gateway.jobs.leader import RETRY as LEADER_RETRY
from gateway.jobs.leader import Leadership
from gateway.outbox.queue import Outbox
from gateway.rota.notices import RotaNotices
from gateway.sightings.desk import Sightings

log = logging.getLogger(__name__)

SWEEP_SECONDS = 30.0  # how often scheduled alerts are matched to jobs, and due ones started
JOB_TABLE = "apscheduler_jobs"
ESCALATION_CHECK = 15.0  # seconds between looks for unacknowledged sightings to escalate
NOTICE_CHECK = 30.0  # seconds between looks for rota notices that are due

_alerts: Alerts | None = None  # what the stored jobs act on, set by the running scheduler


def fire_alerts() -> None:
    """The stored job's target: importable by name, so the job store can keep it."""
    if _alerts is None:
        log.error("a scheduled job ran with no gateway to act on")
        return
    for ref in _alerts.fire_due():
        log.info("scheduled alert %s started", ref)


class Scheduler:
    def __init__(
        self,
        engine: Engine,
        alerts: Alerts,
        sightings: Sightings | None = None,
        notices: RotaNotices | None = None,
        outbox: Outbox | None = None,
    ) -> None:
        self.engine = engine
        self.alerts = alerts
        self.sightings = sightings
        self.notices = notices
        self.outbox = outbox
        self.leadership = Leadership(engine)
        self.leading = False
        self._stopping = threading.Event()
        self._campaign = threading.Thread(target=self._campaign_loop, name="leader", daemon=True)
        self._aps = BackgroundScheduler(
            jobstores={
                "default": SQLAlchemyJobStore(engine=engine, tablename=JOB_TABLE),
                "memory": MemoryJobStore(),  # for jobs of this process's own making
            },
            executors={"default": ThreadPoolExecutor(2)},
            job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
            timezone=UTC,
        )

    def start(self) -> None:
        global _alerts
        _alerts = self.alerts
        self._aps.start(paused=True)  # until this gateway leads
        self._every(SWEEP_SECONDS, self.sweep, "sweep")
        if self.sightings is not None:
            # The escalation state lives in each sighting's row, so a restart loses nothing.
            self._every(ESCALATION_CHECK, self.escalate, "escalate")
        if self.notices is not None:
            # Which notices went out is kept in `rota_notices`, so a restart sends none twice.
            self._every(NOTICE_CHECK, self.send_notices, "rota-notices", at_once=True)
        if self.outbox is not None:
            # Messages a dead gateway left `sending` go back to the queue after their lease.
            lease_check = max(1.0, min(SWEEP_SECONDS, self.outbox.config.lease / 2))
            self._every(lease_check, self.outbox.requeue_expired, "leases")
        # Each alert whose last message settled, reported once (alerts.finished_at).
        self._every(CHECK_SECONDS, self.finish_alerts, "alerts-finished")
        self.campaign()
        self._campaign.start()

    def _every(
        self, seconds: float, job: Callable[[], object], name: str, *, at_once: bool = False
    ) -> None:
        """A job of this process's own making: kept in memory, made again at each start."""
        first = {"next_run_time": datetime.now(UTC)} if at_once else {}
        self._aps.add_job(job, "interval", seconds=seconds, id=name, jobstore="memory", **first)

    def stop(self) -> None:
        self._stopping.set()
        if self._campaign.is_alive():
            self._campaign.join(timeout=5)
        if self._aps.running:
            self._aps.shutdown(wait=False)
        self.leadership.release()
        self.leading = False

    def campaign(self) -> bool:
        """Take the lead if it is free, or notice having lost it; True while leading."""
        leads = self.leadership.acquire()
        if leads and not self.leading:
            log.info("this gateway runs the scheduled jobs")
            self.leading = True
            self._aps.resume()
            self.sweep()
        elif not leads and self.leading:
            log.warning("another gateway runs the scheduled jobs now")
            self.leading = False
            self._aps.pause()
        return leads

    def _campaign_loop(self) -> None:
        while not self._stopping.wait(LEADER_RETRY):
            self.campaign()

    def escalate(self) -> None:
        if self.sightings is not None:
            for moved in self.sightings.escalate_due():
                log.warning("sighting escalated: %s", moved)

    def finish_alerts(self) -> None:
        for ref in finish_alerts(self.engine):
            log.info("alert %s finished", ref)

    def send_notices(self) -> None:
        if self.notices is not None:
            for key in self.notices.run():
                log.info("rota notice sent: %s", key)

    def sweep(self) -> None:
        """Give every scheduled alert its job, drop jobs of cancelled ones, start due ones."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(Alert.id, Alert.status, Alert.send_at).where(
                    Alert.send_at.is_not(None),
                    Alert.status.in_(("scheduled", "cancelled")),
                    Alert.send_at > utcnow() - timedelta(days=1),
                )
            ).all()
        for alert_id, status, send_at in rows:
            job_id = f"alert-{alert_id}"
            if status == "scheduled" and send_at is not None:
                if self._aps.get_job(job_id) is None:
                    self._aps.add_job(
                        fire_alerts,
                        "date",
                        run_date=send_at.replace(tzinfo=UTC),
                        id=job_id,
                        replace_existing=True,
                    )
            elif status == "cancelled":
                with contextlib.suppress(JobLookupError):
                    self._aps.remove_job(job_id)
        fire_alerts()
