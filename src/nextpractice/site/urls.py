from django.urls import path

from . import account, views

urlpatterns = [
    path("", views.home, name="home"),
    path("research/", views.research, name="research"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("join/<token:token>/", account.join, name="join"),
    path("account/", account.account, name="account"),
]
