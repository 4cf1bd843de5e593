"""One strict TOML loader: an unknown or mistyped key is an error naming the key and file.

The file is read into frozen dataclasses once; everything else takes those, never a dict.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import socket
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gateway.core import geo
from gateway.core.errors import GatewayError
from gateway.core.hooks_config import WebhookConfig, WebhookConfigError, webhooks_from
from gateway.core.phone import InvalidNumber, normalise
from gateway.core.replies import RepliesConfig

DEFAULT_PATH = "/etc/smsgw/config.toml"
DRIVERS = ("at", "gammu", "emulator")
PROVIDER_KINDS = {"fastsms": "https://my.fastsms.co.uk", "twilio": "https://api.twilio.com"}
PROVIDER_USES = ("overflow", "failover", "always", "never")
CHANNEL_WORDS = ("sim", "email")  # what messages.channel says besides a provider's name


class ConfigError(GatewayError):
    """The configuration cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class DatabaseConfig:
    url: str = "sqlite:////var/lib/smsgw/smsgw.db"


@dataclass(frozen=True)
class GatewayConfig:
    country: str = "GB"  # region for numbers written without +
    node: str = ""  # this gateway's name in a shared database; default: the host name
    admin_number: str = ""  # gets an SMS when a modem is rested
    number: str = ""  # the gateway's own number, printed on join badges
    timezone: str = "Europe/London"  # for quiet hours and the rota
    health_interval: float = 60.0  # seconds between samples of each modem's signal and state
    # Where to look for a modem whose port vanished, matched by IMEI (a re-plug can
    # turn ttyUSB2 into ttyUSB5; /dev/serial/by-id names survive it).
    port_search: tuple[str, ...] = ("/dev/serial/by-id/*", "/dev/ttyUSB*", "/dev/ttyACM*")


@dataclass(frozen=True)
class ModemConfig:
    name: str
    driver: str = "at"
    port: str = ""
    baudrate: int = 115200
    pin: str = ""
    max_per_minute: int = 0  # 0 = as fast as the modem takes them
    max_per_day: int = 0  # a SIM plan's limit; 0 = none
    # UK networks bar a SIM that texts more than about 300 distinct numbers in 24 hours.
    max_recipients_per_day: int = 300
    rest_after_failures: int = 5  # consecutive failed sends that rest this modem ...
    rest_seconds: float = 600.0  # ... for this long, while the others carry on
    # Only for driver = "emulator": the emulated modem's behaviour.
    number: str = "+447700900000"
    send_latency: float = 0.0
    fail_every: int = 0
    log: str = ""
    inject_dir: str = ""


@dataclass(frozen=True)
class ProviderConfig:
    """A hosted SMS service beside the SIMs (gateway/channels/)."""

    name: str
    kind: str  # "fastsms" or "twilio"
    url: str = ""  # "" = the service's own (PROVIDER_KINDS)
    account: str = ""  # Twilio's Account SID
    token_file: str = ""  # the API token (FastSMS) or auth token (Twilio), one line
    sender: str = ""  # a number, or up to 11 letters
    # "overflow": what the SIMs cannot send today; "failover": only while no modem can send;
    # "always": beside the modems; "never": not used to send.
    use: str = "overflow"
    max_per_second: float = 10.0  # 0 = no limit
    max_per_day: int = 0  # a cap on cost; 0 = none
    credits_per_part: float = 1.0  # what one SMS part costs in the service's credits
    # The console's public address: Twilio's status callbacks and texts come to
    # {callback_url}/hooks/...; "" = delivery status is polled only.
    callback_url: str = ""
    validity: int = 0  # hours a message may wait at the service; 0 = its default


@dataclass(frozen=True)
class EmailConfig:
    """Alerts by email for subscribers who chose it; no host, no email channel."""

    host: str = ""
    port: int = 587
    sender: str = ""
    starttls: bool = True
    username: str = ""
    password_file: str = ""
    max_per_second: float = 5.0  # 0 = no limit
    # The console's public address, for the one-click leave link in each email; "" = the
    # email says to text STOP EMAIL, and its List-Unsubscribe is a mailto: to `sender`.
    public_url: str = ""


