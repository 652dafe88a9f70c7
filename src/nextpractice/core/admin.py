from __future__ import annotations

from django.contrib import admin

from nextpractice.audit.admin import ClusterContentAdmin

from .models import OutboundEmail


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ClusterContentAdmin):
    list_display = ["created_at", "subject", "sent_at", "attempts"]
    exclude = ["body"]
