from django.apps import AppConfig


class FormationConfig(AppConfig):
    name = "nextpractice.formation"
    label = "formation"
    verbose_name = "Formation rounds"
