from django.urls import path

from . import views

urlpatterns = [
    path("find-a-cluster/", views.find_cluster, name="find_cluster"),
    path("rounds/<id:round_id>/opt-in/", views.opt_in, name="formation_opt_in"),
    path(
        "areas/<id:area_id>/rounds/<id:round_id>/invite/",
        views.round_invite,
        name="formation_invite",
    ),
    path("areas/<id:area_id>/rounds/", views.rounds, name="formation_rounds"),
    path("areas/<id:area_id>/rounds/<id:round_id>/", views.round_detail, name="formation_round"),
    path(
        "areas/<id:area_id>/rounds/<id:round_id>/progress/",
        views.round_progress,
        name="formation_progress",
    ),
    path("areas/<id:area_id>/rounds/<id:round_id>/run/", views.round_run, name="formation_run"),
    path("areas/<id:area_id>/rounds/<id:round_id>/move/", views.round_move, name="formation_move"),
    path(
        "areas/<id:area_id>/rounds/<id:round_id>/groups/<index:group>/lock/",
        views.round_lock,
        name="formation_lock",
    ),
    path(
        "areas/<id:area_id>/rounds/<id:round_id>/publish/confirm/",
        views.round_publish_confirm,
        name="formation_publish_confirm",
    ),
    path(
        "areas/<id:area_id>/rounds/<id:round_id>/publish/",
        views.round_publish,
        name="formation_publish",
    ),
    path(
        "areas/<id:area_id>/rounds/<id:round_id>/wishes/", views.round_wish, name="formation_wish"
    ),
    path(
        "areas/<id:area_id>/rounds/<id:round_id>/wishes/<id:wish_id>/delete/",
        views.round_wish_delete,
        name="formation_wish_delete",
    ),
]
