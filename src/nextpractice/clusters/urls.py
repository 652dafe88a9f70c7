from django.urls import path

from . import views

urlpatterns = [
    path("new/", views.cluster_new, name="cluster_new"),
    path("<int:cluster_id>/", views.cluster_detail, name="cluster_detail"),
    path("<int:cluster_id>/agree/", views.agree, name="cluster_agree"),
    path("<int:cluster_id>/ground-rules/", views.ground_rules_edit, name="cluster_ground_rules"),
    path("<int:cluster_id>/invite/", views.invite, name="cluster_invite"),
    path("<int:cluster_id>/leave/", views.leave, name="cluster_leave"),
    path(
        "<int:cluster_id>/members/<int:user_id>/remove/",
        views.propose_removal,
        name="cluster_propose_removal",
    ),
    path(
        "<int:cluster_id>/removals/<int:proposal_id>/vote/",
        views.removal_vote,
        name="cluster_removal_vote",
    ),
    path("<int:cluster_id>/activity/", views.activity, name="cluster_activity"),
    path(
        "<int:cluster_id>/join-requests/<int:request_id>/",
        views.join_decide,
        name="cluster_join_decide",
    ),
]
