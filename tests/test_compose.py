"""Static checks of docker-compose.yml and the Dockerfile (no Docker engine, no database).

The stack can only be run where a Docker engine exists, so these tests catch the
mistakes that would otherwise surface only at deploy time: a variable the app
never reads, a service pointed at the wrong host, a secret with a default.
"""

import ast
import re
import shlex
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
SETTINGS = ROOT / "lacoe_kpi" / "settings.py"

APP_SERVICES = ("migrate", "web", "worker", "beat")
ALL_SERVICES = ("db", "redis", *APP_SERVICES)
ENV_HELPERS = {"envstr", "envbool", "envint", "envlist", "envurl"}
# Helpers that go through envstr, and so also accept NAME_FILE (a secret in a file).
FILE_AWARE_HELPERS = {"envstr", "envurl"}


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose):
    return compose["services"]


def settings_variables():
    """Names settings.py reads through its env helpers, plus NAME_FILE where supported."""
    tree = ast.parse(SETTINGS.read_text(), filename=str(SETTINGS))
    names = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        helper = node.func.id
        if helper not in ENV_HELPERS or not node.args:
            continue
        first = node.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            names.add(first.value)
            if helper in FILE_AWARE_HELPERS:
                names.add(f"{first.value}_FILE")
    return names


def environment(service):
    """A service's environment as a dict, whichever of the two Compose forms it uses."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return {name: None if value is None else str(value) for name, value in env.items()}


def command(service):
    cmd = service.get("command")
    return shlex.split(cmd) if isinstance(cmd, str) else list(cmd or [])


def depends_on(service):
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):  # short form: started, not healthy
        return {name: "service_started" for name in deps}
    return {name: spec.get("condition", "service_started") for name, spec in deps.items()}


def test_settings_parser_finds_the_core_variables():
    # Guards the guard: if the AST walk broke, the "only known variables" test
    # below would pass vacuously or fail for the wrong reason.
    names = settings_variables()
    for expected in ("SECRET_KEY", "DEBUG", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS"):
        assert expected in names


def test_no_obsolete_version_key(compose):
    assert "version" not in compose


def test_all_services_exist(services):
    for name in ALL_SERVICES:
        assert name in services, f"service {name!r} missing"


def test_app_services_share_one_environment(services):
    envs = {name: environment(services[name]) for name in APP_SERVICES}
    reference = envs["web"]
    assert reference, "web has no environment"
    for name, env in envs.items():
        assert env == reference, f"{name} environment differs from web's"


def test_app_services_run_the_same_image(services):
    images = {services[name].get("image") for name in APP_SERVICES}
    assert len(images) == 1 and None not in images, images
    assert services["web"].get("build") in (".", {"context": "."})


def test_app_environment_only_sets_variables_settings_reads(services):
    known = settings_variables()
    for name in APP_SERVICES:
        unknown = set(environment(services[name])) - known
        assert not unknown, f"{name} sets variables settings.py never reads: {sorted(unknown)}"


def interpolated_url(value):
    """Parse a URL as Compose would hand it over, with `${...}` replaced by a placeholder."""
    return urlparse(re.sub(r"\$\{[^}]*\}", "placeholder", value))


def test_database_url_points_at_db_service(services):
    url = interpolated_url(environment(services["web"])["DATABASE_URL"])
    assert url.scheme in ("postgres", "postgresql")
    assert url.hostname == "db"
    db_env = environment(services["db"])
    assert url.path.lstrip("/") == db_env["POSTGRES_DB"]
    assert url.username == db_env["POSTGRES_USER"]


def test_redis_url_points_at_redis_service(services):
    url = interpolated_url(environment(services["web"])["REDIS_URL"])
    assert url.scheme in ("redis", "rediss")
    assert url.hostname == "redis"


def test_secrets_have_no_default(services):
    # `${VAR:?message}` makes `docker compose up` refuse to start without it.
    app_env = environment(services["web"])
    assert re.fullmatch(r"\$\{SECRET_KEY:\?[^}]*\}", app_env["SECRET_KEY"])
    db_password = environment(services["db"])["POSTGRES_PASSWORD"]
    assert re.fullmatch(r"\$\{POSTGRES_PASSWORD:\?[^}]*\}", db_password)
    assert "${POSTGRES_PASSWORD:?" in app_env["DATABASE_URL"]


def test_app_runs_with_debug_off(services):
    assert environment(services["web"])["DEBUG"] in ("0", "false", "False")


@pytest.mark.parametrize("name", ["db", "redis", "web", "worker", "beat"])
def test_healthchecks(services, name):
    check = services[name].get("healthcheck")
    assert check and check.get("test"), f"{name} has no healthcheck"
    assert not check.get("disable")


def test_db_and_redis_healthchecks_use_their_own_probes(services):
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    assert "redis-cli ping" in " ".join(services["redis"]["healthcheck"]["test"])


def test_web_healthcheck_needs_no_curl(services):
    probe = " ".join(services["web"]["healthcheck"]["test"])
    assert "curl" not in probe and "wget" not in probe
    assert "urllib" in probe and "127.0.0.1:8000" in probe and "Host" in probe


def test_web_healthcheck_probes_healthz_over_plain_http(services):
    probe = " ".join(services["web"]["healthcheck"]["test"])
    assert "http://127.0.0.1:8000/healthz" in probe
    # /healthz is exempt from the https redirect, so the probe needs no forwarded proto.
    assert re.search(r"SECURE_REDIRECT_EXEMPT = \[[^]]*healthz", SETTINGS.read_text())


def test_worker_healthcheck_pings_its_own_node(services):
    test = services["worker"]["healthcheck"]["test"]
    assert test[0] == "CMD-SHELL", "the node name needs the shell's $HOSTNAME"
    # Compose turns $$ into $, so the container's shell expands the variable.
    assert "celery -A lacoe_kpi inspect ping -d celery@$$HOSTNAME" in test[1]


def test_beat_healthcheck_reads_its_heartbeat(services):
    test = services["beat"]["healthcheck"]["test"]
    assert test[0] == "CMD" and test[1:] == ["python", "manage.py", "health", "beat"]


def test_the_beat_sends_the_heartbeat_every_minute():
    from django.conf import settings

    from metrics import health

    entries = [entry for entry in settings.CELERY_BEAT_SCHEDULE.values()
               if entry["task"] == health.HEARTBEAT_TASK]
    assert len(entries) == 1 and entries[0]["schedule"] == 60.0
    assert entries[0]["schedule"] < settings.HEALTH_HEARTBEAT_STALE_SECONDS


def test_web_waits_for_healthy_backends_and_migrations(services):
    deps = depends_on(services["web"])
    assert deps.get("db") == "service_healthy"
    assert deps.get("redis") == "service_healthy"
    assert deps.get("migrate") == "service_completed_successfully"
    assert services["web"].get("ports") and any(
        str(port).endswith("8000:8000") for port in services["web"]["ports"]
    )


def test_migrate_is_one_shot_and_loads_the_plan(services):
    migrate = services["migrate"]
    assert str(migrate.get("restart")) == "no"
    assert depends_on(migrate).get("db") == "service_healthy"
    script = " ".join(command(migrate))
    assert "manage.py migrate --noinput" in script
    assert "manage.py load_plan fixtures/lacoe" in script
    assert script.index("migrate --noinput") < script.index("load_plan")


def test_worker_command(services):
    assert command(services["worker"])[:4] == ["celery", "-A", "lacoe_kpi", "worker"]


def test_beat_command(services):
    assert command(services["beat"])[:4] == ["celery", "-A", "lacoe_kpi", "beat"]


def test_pgdata_volume(compose, services):
    assert "pgdata" in (compose.get("volumes") or {})
    assert "pgdata:/var/lib/postgresql/data" in services["db"]["volumes"]


def dockerfile_instructions():
    """(INSTRUCTION, arguments) pairs with line continuations joined and comments dropped."""
    lines = [
        line for line in DOCKERFILE.read_text().splitlines() if not line.lstrip().startswith("#")
    ]
    text = re.sub(r"\\\n", " ", "\n".join(lines))
    pairs = []
    for line in text.splitlines():
        if line.strip():
            instruction, _, args = line.strip().partition(" ")
            pairs.append((instruction.upper(), args.strip()))
    return pairs


def test_dockerfile_cmd_runs_gunicorn_on_the_wsgi_app():
    cmds = [args for instruction, args in dockerfile_instructions() if instruction == "CMD"]
    assert cmds, "Dockerfile has no CMD"
    last = cmds[-1]  # only the last CMD takes effect
    argv = yaml.safe_load(last) if last.startswith("[") else shlex.split(last)
    assert argv[0] == "gunicorn"
    assert "lacoe_kpi.wsgi:application" in argv
    assert "0.0.0.0:8000" in " ".join(argv)


def test_dockerfile_runs_as_non_root_and_keeps_the_key_out_of_env():
    instructions = dockerfile_instructions()
    users = [args for instruction, args in instructions if instruction == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert ("FROM", "python:3.11-slim") in instructions
    for instruction, args in instructions:
        if instruction in ("ENV", "ARG"):
            assert "SECRET_KEY" not in args, "the build-only key must not persist in the image"
    assert any(
        instruction == "RUN" and "collectstatic" in args and "SECRET_KEY=" in args
        for instruction, args in instructions
    )


def test_compose_file_matches_the_compose_spec_schema():
    # check-jsonschema is a declared dev dependency: missing means a broken
    # environment, which must fail rather than skip silently.
    checker = Path(sys.executable).parent / "check-jsonschema"
    assert checker.exists(), f"{checker} not found; install the dev dependencies"
    result = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.compose-spec", str(COMPOSE_FILE)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
