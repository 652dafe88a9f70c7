from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "nextpractice.support"
    verbose_name = "Between meetings"
