"""Single sign-on (metrics/oidc.py) against a real OpenID Connect provider:
django-oauth-toolkit in OIDC mode, in a second Django process on a free loopback port
(tests/oidc_provider/), with its own SQLite database and an RSA key made here.

Our app runs in the Django test client; the person's browser is played by following
the redirects by hand between the two (a `requests` session at the provider, the test
client here). The RP's token, userinfo and key-set calls go to the provider over
loopback for real. A refused token is made by re-signing the provider's real ID token
with one claim changed (or with another key) between the token call and its check.
"""

import html
import importlib.util
import json
import os
import subprocess
import sys
import time
from urllib.parse import urlsplit

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import translation

from metrics import oidc, roles
from metrics.models import AuditEvent, AuditKind
from metrics.services.preferences import language_set

from .conftest import ROOT, free_port, require_service

User = get_user_model()
CLIENT_ID, CLIENT_SECRET = "lacoe-kpi-test", "test-client-secret-0123456789"
CALLBACK = "http://testserver/oidc/callback/"
ROLE_MAP = {"lacoe-kpi-admins": roles.ADMINISTRATOR, "lacoe-kpi-leads": roles.PILLAR_LEAD}
PROVIDER_USERS = [
    {"username": "alice", "email": "alice@lacoe.test",
     "groups": ["lacoe-kpi-admins", "everyone"]},
    {"username": "bob", "email": "bob@lacoe.test", "groups": ["everyone"]},
]


def _rsa_pem():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    """The running provider: {"base", "config" (its discovery document), "key" (PEM)}."""
    work = tmp_path_factory.mktemp("oidc-provider")
    key = _rsa_pem()
    (work / "key.pem").write_text(key)
    port = free_port()
    env = {**os.environ, "OIDC_TEST_DB": str(work / "provider.sqlite3"),
           "OIDC_TEST_KEY_FILE": str(work / "key.pem"), "PYTHONPATH": str(ROOT),
           "OIDC_TEST_SETUP": json.dumps({"users": PROVIDER_USERS, "client": {
               "id": CLIENT_ID, "secret": CLIENT_SECRET, "redirect_uri": CALLBACK}})}
    log = (work / "provider.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "tests.oidc_provider.serve", str(port)],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    config, problem = None, None
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                answer = requests.get(f"{base}/o/.well-known/openid-configuration", timeout=2)
                if answer.ok:
                    config = answer.json()
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        if config is None:
            problem = (f"the test OIDC provider did not start (exit {proc.poll()}): "
                       + (work / "provider.log").read_text()[-800:])
        require_service(config is not None, problem)
        yield {"base": base, "config": config, "key": key}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        log.close()


@pytest.fixture
def sso(settings, provider):
    """Our app configured as the provider's relying party, as the OIDC_* variables would."""
    config = provider["config"]
    settings.OIDC_ENABLED = True
    settings.OIDC_PROVIDER_NAME = "Test IdP"
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_OP_ISSUER = config["issuer"]
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = config["authorization_endpoint"]
    settings.OIDC_OP_TOKEN_ENDPOINT = config["token_endpoint"]
    settings.OIDC_OP_USER_ENDPOINT = config["userinfo_endpoint"]
    settings.OIDC_OP_JWKS_ENDPOINT = config["jwks_uri"]
    settings.OIDC_ROLE_MAP = ROLE_MAP
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS,
                                        "metrics.oidc.OIDCBackend"]
    return provider


def sso_sign_in(client, provider, username):
    """Play the browser: our app -> the provider (signed in there as `username`) -> our
    callback. Returns the callback's response, redirects followed within our app."""
    start = client.get(reverse("oidc_authentication_init"))
    assert start.status_code == 302
    authorize = urlsplit(start["Location"])
    assert f"{authorize.scheme}://{authorize.netloc}" == provider["base"]
    browser = requests.Session()
    answer = browser.get(f"{provider['base']}/test-login/", timeout=10, allow_redirects=False,
                         params={"username": username,
                                 "next": f"{authorize.path}?{authorize.query}"})
    for _ in range(5):
        assert answer.status_code == 302, answer.text[:500]
        location = answer.headers["Location"]
        if location.startswith(CALLBACK):
            break
        answer = browser.get(requests.compat.urljoin(answer.url, location), timeout=10,
                             allow_redirects=False)
    else:
        pytest.fail(f"the provider never sent the browser back: {location}")
    back = urlsplit(location)
    return client.get(f"{back.path}?{back.query}", follow=True)


def signed_in_user(client):
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def role_names(user):
    return set(user.groups.values_list("name", flat=True))


