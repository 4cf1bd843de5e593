"""`[[provider]]` and `[email]`: the contract's own example loads, the commented examples in
config.example.toml load when uncommented, and every mistake names its key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gateway.core import config

ROOT = Path(__file__).resolve().parent.parent

# The sections as ../shared/INTERFACE.md gives them.
CONTRACT = """
[[provider]]
name = "fastsms"
kind = "fastsms"
url = "https://my.fastsms.co.uk"
account = ""
token_file = "/etc/smsgw/fastsms.token"
sender = "NorfolkPol"
use = "overflow"
max_per_second = 10
max_per_day = 0

[email]
host = "smtp.example.org"
port = 587
sender = "alerts@example.org"
starttls = true
username = ""
password_file = ""

[[webhook]]
url = "https://incident.example.org/hooks/smsgw"
secret_file = "/etc/smsgw/webhook.secret"
events = ["sighting.filed"]
"""


def load(tmp_path: Path, text: str) -> config.Config:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return config.load(path)


def test_the_contracts_example_loads(tmp_path: Path) -> None:
    cfg = load(tmp_path, CONTRACT)
    [p] = cfg.providers
    assert (p.name, p.kind, p.use, p.max_per_second, p.sender) == (
        "fastsms",
        "fastsms",
        "overflow",
        10.0,
        "NorfolkPol",
    )
    assert (cfg.email.host, cfg.email.port, cfg.email.starttls) == ("smtp.example.org", 587, True)
    [hook] = cfg.webhooks
    assert (hook.url, hook.events) == (
        "https://incident.example.org/hooks/smsgw",
        ("sighting.filed",),
    )


def test_the_commented_examples_load_when_uncommented(tmp_path: Path) -> None:
    text = (ROOT / "config.example.toml").read_text()
    start = text.index("# [[provider]]")
    tail = re.sub(r"(?m)^# (?=\[|\w+ = )", "", text[start:])  # settings, not the prose
    cfg = load(tmp_path, text[:start] + tail)
    assert [p.name for p in cfg.providers] == ["fastsms"]
    assert cfg.email.host == "smtp.example.org"
    assert len(cfg.webhooks) == 1 and "modem.down" in cfg.webhooks[0].events


def test_a_providers_url_defaults_to_the_service(tmp_path: Path) -> None:
    cfg = load(
        tmp_path,
        '[[provider]]\nname = "t"\nkind = "twilio"\naccount = "AC1"\ntoken_file = "/x"\n'
        'sender = "+447700900000"\ncallback_url = "https://smsgw.example.org/"\n',
    )
    assert cfg.providers[0].url == "https://api.twilio.com"
    assert cfg.providers[0].callback_url == "https://smsgw.example.org"


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ('kind = "bulksms"', r"provider\[0\]\.kind must be one of fastsms, twilio"),
        ('kind = "fastsms"\nuse = "sometimes"', r"provider\[0\]\.use must be one of"),
        ('kind = "fastsms"\ncolour = "red"', r"unknown key provider\[0\]\.colour"),
        ('kind = "twilio"', r"provider\[0\]\.account"),
        ('kind = "fastsms"\nmax_per_second = "fast"', r"provider\[0\]\.max_per_second must be"),
        ('kind = "fastsms"\nurl = "ftp://x"', r"provider\[0\]\.url must start with https://"),
    ],
)
def test_a_mistake_names_its_key(tmp_path: Path, body: str, says: str) -> None:
    text = f'[[provider]]\nname = "p"\ntoken_file = "/x"\nsender = "Police"\n{body}\n'
    with pytest.raises(config.ConfigError, match=says):
        load(tmp_path, text)


def test_a_provider_may_not_take_a_modems_name(tmp_path: Path) -> None:
    text = (
        '[[modem]]\nname = "m1"\nport = "/dev/x"\n'
        '[[provider]]\nname = "m1"\nkind = "fastsms"\ntoken_file = "/x"\nsender = "P"\n'
    )
    with pytest.raises(config.ConfigError, match="is taken"):
        load(tmp_path, text)


def test_email_needs_a_sender_address(tmp_path: Path) -> None:
    with pytest.raises(config.ConfigError, match=r"email\.sender"):
        load(tmp_path, '[email]\nhost = "smtp.example.org"\n')
    with pytest.raises(config.ConfigError, match=r"unknown key email\.tls"):
        load(tmp_path, "[email]\ntls = true\n")


def test_two_providers_may_not_share_a_name_nor_a_modem_be_called_email(tmp_path: Path) -> None:
    one = '[[provider]]\nname = "a"\nkind = "fastsms"\ntoken_file = "/x"\nsender = "P"\n'
    with pytest.raises(config.ConfigError, match=r"provider\[1\]\.name 'a' is taken"):
        load(tmp_path, one + one)
    with pytest.raises(config.ConfigError, match="names a channel"):
        load(tmp_path, '[[modem]]\nname = "email"\nport = "/dev/x"\n')
