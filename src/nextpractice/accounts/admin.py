from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from nextpractice.audit.admin import ClusterContentAdmin

from .models import Invitation, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_staff", "is_researcher", "is_active"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("full_name", "is_researcher")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(Invitation)
class InvitationAdmin(ClusterContentAdmin):
    # Who is invited to which cluster is the cluster's business: superusers only, logged.
    list_display = ["email", "cluster", "created_at", "expires_at", "used_at", "declined_at"]
    readonly_fields = ["token_hash"]
