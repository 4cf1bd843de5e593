"""One Services, shared by the console's threads: each service is built once."""

from __future__ import annotations

import threading
import time

from sqlalchemy import Engine

from gateway.app.services import Services, built_once
from gateway.core import config as config_mod


class Counted(Services):
    builds = 0

    @built_once
    def slow(self) -> object:
        Counted.builds += 1
        time.sleep(0.05)  # long enough for every thread to arrive while it is being built
        return object()


def test_threads_asking_at_once_get_one_service_built_once(db_url: str, engine: Engine) -> None:
    services = Counted(config_mod.from_dict({"database": {"url": db_url}}), engine)
    got: list[object] = []
    threads = [threading.Thread(target=lambda: got.append(services.slow)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Counted.builds == 1 and len(got) == 8 and all(g is got[0] for g in got)


def test_a_service_that_needs_another_builds_it_under_the_same_lock(
    db_url: str, engine: Engine
) -> None:
    services = Services(config_mod.from_dict({"database": {"url": db_url}}), engine)
    router = services.router  # builds the outbox, subscribers, alerts, the desk... inside
    assert router.outbox is services.outbox and services.alerts.outbox is services.outbox