@dataclass(frozen=True)
class OutboxConfig:
    max_attempts: int = 8  # transient failures before a message is marked failed
    retry_base: float = 2.0  # seconds before the first retry; doubles each time
    retry_max: float = 600.0  # the longest wait between two tries
    poll_interval: float = 0.5  # how often an idle worker looks for work queued elsewhere
    status_reports: bool = True  # ask the network for delivery reports
    report_window: float = 172800.0  # seconds a sent message waits for its report; then stays sent
    # Seconds a claimed message may stay `sending` before any gateway takes it back: longer
    # than the slowest send (AT+CMGS times out long before), short enough to recover.
    lease: float = 300.0


@dataclass(frozen=True)
class InboundConfig:
    sweep_interval: float = 60.0  # a safety net under +CMTI; it also empties a full SIM store
    partial_timeout: float = 600.0  # seconds to wait for missing parts before storing a partial
    # A sender over this many texts in flood_window seconds gets no more replies and their
    # reports are not forwarded (their texts are still stored and filed): two
    # auto-responders must not drain the SIM between them.
    flood_limit: int = 6
    flood_window: float = 600.0


@dataclass(frozen=True)
class RotaConfig:
    fallback_number: str = ""  # the control room desk: gets what nobody on duty took
    admin_number: str = ""  # the rota admin: warned before a gap in cover, and of a PIN lock
    escalate_after: float = 600.0  # seconds an unacknowledged sighting waits per step
    gap_warning: float = 7200.0  # seconds before a gap starts that the admin is warned
    reminder_before: float = 3600.0  # seconds before a shift that the officer is reminded
    correlation_window: float = 21600.0  # seconds within which reports of one vehicle link
    # Local place names for the sighting parser (empty: default), each "Name" or placed:
    # "Name=TF 767 370" or "Name=52.90,0.63" (gateway/core/geo.py).
    gazetteer: tuple[str, ...] = ()


@dataclass(frozen=True)
class WebConfig:
    listen: str = "127.0.0.1:8080"
    secret_key: str = ""  # signs console sessions; empty: a new one each start
    secure_cookies: bool = False  # true when the console is served over HTTPS
    # Reverse proxies (addresses or networks) whose X-Forwarded-For names the client.
    trusted_proxies: tuple[str, ...] = ()
    map_tiles: str = ""  # a tile URL template ({z}/{x}/{y}) behind /map; "" = none


MIN_SECRET_KEY = 32  # characters: a short key can be guessed, and then any cookie forged


@dataclass(frozen=True)
class Config:
    path: str = ""
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    gateway: GatewayConfig = field(default_factory=GatewayConfig)
    modems: tuple[ModemConfig, ...] = ()
    outbox: OutboxConfig = field(default_factory=OutboxConfig)
    inbound: InboundConfig = field(default_factory=InboundConfig)
    web: WebConfig = field(default_factory=WebConfig)
    replies: RepliesConfig = field(default_factory=RepliesConfig)
    rota: RotaConfig = field(default_factory=RotaConfig)
    providers: tuple[ProviderConfig, ...] = ()
    email: EmailConfig = field(default_factory=EmailConfig)
    webhooks: tuple[WebhookConfig, ...] = ()  # gateway/core/hooks_config.py

    @property
    def node(self) -> str:
        return self.gateway.node or socket.gethostname()


_SECTIONS: dict[str, type[Any]] = {
    "database": DatabaseConfig,
    "gateway": GatewayConfig,
    "outbox": OutboxConfig,
    "inbound": InboundConfig,
    "web": WebConfig,
    "replies": RepliesConfig,
    "rota": RotaConfig,
    "email": EmailConfig,
}


def default_path() -> str:
    return os.environ.get("SMSGW_CONFIG") or DEFAULT_PATH


