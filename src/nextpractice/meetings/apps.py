from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "nextpractice.meetings"
    verbose_name = "Meetings"
