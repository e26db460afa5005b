"""The narrative highlights of a fixtures folder (`highlights-*.yaml`), loaded with its plan.

`manage.py load_plan fixtures/lacoe` loads the plan and its figures (metrics/loading.py),
then sends `directory_loaded`; ReportsConfig.ready connects `on_directory_loaded`, so that
metrics never imports reports. Each entry becomes one Highlight (a pillar's, or the
introduction's when `pillar` is null) through services.highlight_save, inside the same
transaction; an unchanged body is left as it is (no new history row). The file's shape and
its placement rule are written at the top of fixtures/lacoe/highlights-2023-24.yaml.
"""

import re
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError

from metrics.loading import LoadError
from metrics.translated_content import TRANSLATION_FILE

from . import selectors, services

HIGHLIGHTS_GLOB = "highlights-*.yaml"
_MARKDOWN_CHARS = re.compile(r"([\\`*_\[\]<>])")
_BLOCK_START = re.compile(r"^(#|[-+>]\s|\d+[.)]\s)")


def on_directory_loaded(sender, *, plan, path, **kwargs):
    load_directory(path, plan)
    translated = Path(path) / TRANSLATION_FILE
    if translated.exists():
        load_spanish_highlights(_read(translated), plan, where=translated.name)


def _read(file):
    try:
        return yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise LoadError(f"{file}: {exc}") from exc


def load_directory(path, plan):
    """Load every highlights-*.yaml of `path` into `plan`; return how many were written."""
    written = 0
    for file in sorted(Path(path).glob(HIGHLIGHTS_GLOB)):
        written += load_highlights(_read(file), plan, where=file.name)
    return written


def load_spanish_highlights(data, plan, where=TRANSLATION_FILE):
    """The Spanish version of a year's highlights (the translation file's `highlights`:
    `school_year` and `entries` shaped as a highlights file's, pillar by pillar).
    Each entry must already have its English highlight: a translation of nothing is
    refused. Returns how many were written."""
    spec = data.get("highlights")
    if not spec:
        return 0
    year = str(spec["school_year"])
    pillars = {p.slug: p for p in plan.pillars.all()}
    existing = selectors.highlights(plan, year)
    written = 0
    for entry in spec.get("entries", []):
        slug = entry.get("pillar")
        if slug is not None and slug not in pillars:
            raise LoadError(f"{where}: no pillar {slug!r} in {plan.slug}.")
        pillar = pillars.get(slug)
        current = existing.get(pillar.pk if pillar else None)
        if current is None:
            raise LoadError(f"{where}, {slug or 'introduction'}: no English highlights for "
                            f"{year} to translate.")
        body = to_markdown(entry["blocks"])
        if current.body_es == body:
            continue
        try:
            services.highlight_save(plan=plan, pillar=pillar, school_year=year, body_es=body,
                                    user=None)
        except ValidationError as exc:
            raise LoadError(f"{where}, {slug or 'introduction'}: {exc.messages}") from exc
        written += 1
    return written


def load_highlights(data, plan, where="highlights"):
    if data.get("plan") != plan.slug:
        raise LoadError(f"{where}: written for plan {data.get('plan')!r}, not {plan.slug!r}.")
    year = str(data["school_year"])
    pillars = {p.slug: p for p in plan.pillars.all()}
    existing = selectors.highlights(plan, year)
    written = 0
    for entry in data.get("highlights", []):
        slug = entry.get("pillar")
        if slug is not None and slug not in pillars:
            raise LoadError(f"{where}: no pillar {slug!r} in {plan.slug}.")
        pillar = pillars.get(slug)
        body = to_markdown(entry["blocks"])
        current = existing.get(pillar.pk if pillar else None)
        if current is not None and current.body_en == body:
            continue
        try:
            services.highlight_save(plan=plan, pillar=pillar, school_year=year, body=body,
                                    user=None)
        except ValidationError as exc:
            raise LoadError(f"{where}, {slug or 'introduction'}: {exc.messages}") from exc
        written += 1
    return written


def join(text):
    """A paragraph from its fragments: a space between them, none after a hyphen that
    broke a word at a line end ("2023-" + "24")."""
    if isinstance(text, str):
        return text
    out = ""
    for piece in text:
        out += piece if not out or out.endswith("-") else " " + piece
    return out


def texts(blocks):
    """Every text of `blocks` as printed (fragments separately), for the honesty test."""
    for block in blocks:
        if isinstance(block, str):
            yield block
        elif isinstance(block, list):
            yield from block
        elif "heading" in block:
            yield block["heading"]
        elif "lead" in block:
            yield block["lead"]
            yield from texts([block["text"]])
        else:
            yield from texts(block["list"])


def _escape(text):
    text = _MARKDOWN_CHARS.sub(r"\\\1", text)
    return "\\" + text if _BLOCK_START.match(text) else text


def to_markdown(blocks):
    """The blocks of one entry as the Markdown body of a Highlight."""
    parts = []
    for block in blocks:
        if isinstance(block, (str, list)):
            parts.append(_escape(join(block)))
        elif "heading" in block:
            parts.append("### " + _escape(block["heading"]))
        elif "lead" in block:
            parts.append(f"**{_escape(block['lead'])}** {_escape(join(block['text']))}")
        elif "list" in block:
            parts.append("\n".join("- " + _escape(join(item)) for item in block["list"]))
        else:
            raise LoadError(f"Unknown highlight block {sorted(block)}.")
    return "\n\n".join(parts)
