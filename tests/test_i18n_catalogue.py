"""The Spanish catalogue is complete, well formed, and what the server loads.

The compiled ``.mo`` files are committed, so ``make run`` needs only Python; these tests
check in pure Python (polib) that they match the ``.po`` sources, and with GNU gettext,
where it is installed (``.ci/run`` installs it), that every string marked in the code is in
the catalogue and that ``msgfmt --check-format`` finds nothing. Marking a string without
translating it fails here: that is intended (README.md, "Languages", says how to add one).
"""

import shutil
import subprocess
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test.utils import override_settings

from .conftest import require_service

LOCALE = Path(settings.BASE_DIR) / "locale"
LANGUAGES = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
# What the app's own code and templates hold (migrations carry no marked strings).
SOURCES = ("lacoe_kpi", "metrics", "pillars", "reports", "templates")
# A msgstr may equal its msgid only for these: names, abbreviations and codes that Spanish
# writes the same way. Anything else equal to its msgid is an entry somebody forgot.
SAME_IN_SPANISH = {
    "PDF", "CSV", "XLSX", "DOCX", "API", "OpenAPI", "LACOE KPI", "LCAP", "CDE", "Excel",
    "Word", "PowerPoint", "Plan", "Total", "Error", "Normal", "no",
}


def catalogue(language):
    return LOCALE / language / "LC_MESSAGES" / "django.po"


def key(entry):
    return (entry.msgctxt or "", entry.msgid, entry.msgid_plural or "")


@pytest.fixture(params=LANGUAGES)
def po(request):
    path = catalogue(request.param)
    assert path.exists(), f"{path} is missing: run `manage.py makemessages -l {request.param}`"
    return polib.pofile(str(path))


def test_every_entry_is_translated_and_none_is_fuzzy(po):
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert not untranslated, f"untranslated in {po.fpath}: {untranslated[:20]}"
    assert not fuzzy, f"fuzzy (check, then drop the flag) in {po.fpath}: {fuzzy[:20]}"


def test_no_translation_is_the_english_left_as_it_was(po):
    same = [
        e.msgid for e in po.translated_entries()
        if e.msgid not in SAME_IN_SPANISH and (
            e.msgstr == e.msgid
            or (e.msgid_plural and e.msgstr_plural.get(0) == e.msgid)
        )
    ]
    assert not same, f"msgstr equal to msgid in {po.fpath}: {same[:20]}"


def test_the_plural_rule_is_the_spanish_one(po):
    # Spanish has two forms, one for 1 and one for everything else (CLDR plural rules).
    assert po.metadata["Plural-Forms"].replace(" ", "") == "nplurals=2;plural=(n!=1);"
    assert po.metadata["Language"] == Path(po.fpath).parts[-3]


def test_the_compiled_catalogue_matches_its_source(po):
    """What the server loads (.mo) says exactly what the committed .po says."""
    mo_path = Path(po.fpath).with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path} is missing: run `manage.py compilemessages`"
    compiled = {key(e): (e.msgstr, e.msgstr_plural) for e in polib.mofile(str(mo_path))
                if e.msgid}
    source = {key(e): (e.msgstr, {int(k): v for k, v in e.msgstr_plural.items()})
              for e in po.translated_entries()}
    compiled = {k: (s, {int(n): v for n, v in p.items()}) for k, (s, p) in compiled.items()}
    stale = sorted(k[1] for k in source.keys() ^ compiled.keys())
    changed = sorted(k[1] for k in source.keys() & compiled.keys() if source[k] != compiled[k])
    assert not stale and not changed, (
        f"{mo_path} does not match {po.fpath}: run `manage.py compilemessages` "
        f"(differs: {(stale + changed)[:20]})"
    )


def test_msgfmt_finds_no_format_error(po):
    msgfmt = shutil.which("msgfmt")
    require_service(msgfmt, "GNU gettext's msgfmt is absent (`apt-get install gettext`)")
    result = subprocess.run(  # noqa: S603 - a fixed command on our own file
        [msgfmt, "--check-format", "--check-header", "-o", "/dev/null", po.fpath],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr


def test_every_string_marked_in_the_code_is_in_the_catalogue(po, tmp_path, monkeypatch):
    """makemessages on a copy of the sources: nothing it finds is missing from ours."""
    require_service(shutil.which("xgettext"),
                    "GNU gettext's xgettext is absent (`apt-get install gettext`)")
    root = Path(settings.BASE_DIR)
    for name in SOURCES:
        shutil.copytree(root / name, tmp_path / name,
                        ignore=shutil.ignore_patterns("migrations", "__pycache__", "*.pyc",
                                                      "static", "fixtures"))
    language = Path(po.fpath).parts[-3]
    (tmp_path / "locale" / language / "LC_MESSAGES").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    with override_settings(LOCALE_PATHS=[tmp_path / "locale"]):
        call_command("makemessages", locale=[language], verbosity=0, no_obsolete=True)
    found = polib.pofile(str(tmp_path / "locale" / language / "LC_MESSAGES" / "django.po"))
    ours = {key(e) for e in po if not e.obsolete}
    missing = sorted({key(e) for e in found} - ours)
    assert not missing, (
        f"marked in the code but not in {po.fpath} (run `manage.py makemessages -l "
        f"{language}`, translate, `manage.py compilemessages`): {missing[:20]}"
    )
