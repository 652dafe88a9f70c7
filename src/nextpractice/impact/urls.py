from django.urls import path

from . import views

urlpatterns = [
    path("check-in/", views.check_in, name="check_in"),
    path("check-in/since-you-joined/", views.check_in_trend, name="check_in_trend"),
    path("clusters/<id:cluster_id>/health/", views.cluster_health, name="cluster_health"),
    path(
        "clusters/<id:cluster_id>/health/outcome/",
        views.cluster_outcome,
        name="cluster_outcome",
    ),
    path("areas/<id:area_id>/overview/", views.area_overview, name="area_overview"),
    path("areas/<id:area_id>/check-ins/", views.area_check_ins, name="area_check_ins"),
    path(
        "areas/<id:area_id>/check-ins/date/",
        views.area_check_in_date,
        name="area_check_in_date",
    ),
    path("areas/<id:area_id>/impact/", views.area_impact, name="area_impact"),
    path("areas/<id:area_id>/impact.csv", views.area_impact_csv, name="area_impact_csv"),
    path("research/impact/", views.research_impact, name="research_impact"),
    path("research/impact.csv", views.research_impact_csv, name="research_impact_csv"),
]
