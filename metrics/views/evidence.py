"""Evidence files, served: the same access as the metric page, always as an attachment,
typed from the file's content (metrics/evidence.py `sniff`), never from its name."""

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from .. import access
from ..evidence import content_type, sniff
from ..models import Reading


@require_safe
@access.staff_required
def evidence_download(request, pk):
    reading = get_object_or_404(Reading.objects.select_related("metric"), pk=pk)
    if not reading.evidence_file:
        raise Http404("This reading has no evidence file.")
    try:
        handle = reading.evidence_file.storage.open(reading.evidence_file.name, "rb")
    except (FileNotFoundError, OSError):
        raise Http404("The evidence file is no longer stored.") from None
    response = FileResponse(
        handle, as_attachment=True, filename=reading.evidence_download_name,
        content_type=content_type(sniff(handle)),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