def load(path: str | os.PathLike[str] | None = None) -> Config:
    """Read and check a config file. Raises ConfigError naming the file and the key."""
    file = Path(path if path is not None else default_path())
    try:
        with file.open("rb") as fh:
            raw = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{file}: no such config file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read: {exc.strerror}") from None
    return from_dict(raw, str(file))


def from_dict(raw: dict[str, Any], where: str = "<config>") -> Config:
    sections: dict[str, Any] = {}
    for key, value in raw.items():
        if key in ("modem", "provider", "webhook"):
            continue
        cls = _SECTIONS.get(key)
        if cls is None:
            raise ConfigError(f"{where}: unknown section [{key}]")
        sections[key] = _build(cls, value, where, key)
    modems = raw.get("modem", [])
    if not isinstance(modems, list):
        raise ConfigError(f"{where}: 'modem' must be an array of tables ([[modem]])")
    built = tuple(_build(ModemConfig, m, where, f"modem[{i}]") for i, m in enumerate(modems))
    _check_modems(built, where)
    providers = raw.get("provider", [])
    if not isinstance(providers, list):
        raise ConfigError(f"{where}: 'provider' must be an array of tables ([[provider]])")
    taken: set[str] = set()
    hosted = []
    for i, p in enumerate(providers):
        checked = _check_provider(
            _build(ProviderConfig, p, where, f"provider[{i}]"), where, i, built, taken
        )
        taken.add(checked.name)
        hosted.append(checked)
    try:
        hooks = webhooks_from(raw.get("webhook", []))
    except WebhookConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    config = Config(path=where, modems=built, providers=tuple(hosted), webhooks=hooks, **sections)
    _check_email(config.email, where)
    _check_web(config.web, where)
    try:
        geo.check_gazetteer(config.rota.gazetteer)
    except geo.BadLocation as exc:
        raise ConfigError(f"{where}: rota.{exc}") from None
    try:
        ZoneInfo(config.gateway.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{where}: gateway.timezone {config.gateway.timezone!r} is not a time zone"
        ) from None
    return _normalise_numbers(config, where)


# The numbers the gateway texts or prints by itself; `smsgw doctor` says what an empty one
# leaves unreported (gateway/doctor/numbers.py).
NUMBER_KEYS = (
    ("gateway", "admin_number"),
    ("gateway", "number"),
    ("rota", "fallback_number"),
    ("rota", "admin_number"),
)


def _normalise_numbers(config: Config, where: str) -> Config:
    """Each number in NUMBER_KEYS as E.164, national forms read in gateway.country, so
    that it matches the numbers the database holds. A value that is not a possible number
    is an error naming its key (possible, not valid: see gateway/core/phone.py)."""
    for section, key in NUMBER_KEYS:
        part = getattr(config, section)
        value = getattr(part, key).strip()
        if value:
            try:
                value = normalise(value, config.gateway.country)
            except InvalidNumber:
                raise ConfigError(
                    f"{where}: {section}.{key} {getattr(part, key)!r} is not a possible "
                    f"phone number (read in gateway.country {config.gateway.country!r})"
                ) from None
        part = dataclasses.replace(part, **{key: value})
        config = dataclasses.replace(config, **{section: part})
    return config


def _check_web(web: WebConfig, where: str) -> None:
    if 0 < len(web.secret_key) < MIN_SECRET_KEY:
        raise ConfigError(
            f"{where}: web.secret_key must be at least {MIN_SECRET_KEY} characters "
            f"(or empty for a new key at each start): make one with "
            f"`python3 -c 'import secrets; print(secrets.token_hex(32))'`"
        )
    for i, proxy in enumerate(web.trusted_proxies):
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise ConfigError(
                f"{where}: web.trusted_proxies[{i}] {proxy!r} is not an address or network"
            ) from None
    if web.map_tiles and not (
        web.map_tiles.startswith(("https://", "http://")) and "{z}" in web.map_tiles
    ):
        raise ConfigError(f"{where}: web.map_tiles must be an http(s) URL with {{z}}, {{x}}, {{y}}")


