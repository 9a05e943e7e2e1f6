"""docker-compose.yml cannot run here (no Docker engine); check it is coherent instead."""

from __future__ import annotations

from pathlib import Path

import yaml

from server.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_four_services():
    assert set(_compose()["services"]) == {"postgres", "redis", "web", "worker"}


def test_compose_commands_are_real_cli_commands():
    parser = build_parser()
    for name in ("web", "worker"):
        command = _compose()["services"][name]["command"]
        assert command[0] == "fieldcrm"
        parser.parse_args(command[1:])  # raises SystemExit on an unknown command or flag


def test_app_services_point_at_postgres_and_redis():
    services = _compose()["services"]
    for name in ("web", "worker"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://")
        assert "@postgres:5432/" in env["DATABASE_URL"]
        assert env["REDIS_URL"].startswith("redis://redis:6379")
        assert set(services[name]["depends_on"]) == {"postgres", "redis"}


def test_readme_documents_every_env_var_compose_sets():
    readme = (ROOT / "README.md").read_text()
    for variable in _compose()["services"]["web"]["environment"]:
        assert f"`{variable}`" in readme, variable


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "bash scripts/test.sh" in readme
    assert "scripts/test.sh" in (ROOT / ".ci" / "run").read_text()
