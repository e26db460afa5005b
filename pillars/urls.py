from django.urls import path

from . import views

app_name = "pillars"

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.current_dashboard, name="dashboard"),
    path("plans/<slug:plan>/", views.plan_overview, name="plan"),
    path(
        "plans/<slug:plan>/pillars/<slug:pillar>/", views.PillarDashboard.as_view(), name="pillar"
    ),
]
