import os
from pathlib import Path

import pytest

from metrics import roles
from metrics.loading import load_directory

from .factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent
LACOE_FIXTURES = ROOT / "fixtures" / "lacoe"
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def require_service(available, reason):
    """Skip when a real service is absent, or fail when REQUIRE_SERVICES=1 (CI)."""
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The real hasher is slow by design; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def lacoe_plan(db):
    plan, _ = load_directory(LACOE_FIXTURES)
    return plan


ROLE_USERS = {
    "steward": roles.STEWARD,
    "lead": roles.PILLAR_LEAD,
    "leadership": roles.LEADERSHIP,
    "comms": roles.COMMUNICATIONS,
    "administrator": roles.ADMINISTRATOR,
}


@pytest.fixture
def users(db):
    """One user per role, plus `outsider`: signed in, no role."""
    made = {name: UserFactory(username=name, role=role) for name, role in ROLE_USERS.items()}
    made["administrator"].is_staff = True
    made["administrator"].save()
    made["outsider"] = UserFactory(username="outsider")
    return made
