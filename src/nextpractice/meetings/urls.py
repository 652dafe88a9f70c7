from django.urls import path

from . import views

urlpatterns = [
    path("clusters/<id:cluster_id>/meetings/", views.year, name="meetings_year"),
    path("clusters/<id:cluster_id>/meetings/plan/", views.plan, name="meetings_plan"),
    path(
        "clusters/<id:cluster_id>/meetings/plan/<id:plan_id>/confirm/",
        views.plan_confirm,
        name="meetings_plan_confirm",
    ),
    path("clusters/<id:cluster_id>/meetings/new/", views.meeting_new, name="meeting_new"),
    path("meetings/<id:meeting_id>/", views.meeting_detail, name="meeting_detail"),
    path("meetings/<id:meeting_id>/edit/", views.meeting_edit, name="meeting_edit"),
    path("meetings/<id:meeting_id>/cancel/", views.meeting_cancel, name="meeting_cancel"),
    path("meetings/<id:meeting_id>/respond/", views.respond, name="meeting_respond"),
    path("meetings/<id:meeting_id>/items/", views.item_add, name="meeting_item_add"),
    path(
        "meetings/<id:meeting_id>/items/<id:item_id>/move/",
        views.item_move,
        name="meeting_item_move",
    ),
    path(
        "meetings/<id:meeting_id>/items/<id:item_id>/merge/",
        views.item_merge,
        name="meeting_item_merge",
    ),
    path(
        "meetings/<id:meeting_id>/items/<id:item_id>/time/",
        views.item_time,
        name="meeting_item_time",
    ),
    path(
        "meetings/<id:meeting_id>/items/<id:item_id>/record/",
        views.item_record,
        name="meeting_item_record",
    ),
    path("meetings/<id:meeting_id>/notes/", views.note_add, name="meeting_note_add"),
    path("meetings/<id:meeting_id>/notes/draft/", views.note_draft, name="meeting_note_draft"),
    path("meetings/<id:meeting_id>/actions/", views.action_add, name="meeting_action_add"),
    path("meetings/<id:meeting_id>/publish/", views.publish, name="meeting_publish"),
    path("meetings/<id:meeting_id>/register/", views.register, name="meeting_register"),
    path("meetings/<id:meeting_id>/roles/", views.roles, name="meeting_roles"),
    path("meetings/<id:meeting_id>/calendar.ics", views.meeting_ics, name="meeting_ics"),
    path("actions/", views.my_actions, name="my_actions"),
    path("actions/<id:action_id>/", views.action_update, name="action_update"),
    path("calendar/<token:feed_token>.ics", views.feed, name="calendar_feed"),
    path("account/calendar/", views.calendar_token, name="calendar_token"),
    path("areas/<id:area_id>/term-dates/", views.term_dates, name="area_term_dates"),
    path(
        "areas/<id:area_id>/term-dates/confirm/",
        views.term_dates_confirm,
        name="area_term_dates_confirm",
    ),
    path(
        "areas/<id:area_id>/term-dates/<id:holiday_id>/delete/",
        views.term_dates_delete,
        name="area_term_dates_delete",
    ),
]
