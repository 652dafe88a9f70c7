from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """People's rights under UK GDPR: a copy of everything held about a person, erasure of
    their account, retention periods, and the privacy notice. It sits above the feature
    apps because it reads (and, on erasure, removes) what every one of them holds."""

    name = "nextpractice.privacy"
    label = "privacy"
    verbose_name = "Privacy"
