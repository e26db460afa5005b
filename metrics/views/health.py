"""/healthz: for load balancers and the compose file's health checks.

Answered without sign-in, reading no session and writing nothing, in two database
queries and at most two Redis round trips (metrics.health). 200 while nothing is down
(a warning, such as a late nightly rebuild, included), 503 when a component is down;
the JSON body names each component and its state. SECURE_REDIRECT_EXEMPT lets a probe
over plain HTTP reach it.
"""

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from .. import health as checks


@never_cache
@require_safe
def healthz(request):
    body = checks.report()
    return JsonResponse(body, status=503 if body["status"] == checks.DOWN else 200)
