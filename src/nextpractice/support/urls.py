from django.urls import path

from . import views

urlpatterns = [
    path("clusters/<int:cluster_id>/help/", views.help_list, name="help_list"),
    path("clusters/<int:cluster_id>/help/new/", views.help_new, name="help_new"),
    path("help/<int:help_id>/", views.help_detail, name="help_detail"),
    path("help/<int:help_id>/reply/", views.help_reply, name="help_reply"),
    path("help/<int:help_id>/resolve/", views.help_resolve, name="help_resolve"),
    path("been-through/", views.experiences, name="experiences"),
    path("clusters/<int:cluster_id>/successes/", views.successes, name="successes"),
    path("achievements/", views.achievements, name="achievements"),
    path("clusters/<int:cluster_id>/research/", views.research_list, name="research_list"),
    path("research/<int:piece_id>/", views.research_detail, name="research_detail"),
    path("research/<int:piece_id>/agenda/", views.research_to_agenda, name="research_to_agenda"),
    path("clusters/<int:cluster_id>/ideas/", views.idea_list, name="idea_list"),
    path("ideas/<int:idea_id>/", views.idea_detail, name="idea_detail"),
    path("clusters/<int:cluster_id>/events/", views.event_list, name="event_list"),
    path("events/<int:event_id>/", views.event_detail, name="event_detail"),
    path("events/<int:event_id>/numbers/", views.event_numbers, name="event_numbers"),
    path("events/<int:event_id>/tasks/", views.event_task, name="event_task"),
    path("clusters/<int:cluster_id>/funding/", views.funding_list, name="funding_list"),
    path("funding/<int:funding_id>/applying/", views.funding_applying, name="funding_applying"),
    path("clusters/<int:cluster_id>/search/", views.cluster_search, name="cluster_search"),
    path("cpd/", views.cpd, name="cpd"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/settings/", views.notification_prefs, name="notification_prefs"),
]
