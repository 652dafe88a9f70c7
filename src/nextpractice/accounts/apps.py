from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "nextpractice.accounts"
    label = "accounts"
    verbose_name = "Accounts"
