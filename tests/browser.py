"""Browser tests: Playwright driving Debian's Chromium against the whole system.

`live_system` is `smsgw run` as a real process on the built-in emulator, its console on
a loopback port, with users (admin1, operator1, viewer1; password `PASSWORD`), the list
DOCKING with five subscribers and an officer on duty, so an injected report is forwarded.
What the emulator sent is read from its JSON log, one line per part, as the network saw it.

One Chromium and one system per test module keep the suite fast; every page is in a
fresh browser context. `browser_page` is not signed in; `new_page("operator1")` is,
with the session of one real login per user and module.

    def test_x(new_page: Callable[..., Page], live_system: LiveSystem) -> None:
        page = new_page("operator1")
        live_system.inject(GAMEKEEPER, "Silver Subaru KX19 ABC at Docking")
        live_system.wait_sent(OFFICER, "KX19 ABC")
        page.goto("/sightings/")
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import count
from pathlib import Path

import pytest
from drama import mobile
from playwright.sync_api import Browser, Page, StorageState, expect, sync_playwright
from procs import SMSGW, stop, wait_for
from sqlalchemy import Engine
from web_client import PASSWORD

from gateway.core import migrate, users
from gateway.core.db import make_engine, utcnow
from gateway.modems import status as modem_status
from gateway.rota.service import Rota
from gateway.subscribers.service import Subscribers

CHROMIUM = "/usr/bin/chromium"  # Debian's package; `make test` installs it when missing
CHROMIUM_ARGS = (
    "--no-sandbox",  # tests run as root in containers, where the sandbox cannot start
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
TIMEOUT_MS = 5_000  # a console page answers in milliseconds; waiting longer hides a bug
START_TIMEOUT = 30.0  # seconds for `smsgw run` to serve and its modem to be ready

GATEWAY_NUMBER = mobile(0)
LIST_NAME, LIST_KEYWORD = "Docking farms", "DOCKING"
SUBSCRIBERS = tuple(mobile(n) for n in range(100, 105))  # on DOCKING
GAMEKEEPER = SUBSCRIBERS[0]  # a subscriber who texts in reports
OFFICER = mobile(601)  # on duty from an hour ago for twelve hours: gets forwarded reports
FALLBACK = mobile(999)  # the control room desk
USERNAMES = {"admin": "admin1", "operator": "operator1", "viewer": "viewer1"}

CONFIG = """\
[database]
url = "{db_url}"

[gateway]
node = "browser"
number = "{number}"
health_interval = 5.0

[[modem]]
name = "emu1"
driver = "emulator"
number = "{number}"
log = "{log}"
inject_dir = "{inject}"

[outbox]
poll_interval = 0.1
retry_base = 0.2
retry_max = 1.0

[web]
listen = "127.0.0.1:0"

