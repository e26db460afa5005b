"""Evidence files: what kind a file is, judged from its content, and the one check
every upload path runs (the model field's validator, so the entry form, the admin
and the shell refuse the same way).

The kind is read from the bytes (magic numbers, the parts inside a ZIP, UTF-8 text),
never from the name: a name says only what a file claims to be. No library: the
seven kinds we accept are told apart in a few lines, and python-magic would need
the system's libmagic in every image.
"""

import codecs
import os
import re
import unicodedata
import uuid
import zipfile

from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.db import transaction

EVIDENCE_MAX_BYTES = 10 * 1024 * 1024

# kind -> (content type served, file name extensions a file of that kind may carry)
KINDS = {
    "pdf": ("application/pdf", ("pdf",)),
    "png": ("image/png", ("png",)),
    "jpeg": ("image/jpeg", ("jpg", "jpeg")),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             ("docx",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ("xlsx",)),
    # CSV is text: both are served as plain text, whatever the name says.
    "text": ("text/plain; charset=utf-8", ("csv", "txt")),
}
KIND_LABELS = {"pdf": "a PDF", "png": "a PNG image", "jpeg": "a JPEG image",
               "docx": "a Word document", "xlsx": "an Excel workbook", "text": "text"}
EVIDENCE_EXTENSIONS = [ext for _, exts in KINDS.values() for ext in exts]
# What is served when a stored file is none of our kinds (one written around the checks).
UNKNOWN_CONTENT_TYPE = "application/octet-stream"
ACCEPTED = "a PDF, PNG or JPEG image, CSV, XLSX, DOCX or text file"

_extension_validator = FileExtensionValidator(EVIDENCE_EXTENSIONS)
_CHUNK = 64 * 1024
# Text that a browser would take for a page or a script is not evidence.
_MARKUP = re.compile(rb"^\s*<(!doctype|html|head|body|script|svg|\?xml|iframe|object)\b", re.I)


def sniff(file):
    """The kind of `file` (a key of KINDS) read from its content, or None.

    `file` is any seekable binary file (an upload, a FieldFile, an open storage
    file); it is left at its start.
    """
    file.seek(0)
    try:
        head = file.read(8)
        if head.startswith(b"%PDF-"):
            return "pdf"
        if head == b"\x89PNG\r\n\x1a\n":
            return "png"
        if head.startswith(b"\xff\xd8\xff"):
            return "jpeg"
        if head.startswith(b"PK\x03\x04"):
            return _office_kind(file)
        return "text" if _is_text(file) else None
    finally:
        file.seek(0)


def _office_kind(file):
    """docx or xlsx from the part names of an Office Open XML package (the central
    directory only: nothing is decompressed); None for any other ZIP."""
    file.seek(0)
    try:
        names = zipfile.ZipFile(file).namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if "[Content_Types].xml" not in names or any(
        name.lower().endswith("vbaproject.bin") for name in names  # macros: docm/xlsm
    ):
        return None
    if any(name.startswith("word/") for name in names):
        return "docx"
    if any(name.startswith("xl/") for name in names):
        return "xlsx"
    return None


def _is_text(file):
    """UTF-8 (a BOM allowed) without NUL bytes, and not markup a browser would run."""
    file.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    first = True
    while chunk := file.read(_CHUNK):
        if b"\x00" in chunk or (first and _MARKUP.match(chunk.removeprefix(codecs.BOM_UTF8))):
            return False
        first = False
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError:
            return False
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def content_type(kind):
    """The Content-Type a file of `kind` is served with."""
    return KINDS[kind][0] if kind in KINDS else UNKNOWN_CONTENT_TYPE


def validate_evidence(file):
    """The one check of an evidence file: its extension, its size, and that its content
    is the kind its name claims. A file already stored (checked when it came in) is
    not read again."""
    if getattr(file, "_committed", False):
        return
    _extension_validator(file)
    validate_evidence_size(file)
    if not file.size:
        raise ValidationError("The evidence file is empty.", code="empty")
    name = os.path.basename(file.name or "")
    extension = extension_of(name)
    kind = sniff(file)
    if kind is None:
        raise ValidationError(
            "“%(name)s” is not really %(accepted)s: its content is of another kind (a web "
            "page, a program or an archive, for example). Upload the document itself.",
            code="evidence_content", params={"name": name, "accepted": ACCEPTED},
        )
    if extension not in KINDS[kind][1]:
        raise ValidationError(
            "“%(name)s” is named as .%(extension)s but its content is %(kind)s: rename it "
            ".%(right)s and upload it again.",
            code="evidence_mismatch",
            params={"name": name, "extension": extension, "kind": KIND_LABELS[kind],
                    "right": KINDS[kind][1][0]},
        )


def validate_evidence_size(file):
    if file.size > EVIDENCE_MAX_BYTES:
        raise ValidationError(
            "The evidence file is %(size)s MB; at most 10 MB is accepted.",
            code="file_too_large", params={"size": f"{file.size / 1024 / 1024:.1f}"},
        )


def extension_of(name):
    return os.path.splitext(name)[1].lstrip(".").lower()


def evidence_upload_to(instance, filename):
    """A random stored name (`evidence/<uuid4 hex>.<ext>`): nothing of the user's file
    name reaches the storage's paths; the original is kept in `evidence_name`."""
    extension = extension_of(filename)
    return f"evidence/{uuid.uuid4().hex}.{extension if extension in EVIDENCE_EXTENSIONS else 'bin'}"


def download_name(name, *, fallback="evidence"):
    """`name` made safe as a download's file name: no folders, no control characters
    or characters file systems refuse, no leading dots, at most 150 characters."""
    name = unicodedata.normalize("NFC", re.split(r"[\\/]", name or "")[-1])
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r'[<>:"|?*;]', "_", name)
    stem, dot, extension = re.sub(r"\s+", " ", name).strip().rpartition(".")
    if not dot:
        stem, extension = extension, ""
    extension = extension.strip()[:10]
    stem = stem.strip().lstrip(".").strip()[: 150 - len(extension) - 1].strip() or fallback
    return f"{stem}.{extension}" if extension else stem


def delete_on_commit(storage, name):
    """Delete a stored file once the transaction that stopped using it has committed
    (a rolled-back save keeps its file)."""
    if name:
        transaction.on_commit(lambda: storage.delete(name), robust=True)
