"""Settings come from the environment, reject bad values and are safe in production."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "x" * 20 + "a-long-random-production-secret-for-the-check-0123456789",
    "ALLOWED_HOSTS": "kpi.example.org",
    "DATABASE_URL": "postgres://kpi:secret@db.example.org:5432/kpi",
    "REDIS_URL": "redis://cache.example.org:6379/0",
}


def run_manage(*args, env):
    clean = {k: v for k, v in os.environ.items()
             if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env},
        capture_output=True, text=True, timeout=120,
    )


def test_check_deploy_is_clean_with_production_variables():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_no_usable_default_secret_outside_development():
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_secret_may_come_from_a_file(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text(PRODUCTION["SECRET_KEY"] + "\n")
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = run_manage("check", env={**env, "SECRET_KEY_FILE": str(secret)})
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("DEBUG", "maybe", "DEBUG='maybe' is not a boolean"),
        ("DATABASE_URL", "mysql://x@y/z", "DATABASE_URL must start with one of"),
        ("REDIS_URL", "http://localhost:6379", "REDIS_URL must start with one of"),
        ("EMAIL_PORT", "smtp", "EMAIL_PORT='smtp' is not a whole number"),
        ("CONN_MAX_AGE", "-5", "CONN_MAX_AGE='-5' must be at least 0"),
        ("SECRET_KEY_FILE", "/nonexistent/secret", "SECRET_KEY_FILE='/nonexistent/secret'"),
        ("HEALTH_HEARTBEAT_STALE_SECONDS", "30", "must be at least 60"),
        ("HEALTH_FULL_REBUILD_WARN_HOURS", "soon", "is not a whole number"),
    ],
)
def test_bad_values_are_refused_with_a_clear_message(name, value, says):
    env = {**PRODUCTION, name: value}
    if name == "SECRET_KEY_FILE":
        env.pop("SECRET_KEY")
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert says in result.stderr


def test_embedded_default_is_sqlite_and_in_process_celery():
    result = run_manage(
        "shell", "-c",
        "from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.DEBUG)",
        env={"DEBUG": "1"},
    )
    assert result.stdout.split()[-3:] == ["django.db.backends.sqlite3", "True", "True"]


def test_database_and_redis_urls_select_the_real_services():
    result = run_manage(
        "shell", "-c",
        "from django.conf import settings as s; d = s.DATABASES['default']; "
        "print(d['ENGINE'], d['HOST'], d['CONN_MAX_AGE'], s.CELERY_TASK_ALWAYS_EAGER, "
        "s.CELERY_BROKER_URL)",
        env=PRODUCTION,
    )
    assert result.stdout.split()[-5:] == [
        "django.db.backends.postgresql", "db.example.org", "600", "False",
        "redis://cache.example.org:6379/0",
    ]


def test_production_redirects_to_https_except_the_health_check():
    # check --deploy (above) wants SECURE_SSL_REDIRECT; a load balancer probes /healthz
    # over plain HTTP, so that one path is exempt, and only it.
    result = run_manage(
        "shell", "-c",
        "import re; from django.conf import settings as s; "
        "exempt = lambda p: any(re.search(x, p.lstrip('/')) for x in s.SECURE_REDIRECT_EXEMPT); "
        "print(s.SECURE_SSL_REDIRECT, exempt('/healthz'), exempt('/'), exempt('/healthz/x'), "
        "exempt('/accounts/login/'), s.HEALTH_HEARTBEAT_STALE_SECONDS, "
        "s.HEALTH_FULL_REBUILD_WARN_HOURS)",
        env=PRODUCTION,
    )
    assert result.stdout.split()[-7:] == ["True", "True", "False", "False", "False", "180", "26"]
