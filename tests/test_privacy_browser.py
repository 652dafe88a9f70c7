"""Deleting one's account in a real browser: told first, asked for the word, axe-checked."""

from __future__ import annotations

from typing import Any

import pytest

from nextpractice.accounts.models import User

from .test_browser import _session_cookie, check
from .test_browser import journey_world as journey_world

pytestmark = pytest.mark.browser


def test_a_leader_is_told_what_deletion_does_and_must_type_the_word(
    live_server: Any, page: Any, journey_world: dict[str, Any]
) -> None:
    ben = journey_world["ben"]
    page.context.add_cookies([_session_cookie(live_server, ben)])
    page.goto(live_server.url + "/account/")
    page.get_by_role("link", name="Delete my account").click()
    assert "a former member" in page.locator("main").inner_text()
    page.get_by_label("To confirm, type the word delete").fill("yes")
    page.get_by_role("button", name="Delete my account").click()
    assert "There is a problem" in page.get_by_role("alert").inner_text()
    check(page, "94-delete-my-account-error")
    assert User.objects.get(pk=ben.pk).is_active  # nothing happened
    page.get_by_label("To confirm, type the word delete").fill("delete")
    page.get_by_role("button", name="Delete my account").click()
    page.get_by_role("heading", name="Your account has been deleted").wait_for()
    check(page, "95-account-deleted")
    assert not User.objects.get(pk=ben.pk).is_active
    page.goto(live_server.url + "/account/")
    assert "/accounts/login/" in page.url  # signed out
