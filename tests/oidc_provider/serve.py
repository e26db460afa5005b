"""Run the test OpenID Connect provider: `python -m tests.oidc_provider.serve PORT`.

Migrates its own SQLite database (OIDC_TEST_DB), creates the users and the confidential
client described in OIDC_TEST_SETUP (JSON), prints "ready" and serves on 127.0.0.1:PORT
until killed."""

import json
import os
import sys


def main(port):
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.oidc_provider.settings"
    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.core.servers.basehttp import WSGIServer, run
    from django.core.wsgi import get_wsgi_application
    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0, interactive=False)
    setup = json.loads(os.environ["OIDC_TEST_SETUP"])
    for spec in setup["users"]:
        user = User.objects.create_user(spec["username"], email=spec["email"])
        for name in spec["groups"]:
            user.groups.add(Group.objects.get_or_create(name=name)[0])
    client = setup["client"]
    Application.objects.create(
        name="lacoe-kpi", client_id=client["id"], client_secret=client["secret"],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=client["redirect_uri"], skip_authorization=True,
        algorithm=Application.RS256_ALGORITHM,
    )
    print("ready", flush=True)
    run("127.0.0.1", port, get_wsgi_application(), threading=True, server_cls=WSGIServer)


if __name__ == "__main__":
    main(int(sys.argv[1]))
