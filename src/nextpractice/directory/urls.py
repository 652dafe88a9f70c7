from django.urls import path

from . import views

urlpatterns = [
    path("profile/", views.profile_edit, name="profile_edit"),
    path("my-setting/", views.setting_edit, name="setting_edit"),
    path("my-setting/claim/", views.setting_claim, name="setting_claim"),
    path("areas/<id:area_id>/", views.area_directory, name="area_directory"),
    path("areas/<id:area_id>/import/", views.area_import, name="area_import"),
    path(
        "areas/<id:area_id>/import/<id:import_id>/",
        views.area_import_job,
        name="area_import_job",
    ),
    path("areas/<id:area_id>/invite/", views.area_invite, name="area_invite"),
    path(
        "areas/<id:area_id>/invite/settings/",
        views.area_invite_settings,
        name="area_invite_settings",
    ),
    path("areas/<id:area_id>/invite/upload/", views.area_invite_upload, name="area_invite_upload"),
    path(
        "areas/<id:area_id>/claims/<id:claim_id>/",
        views.area_claim_decide,
        name="area_claim_decide",
    ),
]