[rota]
fallback_number = "{fallback}"
"""


class SystemFailed(AssertionError):
    """`smsgw run` did not come up, or died; the message ends with its log."""


@dataclass(frozen=True)
class Sms:
    """A text as the network took it: the parts of a long one joined."""

    to: str
    text: str


@dataclass
class LiveSystem:
    """A running `smsgw run`: where its console is and how to talk to its modem."""

    url: str
    root: Path
    db_url: str
    proc: subprocess.Popen[bytes]
    _engine: Engine | None = field(default=None, repr=False)
    _names: Iterator[int] = field(default_factory=count, repr=False)

    @property
    def inject_dir(self) -> Path:
        return self.root / "inject"

    @property
    def emulator_log(self) -> Path:
        return self.root / "emulator.log"

    @property
    def log(self) -> Path:
        return self.root / "smsgw.log"

    @property
    def engine(self) -> Engine:
        """The system's database, for checks a page cannot show (WAL: reads never block)."""
        if self._engine is None:
            self._engine = make_engine(self.db_url)
        return self._engine

    def inject(self, sender: str, text: str) -> None:
        """An SMS from `sender` arrives at the emulated modem (written, then renamed in)."""
        n = next(self._names)
        tmp = self.inject_dir / f".sms-{n}.tmp"
        tmp.write_text(json.dumps({"from": sender, "text": text}), encoding="utf-8")
        tmp.rename(self.inject_dir / f"sms-{n}.json")

    def sent(self) -> list[Sms]:
        """Every text the emulator has accepted so far, oldest first."""
        if not self.emulator_log.exists():
            return []
        texts: list[Sms] = []
        pending: dict[tuple[str, int], dict[int, str]] = {}
        for line in self.emulator_log.read_text(encoding="utf-8").splitlines():
            if not line:
                continue
            part = json.loads(line)
            if part["ref"] is None:
                texts.append(Sms(part["to"], part["text"]))
                continue
            parts = pending.setdefault((part["to"], part["ref"]), {})
            parts[part["part"]] = part["text"]
            if len(parts) == part["parts"]:
                del pending[(part["to"], part["ref"])]
                texts.append(Sms(part["to"], "".join(parts[i] for i in sorted(parts))))
        return texts

    def wait_sent(self, to: str, containing: str = "", timeout: float = 10.0) -> Sms:
        """The first text to `to` containing `containing`, waiting for it if need be."""
        found: list[Sms] = []

        def arrived() -> bool:
            found[:] = [s for s in self.sent() if s.to == to and containing in s.text]
            return bool(found)

        wait_for(arrived, timeout, f"a text to {to} containing {containing!r}")
        return found[0]

    def stop(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
        stop(self.proc)

    def failed(self, why: str) -> SystemFailed:
        tail = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
        return SystemFailed(f"{why}\n--- {self.log} ---\n{tail}")


def seed(engine: Engine) -> None:
    """Users, a list with subscribers and an officer on duty, in a migrated database."""
    for role, username in USERNAMES.items():
        users.add(engine, username, PASSWORD, role)
    subscribers = Subscribers(engine)
    subscribers.add_list(LIST_NAME, LIST_KEYWORD)
    for n, phone in enumerate(SUBSCRIBERS):
        subscribers.join(phone, LIST_KEYWORD, name=f"Keeper {n + 1}", method="officer", by="admin1")
    rota = Rota(engine)
    officer = rota.add_operator("PC Browser", OFFICER)
    now = utcnow()
    rota.add_shift(officer.id, now - timedelta(hours=1), now + timedelta(hours=12), by="admin1")


def start_system(root: Path) -> LiveSystem:
    """Start `smsgw run` on a seeded database; return once the console answers and the
    emulated modem is ready. Raises SystemFailed with the process's log otherwise.

    The seeding (three password hashes) overlaps the process's start-up (its imports):
    the schema is made before it starts, and nothing it does at start reads the rows.
    """
    (root / "inject").mkdir(parents=True, exist_ok=True)
    db_url = f"sqlite:///{root / 'smsgw.db'}"
    config = root / "config.toml"
    config.write_text(
        CONFIG.format(
            db_url=db_url,
            number=GATEWAY_NUMBER,
            log=root / "emulator.log",
            inject=root / "inject",
            fallback=FALLBACK,
        )
    )
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    system = LiveSystem("", root, db_url, _spawn(config, root / "smsgw.log"), engine)
    try:
        seed(engine)
        system.url = _console_url(system)
        _wait_ready(system)
    except BaseException:
        system.stop()
        raise
    return system


def _spawn(config: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [*SMSGW, "run", "--config", str(config)], stdout=out, stderr=subprocess.STDOUT
        )


def _console_url(system: LiveSystem) -> str:
    """The address `smsgw run` printed: it listens on a port the kernel chose."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        found = re.search(r"console on (http://\S+)", system.log.read_text(errors="replace"))
        if found:
            return found.group(1)
        if system.proc.poll() is not None:
            raise system.failed(f"smsgw run exited with {system.proc.returncode}")
        time.sleep(0.05)
    raise system.failed(f"smsgw run printed no console address in {START_TIMEOUT:.0f} s")


def _wait_ready(system: LiveSystem) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if any(m.state == "ready" for m in modem_status.all_modems(system.engine)):
            return
        if system.proc.poll() is not None:
            raise system.failed(f"smsgw run exited with {system.proc.returncode}")
        time.sleep(0.1)
    raise system.failed(f"the emulated modem was not ready in {START_TIMEOUT:.0f} s")


@pytest.fixture(scope="module")
def live_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSystem]:
    """One running system per test module: tests in a module share its database."""
    system = start_system(tmp_path_factory.mktemp("system"))
    yield system
    system.stop()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """One headless Chromium per test module; contexts, not browsers, isolate tests."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no {CHROMIUM}: `make test` installs Debian's chromium package")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=list(CHROMIUM_ARGS), headless=True
        )
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def signed_in_states() -> dict[str, StorageState]:
    """Session cookies by user name, from one real login each per module."""
    return {}


@pytest.fixture
def new_page(
    chromium: Browser, live_system: LiveSystem, signed_in_states: dict[str, StorageState]
) -> Iterator[Callable[..., Page]]:
    """`new_page()`: a page in a fresh context, another desk with its own cookies.
    `new_page("operator1")`: the same, signed in, on the dashboard. The first per user
    and module logs in through the form; later ones reuse its session cookie, which
    saves a password hash and a page load per test."""
    pages: list[Page] = []

    def open_page(username: str | None = None) -> Page:
        state = signed_in_states.get(username) if username else None
        context = chromium.new_context(base_url=live_system.url, storage_state=state)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        pages.append(page)
        if username and state is None:
            login(page, username)
            signed_in_states[username] = context.storage_state()
        elif username:
            page.goto("/")
        return page

    yield open_page
    for page in pages:
        page.context.close()


@pytest.fixture
def browser_page(new_page: Callable[..., Page]) -> Page:
    """A page on the live system's console, not signed in."""
    return new_page()


def submit_login(page: Page, username: str, password: str = PASSWORD) -> None:
    """Fill in and send the login form, whatever the outcome."""
    page.goto("/login")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def login(page: Page, username: str, password: str = PASSWORD) -> None:
    """Log in through the form and check it worked: the dashboard, signed in as them."""
    submit_login(page, username, password)
    assert path_of(page) == "/", f"login as {username} ended on {page.url}"
    expect(page.locator("header")).to_contain_text(username)


def logout(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()


def path_of(page: Page) -> str:
    """The path of the page shown, without scheme, host or query."""
    return re.sub(r"^[a-z]+://[^/]+", "", page.url).split("?")[0]


def nav_links(page: Page) -> list[str]:
    """The names of the links in the header, as the user reads them."""
    return [t.strip() for t in page.locator("header a").all_inner_texts()]
