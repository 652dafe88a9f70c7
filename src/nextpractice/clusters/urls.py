from django.urls import path

from . import views

urlpatterns = [
    path("new/", views.cluster_new, name="cluster_new"),
    path("<id:cluster_id>/", views.cluster_detail, name="cluster_detail"),
    path("<id:cluster_id>/agree/", views.agree, name="cluster_agree"),
    path("<id:cluster_id>/ground-rules/", views.ground_rules_edit, name="cluster_ground_rules"),
    path("<id:cluster_id>/invite/", views.invite, name="cluster_invite"),
    path("<id:cluster_id>/name/", views.rename, name="cluster_rename"),
    path("<id:cluster_id>/leave/", views.leave, name="cluster_leave"),
    path(
        "<id:cluster_id>/members/<id:user_id>/remove/",
        views.propose_removal,
        name="cluster_propose_removal",
    ),
    path(
        "<id:cluster_id>/removals/<id:proposal_id>/vote/",
        views.removal_vote,
        name="cluster_removal_vote",
    ),
    path("<id:cluster_id>/activity/", views.activity, name="cluster_activity"),
    path(
        "<id:cluster_id>/join-requests/<id:request_id>/",
        views.join_decide,
        name="cluster_join_decide",
    ),
    path("<id:cluster_id>/aims/", views.aims, name="cluster_aims"),
    path("<id:cluster_id>/aims/new/", views.aim_new, name="cluster_aim_new"),
    path("<id:cluster_id>/aims/<id:aim_id>/", views.aim_edit, name="cluster_aim_edit"),
    path("<id:cluster_id>/our-year/", views.our_year, name="cluster_our_year"),
]
