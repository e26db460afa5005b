"""/api/v1/: the read-only API, its OpenAPI 3 schema and its documentation page."""

from django.urls import include, path
from drf_spectacular.renderers import OpenApiJsonRenderer, OpenApiYamlRenderer
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import routers

from . import schema, views  # noqa: F401 - schema registers the token scheme

app_name = "api"

router = routers.SimpleRouter()
router.include_format_suffixes = False
router.register("plans", views.PlanViewSet, basename="plan")
router.register("pillars", views.PillarViewSet, basename="pillar")
router.register("priority-areas", views.PriorityAreaViewSet, basename="priority_area")
router.register("goals", views.GoalViewSet, basename="goal")
router.register("metrics", views.MetricViewSet, basename="metric")
router.register("readings", views.ReadingViewSet, basename="reading")
router.register("aggregates", views.AggregateViewSet, basename="aggregate")
router.register("analytics", views.AnalyticsViewSet, basename="analytics")

urlpatterns = [
    # JSON first: a browser shows it (the YAML default would be a download); ?format=yaml.
    path("schema/", SpectacularAPIView.as_view(
        renderer_classes=[OpenApiJsonRenderer, OpenApiYamlRenderer]), name="schema"),
    # The split view serves its start-up script as a file: no inline script under our CSP.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema",
                                                      template_name="api/docs.html"),
         name="docs"),
    path("", include(router.urls)),
]
