"""The export jobs table: what a user sees of their recent exports."""

import datetime

from django.urls import reverse
from django.utils import timezone

from reports.tables import ExportJobTable

from .factories import ExportJobFactory


def test_recent_exports_link_each_job_and_say_when_it_goes(client, users, small_plan):
    done = ExportJobFactory(user=users["comms"], plan=small_plan, state="done", format="pdf")
    gone = ExportJobFactory(user=users["comms"], plan=small_plan, state="expired",
                            expires_at=timezone.now() - datetime.timedelta(hours=1))
    ExportJobFactory(user=users["administrator"], plan=small_plan)  # someone else's
    client.force_login(users["comms"])
    html = client.get(reverse("reports:index")).content.decode()
    assert '<h2 id="your-exports">Your recent exports</h2>' in html
    assert '<caption class="visually-hidden">Your recent exports</caption>' in html
    assert f'<a href="{reverse("reports:job", args=[done.pk])}">PDF document: Small plan ' \
           '2023-24</a>' in html
    assert f'<a href="{reverse("reports:job", args=[gone.pk])}">CSV file (data)' in html
    assert "Ready to download" in html and "Expired" in html
    assert html.count("<tr") == 3  # the header and two rows: only the user's own
    table = ExportJobTable([gone])
    assert [cell for _, cell in table.rows[0].items()][-1] == "—"  # no longer available


def test_without_exports_there_is_no_table(client, users, small_plan):
    client.force_login(users["comms"])
    html = client.get(reverse("reports:export", args=[small_plan.slug, "2023-24"]))
    assert "Your recent exports" not in html.content.decode()


def test_the_table_lists_its_fields_explicitly():
    assert ExportJobTable._meta.fields == ("export", "state", "created_at", "expires_at")
    assert [c.name for c in ExportJobTable([]).columns] == list(ExportJobTable._meta.fields)
