from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "nextpractice.audit"
    label = "audit"
    verbose_name = "Audit"
