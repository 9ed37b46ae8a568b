"""The deployment files hold together: compose commands and unit ExecStarts are real commands, units verify."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from app.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
BIN = Path(sys.executable).parent
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))


def runs(argv: list[str]) -> subprocess.CompletedProcess:
    """Run a command from the venv with --help appended (the command exists and parses its arguments)."""
    return subprocess.run([str(BIN / argv[0]), *argv[1:], "--help"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def test_compose_has_every_role_and_every_command_exists():
    services = compose()["services"]
    assert {"postgres", "redis", "migrate", "web", "worker", "scheduler"} <= set(services)
    assert services["worker"]["deploy"]["replicas"] >= 2
    assert services["scheduler"]["deploy"]["replicas"] == 2
    assert services["migrate"]["command"] == ["scrm", "db", "upgrade"]
    for name, service in services.items():
        for needed in service.get("depends_on", {}):
            assert needed in services, f"{name} depends on unknown service {needed}"
        command = service.get("command")
        if not command or command[0] not in ("scrm", "gunicorn"):
            continue
        if command[0] == "gunicorn":
            assert command[command.index("-c") + 1] == "deploy/gunicorn.conf.py"
            assert command[-1] == "wsgi:app"
            assert (ROOT / "wsgi.py").exists()
            assert (DEPLOY / "gunicorn.conf.py").exists()
        result = runs(command)
        assert result.returncode == 0, f"{name}: {' '.join(command)} --help failed: {result.stderr}"


def test_compose_roles_share_the_metrics_directory_and_wait_for_migrations():
    services = compose()["services"]
    for role in ("web", "worker", "scheduler"):
        service = services[role]
        assert service["environment"]["PROMETHEUS_MULTIPROC_DIR"] == "/run/scrm-metrics"
        assert "metrics:/run/scrm-metrics" in service["volumes"]
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert service["build"]["dockerfile"] == "deploy/Dockerfile"
    for line in (DEPLOY / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), f"Dockerfile copies missing {source}"


def exec_starts() -> list[tuple[Path, list[str]]]:
    found = []
    for unit in UNITS:
        for line in unit.read_text().splitlines():
            if line.startswith("ExecStart="):
                found.append((unit, line.removeprefix("ExecStart=").split()))
    return found


def test_unit_commands_exist():
    starts = exec_starts()
    assert {unit.name for unit, _ in starts} >= {"scrm-web.service", "scrm-worker@.service", "scrm-scheduler.service"}
    for unit, argv in starts:
        assert argv[0].startswith("/opt/scrm/.venv/bin/"), unit
        args = [a for a in argv if not a.startswith("$")]
        args[0] = Path(args[0]).name
        result = runs(args)
        assert result.returncode == 0, f"{unit.name}: {' '.join(args)} --help failed: {result.stderr}"


def test_units_pass_systemd_analyze_verify(tmp_path):
    assert shutil.which("systemd-analyze"), "systemd-analyze is part of the test environment (apt-get install systemd)"
    names = []
    for unit in UNITS:
        text = unit.read_text().replace("/opt/scrm", str(ROOT))
        name = unit.name.replace("@.service", "@1.service")
        (tmp_path / name).write_text(text)
        names.append(f"./{name}")
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", *names], cwd=tmp_path, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "ignoring" not in result.stderr, result.stderr
    assert "Unknown" not in result.stderr, result.stderr


def test_env_example_names_real_settings():
    fields = {name.upper() for name in Settings.model_fields}
    extra = {"PROMETHEUS_MULTIPROC_DIR", "SCRM_BIND", "WEB_CONCURRENCY", "SCRM_WEB_THREADS", "FORWARDED_ALLOW_IPS"}
    names = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", (DEPLOY / "scrm.env.example").read_text(), re.MULTILINE))
    assert names
    assert names <= fields | extra, names - fields - extra
    conf = (DEPLOY / "gunicorn.conf.py").read_text()
    for name in extra - {"PROMETHEUS_MULTIPROC_DIR"}:
        assert name in conf


def test_docs_describe_every_unit_and_the_rotation():
    doc = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    for unit in UNITS:
        assert unit.name in doc
    for needed in ("scrm secrets rotate", "SCRM_SECRET_KEYS", "METRICS_TOKEN", "/readyz", "scrm db upgrade"):
        assert needed in doc
