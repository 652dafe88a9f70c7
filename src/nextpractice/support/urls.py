from django.urls import path

from . import views

urlpatterns = [
    path("clusters/<id:cluster_id>/help/", views.help_list, name="help_list"),
    path("clusters/<id:cluster_id>/help/new/", views.help_new, name="help_new"),
    path("help/<id:help_id>/", views.help_detail, name="help_detail"),
    path("help/<id:help_id>/reply/", views.help_reply, name="help_reply"),
    path("help/<id:help_id>/resolve/", views.help_resolve, name="help_resolve"),
    path("been-through/", views.experiences, name="experiences"),
    path("clusters/<id:cluster_id>/successes/", views.successes, name="successes"),
    path("achievements/", views.achievements, name="achievements"),
    path("clusters/<id:cluster_id>/research/", views.research_list, name="research_list"),
    path("research/<id:piece_id>/", views.research_detail, name="research_detail"),
    path("research/<id:piece_id>/agenda/", views.research_to_agenda, name="research_to_agenda"),
    path("clusters/<id:cluster_id>/ideas/", views.idea_list, name="idea_list"),
    path("ideas/<id:idea_id>/", views.idea_detail, name="idea_detail"),
    path("clusters/<id:cluster_id>/events/", views.event_list, name="event_list"),
    path("events/<id:event_id>/", views.event_detail, name="event_detail"),
    path("events/<id:event_id>/numbers/", views.event_numbers, name="event_numbers"),
    path("events/<id:event_id>/tasks/", views.event_task, name="event_task"),
    path("events/<id:event_id>/edit/", views.event_edit, name="event_edit"),
    path("events/<id:event_id>/cancel/", views.event_cancel, name="event_cancel"),
    path("clusters/<id:cluster_id>/funding/", views.funding_list, name="funding_list"),
    path("funding/<id:funding_id>/applying/", views.funding_applying, name="funding_applying"),
    path("clusters/<id:cluster_id>/search/", views.cluster_search, name="cluster_search"),
    path("cpd/", views.cpd, name="cpd"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/settings/", views.notification_prefs, name="notification_prefs"),
]
