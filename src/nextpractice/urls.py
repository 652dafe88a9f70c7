from django.contrib import admin
from django.urls import include, path

from nextpractice.site import views as site_views

admin.site.site_header = "Next Practice administration"
admin.site.site_title = "Next Practice admin"

urlpatterns = [
    path("", site_views.home, name="home"),
    path("research/", site_views.research, name="research"),
    path("healthz", site_views.healthz, name="healthz"),
    path("clusters/", include("nextpractice.clusters.urls")),
    path("", include("nextpractice.accounts.urls")),
    path("", include("nextpractice.directory.urls")),
    path("", include("nextpractice.formation.urls")),
    path("", include("nextpractice.meetings.urls")),
    path("", include("nextpractice.reviews.urls")),
    path("", include("nextpractice.support.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]
