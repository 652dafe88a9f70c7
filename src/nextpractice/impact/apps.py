from django.apps import AppConfig


class ImpactConfig(AppConfig):
    name = "nextpractice.impact"
    label = "impact"
    verbose_name = "Impact: check-ins and figures"
