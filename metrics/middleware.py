"""Refuse a request body larger than MAX_REQUEST_BYTES before anything reads it.

Django caps form fields (DATA_UPLOAD_MAX_MEMORY_SIZE) but streams uploaded files to disk
whatever their size, so a 200 MB body was read in full before the import refused it.
The biggest thing a person sends is a 20 MB spreadsheet (metrics/imports); the limit
sits a little above it. The proxy in front should refuse earlier still (README).
"""

from django.conf import settings
from django.template.response import TemplateResponse


class RequestBodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads such a body as empty
        if length > settings.MAX_REQUEST_BYTES:
            response = TemplateResponse(
                request, "413.html",
                {"limit_mb": settings.MAX_REQUEST_BYTES // (1024 * 1024),
                 "size_mb": f"{length / 1024 / 1024:.1f}"},
                status=413,
            )
            response["Connection"] = "close"  # the rest of the body is never read
            return response.render()
        return self.get_response(request)