@pytest.mark.django_db
def test_first_sign_in_creates_the_user_and_maps_roles(client, sso):
    page = client.get(reverse("login"))
    assert b"Sign in with Test IdP" in page.content

    response = sso_sign_in(client, sso, "alice")
    assert response.status_code == 200
    user = signed_in_user(client)
    assert user is not None and user.username == "alice@lacoe.test"
    assert user.email == "alice@lacoe.test" and not user.has_usable_password()
    assert role_names(user) == {roles.ADMINISTRATOR}
    assert AuditEvent.objects.filter(kind=AuditKind.SIGN_IN, user=user).exists()
    assert AuditEvent.objects.filter(kind=AuditKind.ROLE_CHANGE, user=user,
                                     detail="Roles added: Administrator").exists()

    # Signing out: the existing sign-out ends the session, and is audit-logged.
    client.post(reverse("logout"))
    assert signed_in_user(client) is None
    assert AuditEvent.objects.filter(kind=AuditKind.SIGN_OUT, user=user).exists()

    # At the next sign-in the mapped roles follow the claims again; others are left.
    user.groups.add(Group.objects.get(name=roles.PILLAR_LEAD),
                    Group.objects.get(name=roles.LEADERSHIP))
    sso_sign_in(client, sso, "alice")
    assert signed_in_user(client) == user
    assert role_names(user) == {roles.ADMINISTRATOR, roles.LEADERSHIP}
    assert AuditEvent.objects.filter(kind=AuditKind.ROLE_CHANGE, user=user,
                                     detail="Roles removed: Pillar lead").exists()
    assert User.objects.filter(email__iexact="alice@lacoe.test").count() == 1


@pytest.mark.django_db
def test_a_user_with_no_mapped_group_gets_no_role(client, sso):
    sso_sign_in(client, sso, "bob")
    user = signed_in_user(client)
    assert user is not None and user.username == "bob@lacoe.test"
    assert role_names(user) == set()
    assert client.get(reverse("metrics:my_updates")).status_code == 403


@pytest.fixture
def english_afterwards():
    yield  # a Spanish page leaves Spanish active in this thread
    translation.activate(settings.LANGUAGE_CODE)


@pytest.mark.django_db
def test_single_sign_on_applies_the_kept_language_on_a_new_device(client, sso,
                                                                   english_afterwards):
    sso_sign_in(client, sso, "bob")  # bob's account, then his choice of Spanish
    language_set(user=signed_in_user(client), language="es")
    client.post(reverse("logout"))
    client.cookies.clear()  # another device: no session, no language cookie
    page = sso_sign_in(client, sso, "bob")
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    assert '<html lang="es">' in page.content.decode()

def _forge(provider, how):
    """A function changing the provider's real ID token as `how` says."""
    def change(token):
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
        key = provider["key"]
        if how == "signature":
            key = _rsa_pem()
        elif how == "issuer":
            claims["iss"] = "http://127.0.0.1:9/o"
        elif how == "audience":
            claims["aud"] = "another-application"
        elif how == "expired":
            claims["iat"], claims["exp"] = int(time.time()) - 7200, int(time.time()) - 3600
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": header["kid"]})
    return change


@pytest.mark.django_db
@pytest.mark.parametrize(("how", "reason"), [
    ("signature", "the ID token's signature is not the provider's"),
    ("issuer", "the ID token was issued by another provider"),
    ("audience", "the ID token was issued for another application"),
    ("expired", "the ID token has expired"),
])
def test_a_refused_token_signs_nobody_in(client, sso, monkeypatch, how, reason):
    real_get_token = oidc.OIDCBackend.get_token
    change = _forge(sso, how)

    def get_token(self, payload):
        answer = real_get_token(self, payload)  # the real call to the provider
        return {**answer, "id_token": change(answer["id_token"])}

    monkeypatch.setattr(oidc.OIDCBackend, "get_token", get_token)
    response = sso_sign_in(client, sso, "alice")
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("login")
    assert f"Sign-in with Test IdP failed: {reason}." in html.unescape(response.content.decode())
    assert signed_in_user(client) is None
    assert not User.objects.filter(email__iexact="alice@lacoe.test").exists()
    assert AuditEvent.objects.filter(kind=AuditKind.SIGN_IN_FAILED,
                                     detail=f"Single sign-on refused: {reason}").exists()


