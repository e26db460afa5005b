"""The served OpenAPI 3 schema, checked by schemathesis in-process (WSGI): generated
requests to every endpoint, a fixed seed and a capped number of examples, no failure.

Checks: no server error, responses that match the schema's documented shapes and
content types. Not `status_code_conformance`: DRF answers a 400 (a bad filter value, by
design) and a 404 (a page past the last) that the generated schema does not list.
"""

import json

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from lacoe_kpi.wsgi import application
from metrics.aggregates import rebuild_all

from .factories import MetricFactory, PillarFactory, PlanFactory, ReadingFactory


def test_the_schema_is_openapi_3_and_names_every_endpoint(db):
    schema = Client().get("/api/v1/schema/")
    assert schema["Content-Type"].startswith("application/vnd.oai.openapi+json")
    assert json.loads(schema.content)["openapi"].startswith("3.")
    assert Client().get("/api/v1/schema/?format=yaml").content.startswith(b"openapi: 3")
    text = schema.content.decode()
    for path in ("plans", "pillars", "priority-areas", "goals", "metrics", "readings",
                 "aggregates", "analytics"):
        assert f"/api/v1/{path}/" in text


def test_the_documentation_page_loads_only_our_files_and_no_inline_script(db):
    page = Client().get("/api/v1/docs/").content.decode()
    assert "swagger-ui-bundle.js" in page and "/static/" in page
    assert "<script>" not in page and "<style" not in page and "https://" not in page
    script = Client().get("/api/v1/docs/?script=")
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/v1/schema/" in script.content.decode()


@pytest.fixture
def served_schema(db, users):
    """The schema as served, over a world with a public plan, a private one and values."""
    pillar = PillarFactory(plan=PlanFactory(slug="open", is_public=True), slug="learning")
    metric = MetricFactory(pillar=pillar, code="shown")
    ReadingFactory(metric=metric, period="2023-24", value=7)
    ReadingFactory(metric=MetricFactory(pillar=PillarFactory()), period="2023-24", value=1)
    rebuild_all()
    # Requests go through the real WSGI application, whose end-of-request signal closes
    # the database connection: inside this test's transaction that would end the
    # transaction (on PostgreSQL). Django's test client disconnects it the same way.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/schema/", application)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)



# A fixed seed (derandomize) and a capped number of examples per operation: the same
# cases each run, in well under a minute for all of them.
CASES = settings(max_examples=25, derandomize=True, database=None, deadline=None,
                 suppress_health_check=list(HealthCheck))
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def test_the_api_against_its_served_schema(served_schema):
    # One loop over the operations rather than schemathesis' pytest plugin
    # (`from_fixture`), whose sub-tests do not run under pytest 9.
    operations = [result.ok() for result in served_schema.get_all_operations()]
    assert len(operations) >= 15
    calls = []
    for operation in operations:
        @CASES
        @given(case=operation.as_strategy())
        def check(case):
            calls.append(case.call_and_validate(checks=CHECKS).status_code)

        check()
    # Generated requests reached every operation, and some got rows (not only 400/404).
    assert len(calls) >= 10 * len(operations) and calls.count(200) >= len(operations)
