"""Evidence files: typed from their content, refused when the content is not what is
allowed, stored under random names, deleted when replaced, served as attachments to
the people who may read the metric page."""

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from metrics.evidence import download_name, sniff, validate_evidence
from metrics.models import Reading
from metrics.services import reading_record

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
CSV = "district,rate\nCompton,45.2\nLynwood,51\nÉcole,3\n".encode()
TXT = "Figures from the 2023-24 report, page 4: 45 % of students…\n".encode()


def _docx():
    import docx

    buffer = io.BytesIO()
    document = docx.Document()
    document.add_paragraph("Attendance rose to 45%.")
    document.save(buffer)
    return buffer.getvalue()


def _xlsx():
    import openpyxl

    buffer = io.BytesIO()
    workbook = openpyxl.Workbook()
    workbook.active.append(["district", "rate"])
    workbook.active.append(["Compton", 45.2])
    workbook.save(buffer)
    return buffer.getvalue()


def _zip(**parts):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in parts.items():
            archive.writestr(name.replace("__", "/"), content)
    return buffer.getvalue()


ALLOWED = [
    ("report.pdf", PDF, "application/pdf"),
    ("chart.png", PNG, "image/png"),
    ("photo.jpg", JPEG, "image/jpeg"),
    ("photo.jpeg", JPEG, "image/jpeg"),
    ("figures.csv", CSV, "text/plain; charset=utf-8"),
    ("notes.txt", TXT, "text/plain; charset=utf-8"),
    ("figures.xlsx", _xlsx(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("memo.docx", _docx(),
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
]
NOT_REALLY = "is not really a PDF, PNG or JPEG image, CSV, XLSX, DOCX or text file"
HOSTILE = [
    ("chart.png", b"<html><script>alert(1)</script></html>", NOT_REALLY),
    ("notes.txt", b"\xef\xbb\xbf  <!DOCTYPE html><html><body>hi</body></html>", NOT_REALLY),
    ("picture.png", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", NOT_REALLY),
    ("report.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00", NOT_REALLY),
    ("memo.docx", _zip(**{"readme.txt": "not an office file"}), NOT_REALLY),
    ("figures.xlsx", _zip(**{"[Content_Types].xml": "<Types/>", "docProps__app.xml": "x"}),
     NOT_REALLY),
    ("macros.xlsx", _zip(**{"[Content_Types].xml": "<Types/>", "xl__workbook.xml": "<w/>",
                            "xl__vbaProject.bin": "\x00"}), NOT_REALLY),
    ("broken.docx", b"PK\x03\x04 not really a zip", NOT_REALLY),
    ("latin1.csv", "Écoles,3\n".encode("latin-1"), NOT_REALLY),
    ("chart.png", PDF, "is named as .png but its content is a PDF: rename it .pdf"),
    ("memo.docx", _xlsx(), "is named as .docx but its content is an Excel workbook"),
]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.CELERY_TASK_ALWAYS_EAGER = True
    return tmp_path


def _enter(client, metric, upload, period="2023-24"):
    return client.post(reverse("metrics:enter", args=[metric.plan.slug, metric.code]), {
        "period": period, "value": "45", "version": 0, "evidence_file": upload,
    })


def _record(metric, user, name, content, period="2023-24"):
    return reading_record(metric=metric, period=period, value="45", user=user,
                          evidence_file=SimpleUploadedFile(name, content))


def _download(client, reading):
    return client.get(reverse("metrics:evidence", args=[reading.pk]))


def _body(response):
    return b"".join(response.streaming_content)


@pytest.mark.parametrize(("name", "content", "served_as"), ALLOWED)
def test_each_allowed_type_is_accepted_stored_and_served_typed_from_content(
    client, users, owned, _media, name, content, served_as
):
    client.force_login(users["steward"])
    response = _enter(client, owned, SimpleUploadedFile(name, content))
    assert response.status_code == 302, response.context["form"].errors
    reading = Reading.objects.get()
    assert reading.evidence_name == name
    assert (_media / reading.evidence_file.name).read_bytes() == content

    response = _download(client, reading)
    assert response.status_code == 200
    assert response["Content-Type"] == served_as
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert _body(response) == content


@pytest.mark.parametrize(("name", "content", "message"), HOSTILE)
def test_content_that_is_not_an_allowed_type_is_refused_next_to_the_field(
    client, users, owned, _media, name, content, message
):
    client.force_login(users["steward"])
    response = _enter(client, owned, SimpleUploadedFile(name, content))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["evidence_file"]
    assert message in str(errors["evidence_file"])
    assert f"“{name}”" in response.content.decode()
    assert not Reading.objects.exists()
    assert not any(_media.rglob("*.*"))


@pytest.mark.parametrize(("name", "content", "message"), HOSTILE[:4])
def test_every_path_refuses_the_same_way(users, owned, name, content, message):
    # The service (which the admin and the bulk paths use) runs the model's validator.
    with pytest.raises(ValidationError) as refused:
        _record(owned, users["steward"], name, content)
    assert message in " ".join(refused.value.message_dict["evidence_file"])
    # And the validator alone, as the admin's model form runs it.
    with pytest.raises(ValidationError, match="not really"):
        validate_evidence(SimpleUploadedFile(name, content))
    assert not Reading.objects.exists()


def test_the_admin_refuses_a_disguised_file(client, users, owned):
    client.force_login(users["administrator"])
    response = client.post(reverse("admin:metrics_reading_add"), {
        "metric": owned.pk, "period": "2023-24", "value": "45", "qualifier": "",
        "district": Reading._meta.get_field("district").related_model.objects.total().pk,
        "student_group":
            Reading._meta.get_field("student_group").related_model.objects.total().pk,
        "evidence_file": SimpleUploadedFile("chart.png", b"<html><body>x</body></html>"),
    })
    assert response.status_code == 200
    assert NOT_REALLY in str(response.context["adminform"].form.errors["evidence_file"])
    assert not Reading.objects.exists()


def test_size_and_extension_limits_stay(users, owned):
    with pytest.raises(ValidationError, match="at most 10 MB"):
        validate_evidence(SimpleUploadedFile("big.txt", b"x" * (10 * 1024 * 1024 + 1)))
    with pytest.raises(ValidationError, match="File extension “exe” is not allowed"):
        validate_evidence(SimpleUploadedFile("tool.exe", b"MZ"))
    with pytest.raises(ValidationError, match="empty"):
        validate_evidence(SimpleUploadedFile("empty.txt", b""))


def test_stored_names_are_random_and_say_nothing_of_the_upload(users, owned, _media):
    first = _record(owned, users["steward"], "report.pdf", PDF, period="2022-23")
    second = _record(owned, users["steward"], "report.pdf", PDF, period="2023-24")
    names = {first.evidence_file.name, second.evidence_file.name}
    assert len(names) == 2
    for name in names:
        assert name.startswith("evidence/") and name.endswith(".pdf")
        assert "report" not in name
        assert len(name.removeprefix("evidence/").removesuffix(".pdf")) == 32  # uuid4 hex
    assert first.evidence_name == second.evidence_name == "report.pdf"


def test_a_replaced_file_is_deleted_from_storage_after_commit(
    users, owned, _media, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        reading = _record(owned, users["steward"], "old.pdf", PDF)
    old = _media / reading.evidence_file.name
    assert old.exists()

    with django_capture_on_commit_callbacks(execute=True):
        reading = _record(owned, users["steward"], "new.csv", CSV)
    assert not old.exists()
    assert (_media / reading.evidence_file.name).read_bytes() == CSV
    assert reading.evidence_name == "new.csv"


def test_a_correction_without_a_new_file_keeps_the_file(
    users, owned, _media, django_capture_on_commit_callbacks
):
    reading = _record(owned, users["steward"], "old.pdf", PDF)
    with django_capture_on_commit_callbacks(execute=True):
        corrected = reading_record(metric=owned, period="2023-24", value="46",
                                   user=users["steward"])
    assert corrected.evidence_file.name == reading.evidence_file.name
    assert (_media / reading.evidence_file.name).exists()


def test_a_removed_file_and_a_deleted_reading_leave_storage(
    users, owned, _media, django_capture_on_commit_callbacks
):
    reading = _record(owned, users["steward"], "old.pdf", PDF)
    stored = _media / reading.evidence_file.name
    reading = Reading.objects.get(pk=reading.pk)
    reading.evidence_file = None
    with django_capture_on_commit_callbacks(execute=True):
        reading.save()
    assert not stored.exists() and reading.evidence_name == ""

    reading = _record(owned, users["steward"], "again.pdf", PDF, period="2022-23")
    stored = _media / reading.evidence_file.name
    with django_capture_on_commit_callbacks(execute=True):
        Reading.objects.filter(pk=reading.pk).delete()
    assert not stored.exists()


def test_a_save_that_does_not_commit_keeps_the_file(
    users, owned, _media, django_capture_on_commit_callbacks
):
    reading = _record(owned, users["steward"], "old.pdf", PDF)
    stored = _media / reading.evidence_file.name
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _record(owned, users["steward"], "new.pdf", PDF)
    assert callbacks and stored.exists()  # deleted only by the commit's callback


def test_the_type_served_comes_from_the_content_not_the_name(client, users, owned, _media):
    # Files written around the checks (a shell, a restore): the name claims text or an
    # image; the content decides, and what is none of our kinds is served as bytes.
    reading = _record(owned, users["steward"], "notes.txt", TXT)
    client.force_login(users["leadership"])
    for stored_as, content, served_as in [
        ("evidence/disguised.txt", PDF, "application/pdf"),
        ("evidence/page.png", b"<html><script>alert(1)</script>", "application/octet-stream"),
    ]:
        (_media / stored_as).write_bytes(content)
        Reading.objects.filter(pk=reading.pk).update(evidence_file=stored_as)
        response = _download(client, reading)
        assert response["Content-Type"] == served_as
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("role", ["steward", "lead", "leadership", "comms", "administrator"])
def test_every_staff_role_downloads_as_the_metric_page_allows(client, users, owned, role):
    reading = _record(owned, users["steward"], "report.pdf", PDF)
    client.force_login(users[role])
    response = _download(client, reading)
    assert response.status_code == 200 and _body(response) == PDF


def test_outsider_anonymous_and_wrong_method_are_refused(client, users, owned):
    reading = _record(owned, users["steward"], "report.pdf", PDF)
    url = reverse("metrics:evidence", args=[reading.pk])
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(
        reverse("login"))
    client.force_login(users["outsider"])
    assert client.get(url).status_code == 403
    client.force_login(users["steward"])
    assert client.post(url).status_code == 405


def test_missing_readings_and_files_are_404(client, users, owned, _media):
    client.force_login(users["steward"])
    assert client.get(reverse("metrics:evidence", args=[999999])).status_code == 404
    without = reading_record(metric=owned, period="2022-23", value="1", user=users["steward"])
    assert _download(client, without).status_code == 404
    reading = _record(owned, users["steward"], "report.pdf", PDF)
    (_media / reading.evidence_file.name).unlink()
    assert _download(client, reading).status_code == 404


@pytest.mark.parametrize(("uploaded", "offered"), [
    ("report.pdf", "report.pdf"),
    ('q3 "final"; v2.pdf', "q3 _final__ v2.pdf"),
    ("..\\..\\windows\\evil.pdf", "evil.pdf"),
    ("line\r\nbreak.txt", "linebreak.txt"),
    ("...hidden.txt", "hidden.txt"),
    (".pdf", "evidence.pdf"),
    ("Écoles – rapport.csv", "Écoles – rapport.csv"),
    ("x" * 300 + ".pdf", "x" * 146 + ".pdf"),
])
def test_the_download_name_is_the_upload_made_safe(uploaded, offered):
    assert download_name(uploaded) == offered


def test_a_non_ascii_name_is_offered_encoded(client, users, owned):
    reading = _record(owned, users["steward"], "Écoles rapport.pdf", PDF)
    client.force_login(users["steward"])
    disposition = _download(client, reading)["Content-Disposition"]
    assert disposition == "attachment; filename*=utf-8''%C3%89coles%20rapport.pdf"


def test_the_metric_page_links_the_file_through_the_view(client, users, owned):
    reading = _record(owned, users["steward"], "report.pdf", PDF)
    client.force_login(users["leadership"])
    page = client.get(reverse("metrics:metric", args=[owned.plan.slug, owned.code]))
    html = page.content.decode()
    assert f'href="{reverse("metrics:evidence", args=[reading.pk])}">evidence file</a>' in html
    assert reading.evidence_file.name not in html


def test_sniff_leaves_the_file_at_its_start():
    upload = ContentFile(PDF, name="report.pdf")
    upload.read(3)
    assert sniff(upload) == "pdf"
    assert upload.read() == PDF


def test_the_admins_clear_removes_the_file_from_storage(
    client, users, owned, _media, django_capture_on_commit_callbacks
):
    reading = _record(owned, users["steward"], "old.pdf", PDF)
    stored = _media / reading.evidence_file.name
    client.force_login(users["administrator"])
    url = reverse("admin:metrics_reading_change", args=[reading.pk])
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items()
            if name in form.fields and value is not None and name != "evidence_file"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {**data, "evidence_file-clear": "on"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    reading.refresh_from_db()
    assert not reading.evidence_file and reading.evidence_name == ""
    assert not stored.exists()
