"""`smsgw doctor` on hosted services and email, against a FastSMS stand-in and a real SMTP
server: what it finds and what it says to do."""

from __future__ import annotations

from pathlib import Path

from aiosmtpd.controller import Controller
from fastsms_standin import FastSmsStandin
from test_mail import Handler, free_port

from gateway.core.config import Config, EmailConfig, ProviderConfig
from gateway.doctor.channels import channel_checks


def fastsms(url: str, token_file: Path) -> ProviderConfig:
    return ProviderConfig(
        "fastsms", "fastsms", url=url, token_file=str(token_file), sender="NorfolkPol"
    )


def test_a_working_service_shows_its_credits_and_a_bad_token_fails(tmp_path: Path) -> None:
    token = tmp_path / "fastsms.token"
    token.write_text("tok\n")
    with FastSmsStandin(token="tok", credits=1234.5) as fast:
        [good] = channel_checks(Config(providers=(fastsms(fast.url, token),)))
        token.write_text("not-the-token\n")
        [bad] = channel_checks(Config(providers=(fastsms(fast.url, token),)))
    assert good.level == "ok" and "1,234.50 left" in good.detail
    assert bad.level == "fail" and "-501" in bad.detail and "token_file" in bad.advice


def test_a_missing_token_file_fails_and_says_what_to_make(tmp_path: Path) -> None:
    [found] = channel_checks(
        Config(providers=(fastsms("http://127.0.0.1:9", tmp_path / "none.token"),))
    )
    assert found.level == "fail" and "none.token" in found.detail
    assert "mode 0600" in found.advice


def test_email_answers_or_fails_with_what_to_check() -> None:
    controller = Controller(Handler(), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        settings = EmailConfig(
            host="127.0.0.1", port=controller.port, sender="a@example.org", starttls=False
        )
        [found] = channel_checks(Config(email=settings))
    finally:
        controller.stop()
    assert found.level == "ok" and f"127.0.0.1:{controller.port} answers" in found.detail
    gone = EmailConfig(host="127.0.0.1", port=free_port(), sender="a@example.org", starttls=False)
    [down] = channel_checks(Config(email=gone))
    assert down.level == "fail" and "email.host" in down.advice
