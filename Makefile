# Two set-up commands: `make demo` and `make test`. Everything they need they install.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
APT_STAMP := $(VENV)/.apt-installed
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test lint bench install system-deps clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

# Debian packages: libgammu for python-gammu, the gammu CLI and gammu-smsd (test oracle and
# benchmark peer), chromium for the browser tests, postgresql for the scale-out tests (a
# throw-away server is started by the tests themselves), systemd for systemd-analyze.
# Installed only when missing.
$(APT_STAMP): | $(BIN)/python
	@missing=""; \
	for p in gammu gammu-smsd libgammu-dev pkg-config chromium postgresql systemd fuse3 libfuse3-3; do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing </dev/null; \
	fi
	touch $@

$(STAMP): pyproject.toml $(APT_STAMP) | $(BIN)/python
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,gammu,postgres]'
	touch $@

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/smsgw demo --port 8080 --dir demo-data

lint: $(STAMP)
	$(BIN)/ruff check gateway hardware web tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

# The tests of what touches the database, again on PostgreSQL (the scale-out path), each on
# a fresh database of a throw-away server the tests start themselves.
PG_TESTS := tests/test_migrations.py tests/test_outbox.py tests/test_inbound.py \
	tests/test_delivery.py tests/test_subscribers.py tests/test_csv_io.py tests/test_keywords.py \
	tests/test_registration.py tests/test_inbound_router.py tests/test_alerts.py \
	tests/test_alert_compose.py tests/test_templates.py tests/test_sightings.py \
	tests/test_rota_notices.py tests/test_daemon.py tests/test_web_console.py \
	tests/test_sightings_search.py tests/test_web_dashboard.py tests/test_web_sightings.py \
	tests/test_web_alerts.py tests/test_web_api.py tests/test_web_people.py tests/test_web_reports.py \
	tests/test_nothing_lost.py tests/test_duty_first.py tests/test_web_login.py \
	tests/test_channel_worker.py tests/test_reach.py tests/test_subscriber_email.py \
	tests/test_sighting_positions.py tests/test_webhook_events.py \
	tests/test_workbook.py tests/test_sent_record.py tests/test_patrols.py

# The two runs go side by side (two cores, and much of each run waits on a pty, a browser or a
# database): the PostgreSQL run's output is shown after the SQLite run's.
test: lint
	@pglog=$$(mktemp); \
	$(BIN)/python -m pytest -q -p no:cacheprovider --db postgresql $(PG_TESTS) >$$pglog 2>&1 & pg=$$!; \
	$(BIN)/python -m pytest -q -p no:cacheprovider -n 2 --dist loadfile; sqlite=$$?; \
	wait $$pg; postgres=$$?; \
	echo "--- the same tests of what touches the database, on PostgreSQL:"; cat $$pglog; rm -f $$pglog; \
	test $$sqlite -eq 0 && test $$postgres -eq 0

# smstools3 (Debian's smstools), the second benchmark peer, is for `make bench` only: installed
# here when missing and we are root (no password to ask for); otherwise its rows say it is not
# installed. The package would start a system smsd on /dev/ttyS0, where a Pi's modem HAT may
# sit: the benchmark runs its own, so that service is disabled and stopped.
bench: $(STAMP)
	@if ! dpkg -s smstools >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  echo "installing Debian package: smstools"; \
	  { apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends smstools </dev/null && \
	    { if [ -d /run/systemd/system ]; then systemctl disable --now smstools; \
	      else update-rc.d smstools disable; fi >/dev/null 2>&1 || true; }; \
	  } || echo "smstools could not be installed: the benchmark says so in its rows"; \
	fi
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) demo-data .mypy_cache .ruff_cache
