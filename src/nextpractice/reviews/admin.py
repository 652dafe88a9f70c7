from django.contrib import admin

from .models import Checklist, ChecklistItem


class ItemInline(admin.TabularInline):
    model = ChecklistItem
    extra = 1


@admin.register(Checklist)
class ChecklistAdmin(admin.ModelAdmin):
    """Website checklists are data: admins keep them in step with the statutory lists."""

    inlines = [ItemInline]
    list_display = ["name", "applies_to"]