@pytest.mark.django_db
def test_a_replayed_callback_is_refused(client, sso):
    start = client.get(reverse("oidc_authentication_init"))
    assert start.status_code == 302
    response = client.get(reverse("oidc_authentication_callback"),
                          {"code": "made-up", "state": "not-ours"}, follow=True)
    assert response.status_code == 200
    assert "Sign-in with Test IdP failed" in response.content.decode()
    assert signed_in_user(client) is None


# Off unless configured, and the claim mapping on its own (no provider needed).

@pytest.mark.django_db
def test_sso_is_off_without_configuration(client, settings):
    assert not settings.OIDC_ENABLED
    assert "metrics.oidc.OIDCBackend" not in settings.AUTHENTICATION_BACKENDS
    assert b"Sign in with" not in client.get(reverse("login")).content
    assert client.get(reverse("oidc_authentication_init")).status_code == 404
    assert client.get(reverse("oidc_authentication_callback")).status_code == 404


def _load_settings(monkeypatch, **env):
    for name in list(os.environ):
        if name.startswith("OIDC_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DEBUG", "1")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("_settings_probe",
                                                  ROOT / "lacoe_kpi" / "settings.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_settings_read_the_oidc_variables(monkeypatch):
    off = _load_settings(monkeypatch)
    assert not off.OIDC_ENABLED and "metrics.oidc.OIDCBackend" not in off.AUTHENTICATION_BACKENDS
    endpoints = {f"OIDC_OP_{n}": f"https://idp.test/{n.lower()}" for n in
                 ("ISSUER", "AUTHORIZATION_ENDPOINT", "TOKEN_ENDPOINT", "USER_ENDPOINT",
                  "JWKS_ENDPOINT")}
    on = _load_settings(monkeypatch, OIDC_RP_CLIENT_ID="kpi", OIDC_RP_CLIENT_SECRET="s",
                        OIDC_ROLE_MAP="lacoe-kpi-admins=Administrator, "
                                      "lacoe-kpi-leads=Pillar lead",
                        OIDC_GROUPS_CLAIM="roles", **endpoints)
    assert on.OIDC_ENABLED
    assert on.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert on.AUTHENTICATION_BACKENDS[-1] == "metrics.oidc.OIDCBackend"
    assert on.OIDC_ROLE_MAP == {"lacoe-kpi-admins": "Administrator",
                                "lacoe-kpi-leads": "Pillar lead"}
    assert on.OIDC_GROUPS_CLAIM == "roles"
    with pytest.raises(ImproperlyConfigured, match="OIDC_OP_TOKEN_ENDPOINT"):
        _load_settings(monkeypatch, OIDC_RP_CLIENT_ID="kpi", OIDC_RP_CLIENT_SECRET="s",
                       **{k: v for k, v in endpoints.items() if k != "OIDC_OP_TOKEN_ENDPOINT"})
    with pytest.raises(ImproperlyConfigured, match="not 'provider group=Role'"):
        _load_settings(monkeypatch, OIDC_ROLE_MAP="lacoe-kpi-admins")


def test_roles_for_claims(settings):
    settings.OIDC_GROUPS_CLAIM = "groups"
    assert oidc.roles_for_claims({"groups": ["lacoe-kpi-leads", "x"]}, ROLE_MAP) == {
        roles.PILLAR_LEAD}
    assert oidc.roles_for_claims({"groups": "lacoe-kpi-admins, lacoe-kpi-leads"},
                                 ROLE_MAP) == {roles.ADMINISTRATOR, roles.PILLAR_LEAD}
    assert oidc.roles_for_claims({}, ROLE_MAP) == set()
    assert oidc.roles_for_claims({"groups": 7}, ROLE_MAP) == set()
    settings.OIDC_ROLE_MAP = {"g": "Superhero"}
    with pytest.raises(ImproperlyConfigured, match="unknown roles"):
        oidc.role_map()


@pytest.mark.django_db
def test_sync_roles_manages_only_mapped_roles(settings):
    settings.OIDC_GROUPS_CLAIM = "groups"
    settings.OIDC_ROLE_MAP = ROLE_MAP
    user = User.objects.create_user("carol")
    user.groups.add(Group.objects.get(name=roles.PILLAR_LEAD),
                    Group.objects.get(name=roles.COMMUNICATIONS))
    added, removed = oidc.sync_roles(user, {"groups": ["lacoe-kpi-admins"]})
    assert (added, removed) == ({roles.ADMINISTRATOR}, {roles.PILLAR_LEAD})
    assert role_names(user) == {roles.ADMINISTRATOR, roles.COMMUNICATIONS}
    assert oidc.sync_roles(user, {"groups": ["lacoe-kpi-admins"]}) == (set(), set())
