from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Next Practice administration"
admin.site.site_title = "Next Practice admin"

urlpatterns = [
    path("", include("nextpractice.site.urls")),
    path("clusters/", include("nextpractice.clusters.urls")),
    path("", include("nextpractice.directory.urls")),
    path("", include("nextpractice.formation.urls")),
    path("", include("nextpractice.meetings.urls")),
    path("", include("nextpractice.reviews.urls")),
    path("", include("nextpractice.support.urls")),
    path("", include("nextpractice.impact.urls")),
    path("", include("nextpractice.privacy.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]

# Django's own 500 page is drawn without the request: this one keeps the signed-in header.
handler500 = "nextpractice.core.errors.server_error"
