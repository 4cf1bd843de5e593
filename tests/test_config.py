from __future__ import annotations

from pathlib import Path

import pytest

from gateway.core import config

ROOT = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_the_example_config_loads() -> None:
    cfg = config.load(ROOT / "config.example.toml")
    assert cfg.gateway.country == "GB"
    assert [m.name for m in cfg.modems] == ["dongle1"]
    assert cfg.modems[0].driver == "at"


def test_an_unknown_key_names_the_key_and_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[gateway]\ncountry = "GB"\ncountyr = "GB"\n')
    with pytest.raises(config.ConfigError) as err:
        config.load(path)
    assert "gateway.countyr" in str(err.value) and str(path) in str(err.value)


def test_an_unknown_section_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(config.ConfigError, match=r"unknown section \[modems\]"):
        config.load(write(tmp_path, '[modems]\nname = "x"\n'))


def test_a_wrong_type_names_the_key(tmp_path: Path) -> None:
    text = '[[modem]]\nname = "m"\nport = "/dev/x"\nbaudrate = "fast"\n'
    with pytest.raises(config.ConfigError, match=r"modem\[0\]\.baudrate must be a whole number"):
        config.load(write(tmp_path, text))


def test_a_boolean_is_not_a_number(tmp_path: Path) -> None:
    text = '[[modem]]\nname = "m"\nport = "/dev/x"\nmax_per_minute = true\n'
    with pytest.raises(config.ConfigError, match="max_per_minute"):
        config.load(write(tmp_path, text))


def test_an_unknown_driver_is_refused(tmp_path: Path) -> None:
    text = '[[modem]]\nname = "m"\nport = "/dev/x"\ndriver = "magic"\n'
    with pytest.raises(config.ConfigError, match=r"modem\[0\]\.driver"):
        config.load(write(tmp_path, text))


def test_two_modems_may_not_share_a_name(tmp_path: Path) -> None:
    text = '[[modem]]\nname = "m"\nport = "/a"\n[[modem]]\nname = "m"\nport = "/b"\n'
    with pytest.raises(config.ConfigError, match="used twice"):
        config.load(write(tmp_path, text))


def test_a_modem_without_a_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(config.ConfigError, match=r"missing key modem\[0\]\.name"):
        config.load(write(tmp_path, '[[modem]]\nport = "/dev/x"\n'))


def test_broken_toml_says_so(tmp_path: Path) -> None:
    with pytest.raises(config.ConfigError, match="not valid TOML"):
        config.load(write(tmp_path, "[gateway\n"))


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(config.ConfigError, match="no such config file"):
        config.load(tmp_path / "nope.toml")


def test_the_environment_names_the_default_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, '[gateway]\ncountry = "IE"\n')
    monkeypatch.setenv("SMSGW_CONFIG", str(path))
    assert config.load().gateway.country == "IE"


def test_integers_are_accepted_where_numbers_are_expected(tmp_path: Path) -> None:
    cfg = config.load(write(tmp_path, "[outbox]\nretry_base = 3\n"))
    assert cfg.outbox.retry_base == 3.0 and isinstance(cfg.outbox.retry_base, float)


def test_a_short_secret_key_is_refused_naming_the_key(tmp_path: Path) -> None:
    path = write(tmp_path, '[web]\nsecret_key = "x"\n')
    with pytest.raises(config.ConfigError, match=r"web\.secret_key must be at least 32") as err:
        config.load(path)
    assert str(path) in str(err.value) and "token_hex" in str(err.value)
    assert config.load(write(tmp_path, '[web]\nsecret_key = ""\n')).web.secret_key == ""
    long_enough = "k" * config.MIN_SECRET_KEY
    assert config.load(write(tmp_path, f'[web]\nsecret_key = "{long_enough}"\n')).web.secret_key


def test_trusted_proxies_are_addresses_or_networks(tmp_path: Path) -> None:
    text = '[web]\ntrusted_proxies = ["127.0.0.1", "10.0.0.0/8", "::1"]\n'
    assert config.load(write(tmp_path, text)).web.trusted_proxies == (
        "127.0.0.1",
        "10.0.0.0/8",
        "::1",
    )
    assert config.load(write(tmp_path, "")).web.trusted_proxies == ()
    with pytest.raises(config.ConfigError, match=r"web\.trusted_proxies\[1\] 'proxy\.lan'"):
        config.load(write(tmp_path, '[web]\ntrusted_proxies = ["::1", "proxy.lan"]\n'))


def test_the_gateways_own_numbers_are_read_as_e164_in_the_gateways_country(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        '[gateway]\nadmin_number = "07700 900901"\nnumber = " +44 7700 900902 "\n\n'
        '[rota]\nfallback_number = "0044 7700 900903"\nadmin_number = ""\n',
    )
    loaded = config.load(path)
    assert (loaded.gateway.admin_number, loaded.gateway.number) == (
        "+447700900901",
        "+447700900902",
    )
    assert (loaded.rota.fallback_number, loaded.rota.admin_number) == ("+447700900903", "")


@pytest.mark.parametrize(
    ("section", "key"),
    [("gateway", "admin_number"), ("gateway", "number"), ("rota", "fallback_number"),
     ("rota", "admin_number")],
)  # fmt: skip
@pytest.mark.parametrize("value", ["12", "07700 900", "the desk"])
def test_a_number_that_is_not_a_possible_number_is_refused_naming_its_key(
    tmp_path: Path, section: str, key: str, value: str
) -> None:
    path = write(tmp_path, f'[{section}]\n{key} = "{value}"\n')
    with pytest.raises(config.ConfigError) as err:
        config.load(path)
    assert f"{section}.{key} {value!r} is not a possible phone number" in str(err.value)
    assert str(path) in str(err.value)
