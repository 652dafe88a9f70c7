from django.contrib import admin

from .models import CheckInSchedule, Item, Questionnaire


class ItemInline(admin.TabularInline):
    model = Item
    extra = 0


@admin.register(Questionnaire)
class QuestionnaireAdmin(admin.ModelAdmin):
    """Items are data: a new version with one more item needs no code change. Answers keep
    the version they were given to, so edit a new version rather than one in use."""

    inlines = [ItemInline]
    list_display = ["version", "area", "created_at"]


@admin.register(CheckInSchedule)
class CheckInScheduleAdmin(admin.ModelAdmin):
    list_display = ["area", "weeks_into_term"]
