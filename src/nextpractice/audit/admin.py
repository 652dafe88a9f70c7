from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from nextpractice.core.admin import ClusterContentAdmin

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(ClusterContentAdmin):
    list_display = ["created_at", "verb", "object_type", "object_id", "summary"]
    list_filter = ["verb"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the trail is read-only