def _check_modems(modems: tuple[ModemConfig, ...], where: str) -> None:
    names: set[str] = set()
    for i, m in enumerate(modems):
        if m.driver not in DRIVERS:
            raise ConfigError(f"{where}: modem[{i}].driver must be one of {', '.join(DRIVERS)}")
        if m.name in names:
            raise ConfigError(f"{where}: modem[{i}].name {m.name!r} is used twice")
        if m.name in CHANNEL_WORDS:
            raise ConfigError(f"{where}: modem[{i}].name {m.name!r} names a channel: pick another")
        names.add(m.name)
        if m.driver != "emulator" and not m.port:
            raise ConfigError(f"{where}: modem[{i}].port is required for driver {m.driver!r}")


def _check_provider(
    p: ProviderConfig, where: str, i: int, modems: tuple[ModemConfig, ...], taken: set[str]
) -> ProviderConfig:
    key = f"{where}: provider[{i}]"
    if p.kind not in PROVIDER_KINDS:
        raise ConfigError(f"{key}.kind must be one of {', '.join(PROVIDER_KINDS)}")
    if p.use not in PROVIDER_USES:
        raise ConfigError(f"{key}.use must be one of {', '.join(PROVIDER_USES)}")
    if p.name in CHANNEL_WORDS or p.name in {m.name for m in modems} or p.name in taken:
        raise ConfigError(f"{key}.name {p.name!r} is taken (a modem's or provider's, or sim/email)")
    if not p.name or len(p.name) > 32:
        raise ConfigError(f"{key}.name must be 1 to 32 characters")
    if not p.token_file:
        raise ConfigError(f"{key}.token_file is required")
    if p.kind == "twilio" and not p.account:
        raise ConfigError(f"{key}.account (the Account SID) is required for twilio")
    if not p.sender:
        raise ConfigError(f"{key}.sender is required (a number, or up to 11 letters)")
    for url, name in ((p.url, "url"), (p.callback_url, "callback_url")):
        if url and not url.startswith(("https://", "http://")):
            raise ConfigError(f"{key}.{name} must start with https:// (or http://)")
    url = (p.url or PROVIDER_KINDS[p.kind]).rstrip("/")
    return dataclasses.replace(p, url=url, callback_url=p.callback_url.rstrip("/"))


def _check_email(email: EmailConfig, where: str) -> None:
    if email.host and "@" not in email.sender:
        raise ConfigError(f"{where}: email.sender must be an address when email.host is set")
    if email.public_url and not email.public_url.startswith(("https://", "http://")):
        raise ConfigError(f"{where}: email.public_url must start with https:// (or http://)")


def _build(cls: type[Any], value: Any, where: str, section: str) -> Any:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: [{section}] must be a table")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, item in value.items():
        if key not in fields:
            raise ConfigError(f"{where}: unknown key {section}.{key}")
        kwargs[key] = _check_type(item, hints[key], where, f"{section}.{key}")
    missing = [
        name
        for name, f in fields.items()
        if name not in kwargs
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise ConfigError(f"{where}: missing key {section}.{missing[0]}")
    return cls(**kwargs)


def _check_type(value: Any, hint: Any, where: str, key: str) -> Any:
    if typing.get_origin(hint) is tuple:  # a TOML array of strings
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: {key} must be a list of strings")
        return tuple(value)
    union = isinstance(hint, types.UnionType)
    expected: tuple[type, ...] = typing.get_args(hint) if union else (hint,)
    if float in expected and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, bool) and bool not in expected:
        raise ConfigError(f"{where}: {key} must be {_names(expected)}, not a boolean")
    if not isinstance(value, expected):
        raise ConfigError(
            f"{where}: {key} must be {_names(expected)}, not {type(value).__name__} ({value!r})"
        )
    if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
        raise ConfigError(f"{where}: {key} must not be negative")
    return value


def _names(types_: tuple[type, ...]) -> str:
    words = {str: "a string", int: "a whole number", float: "a number", bool: "true or false"}
    return " or ".join(words.get(t, t.__name__) for t in types_)
