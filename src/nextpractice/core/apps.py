from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "nextpractice.core"
    label = "core"
    verbose_name = "Core"
