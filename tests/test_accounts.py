"""Signing in: by emailed code or password, invitations, rate limits, sessions, two-step."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import hotp_value, yield_hotp_counters_from_time
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from nextpractice.accounts.models import Invitation, User
from nextpractice.clusters import services
from nextpractice.clusters.models import Membership
from nextpractice.core import mail as outbox
from nextpractice.directory.models import LeaderProfile, Topic, Value

from .conftest import TOTP_SECRET, Cast, client_for


@pytest.fixture(autouse=True)
def _fresh_rate_limits(db: Any) -> None:
    cache.clear()


def code_from(message: Any) -> str:
    body = message.body if hasattr(message, "body") else message.get_content()
    match = re.search(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", body, re.MULTILINE)
    assert match, body
    return match.group(1)


def account_email() -> Any:
    """The latest of allauth's emails (codes, resets): they go through the outbox, so the
    worker's sweep delivers what waits first (to Django's test mailbox)."""
    outbox.deliver_pending()
    return [m for m in mail.outbox if m.subject.startswith("[Next Practice]")][-1]


def sign_in_by_code(client: Client, email: str, **headers: Any) -> Any:
    client.post(reverse("account_request_login_code"), {"email": email}, **headers)
    code = code_from(account_email())
    return client.post(reverse("account_confirm_login_code"), {"code": code}, **headers)


def test_a_leader_signs_in_with_an_emailed_code_and_gets_a_new_session_id(cast: Cast) -> None:
    client = Client()
    client.get("/")
    client.post(reverse("account_request_login_code"), {"email": cast.alice.email})
    before = client.session.session_key
    assert account_email().to == [cast.alice.email]
    response = client.post(
        reverse("account_confirm_login_code"), {"code": code_from(account_email())}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(cast.alice.pk)
    assert client.session.session_key != before


def test_a_wrong_code_three_times_spends_the_code(cast: Cast) -> None:
    client = Client()
    client.post(reverse("account_request_login_code"), {"email": cast.alice.email})
    good = code_from(account_email())
    for _ in range(3):
        client.post(reverse("account_confirm_login_code"), {"code": "ZZZZZZ"})
    client.post(reverse("account_confirm_login_code"), {"code": good})
    assert "_auth_user_id" not in client.session


def test_codes_expire_within_ten_minutes(settings: Any) -> None:
    assert settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT <= 600


def test_password_login_works_for_those_who_set_one(cast: Cast) -> None:
    client = Client()
    response = client.post(
        reverse("account_login"), {"login": cast.alice.email, "password": "correct horse battery"}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(cast.alice.pk)


def test_password_guessing_is_stopped_per_account(cast: Cast) -> None:
    client = Client()
    for _ in range(5):
        client.post(reverse("account_login"), {"login": cast.alice.email, "password": "wrong"})
    response = client.post(
        reverse("account_login"), {"login": cast.alice.email, "password": "correct horse battery"}
    )
    assert "_auth_user_id" not in client.session
    assert response.status_code in {200, 429}


def test_one_school_address_cannot_lock_out_its_colleagues(cast: Cast) -> None:
    """Staff behind one school address: a flood of failures against one account still
    leaves another colleague free to sign in from the same address."""
    school = {"REMOTE_ADDR": "203.0.113.7"}
    attacker = Client(**school)
    for _ in range(30):
        attacker.post(reverse("account_login"), {"login": cast.alice.email, "password": "x"})
    colleague = Client(**school)
    colleague.post(
        reverse("account_login"), {"login": cast.bob.email, "password": "correct horse battery"}
    )
    assert colleague.session["_auth_user_id"] == str(cast.bob.pk)
    colleague2 = Client(**school)
    response = sign_in_by_code(colleague2, cast.oscar.email)
    assert response.status_code == 302
    assert colleague2.session["_auth_user_id"] == str(cast.oscar.pk)


def test_rate_limits_hold_across_processes_through_the_shared_cache(settings: Any) -> None:
    assert settings.CACHES["default"]["BACKEND"] in {
        "django.core.cache.backends.db.DatabaseCache",
        "django.core.cache.backends.redis.RedisCache",
    }


def test_idle_sessions_end(cast: Cast, settings: Any) -> None:
    client = client_for(cast.alice)
    assert client.get("/").status_code == 200
    session = client.session
    session["np_seen"] = int(time.time()) - settings.SESSION_IDLE_TIMEOUT - 5
    session.save()
    response = client.get(f"/clusters/{cast.cluster.pk}/")
    assert response.status_code == 302 and "expired=1" in response["Location"]
    assert "_auth_user_id" not in client.session


def test_sessions_end_after_the_absolute_limit_however_busy(cast: Cast, settings: Any) -> None:
    client = client_for(cast.alice)
    client.get("/")
    session = client.session
    session["np_started"] = int(time.time()) - settings.SESSION_ABSOLUTE_TIMEOUT - 5
    session.save()
    assert "expired=1" in client.get("/")["Location"]


def test_people_see_their_sessions_and_can_end_them(cast: Cast) -> None:
    phone, laptop = Client(), Client()
    for client in (phone, laptop):
        client.post(
            reverse("account_login"),
            {"login": cast.alice.email, "password": "correct horse battery"},
        )
    page = laptop.get(reverse("usersessions_list"))
    assert page.status_code == 200
    laptop.post(reverse("usersessions_list"), {"action": "logout"})
    assert phone.get(f"/clusters/{cast.cluster.pk}/").status_code == 302


def test_coordinators_must_set_up_two_step_sign_in(cast: Cast) -> None:
    second = User.objects.create_user("cora2@example.test", "pw-cora-2222")
    cast.area.coordinators.add(second)
    client = client_for(second)
    response = client.get(reverse("area_directory", args=[cast.area.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_a_coordinator_with_totp_is_asked_for_the_code_at_sign_in(cast: Cast) -> None:
    client = Client()
    response = client.post(
        reverse("account_login"), {"login": cast.cora.email, "password": "correct horse battery"}
    )
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    code = f"{hotp_value(TOTP_SECRET, next(yield_hotp_counters_from_time())):06d}"
    client.post(reverse("mfa_authenticate"), {"code": code})
    assert client.session["_auth_user_id"] == str(cast.cora.pk)


def test_open_signup_is_closed(db: Any) -> None:
    response = Client().post(
        reverse("account_signup"),
        {
            "email": "stranger@example.test",
            "password1": "x8!kdkd9s0ss",
            "password2": "x8!kdkd9s0ss",
        },
    )
    assert not User.objects.filter(email="stranger@example.test").exists()
    assert response.status_code == 200


# --- Invitations -----------------------------------------------------------------------


def invite_priya(cast: Cast) -> str:
    services.invite(cast.cluster, cast.alice, "priya@example.test")
    from nextpractice.core.models import OutboundEmail

    body = OutboundEmail.objects.get(to="priya@example.test").body
    match = re.search(r"/join/([^/\s]+)/", body)
    assert match
    return match.group(1)


def test_a_new_leader_joins_by_invitation_with_a_code_and_no_password(cast: Cast) -> None:
    token = invite_priya(cast)
    client = Client()
    page = client.get(reverse("join", args=[token]))
    assert b"Riverside" in page.content and b"ground rules" in page.content
    response = client.post(reverse("join", args=[token]), {"answer": "accept"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_confirm_login_code"))
    priya = User.objects.get(email="priya@example.test")
    assert not priya.has_usable_password()
    response = client.post(response["Location"], {"code": code_from(account_email())})
    assert response["Location"] == reverse("join", args=[token])
    response = client.post(reverse("join", args=[token]), {"answer": "accept"})
    # The joining person lands on a short profile form, then the cluster.
    assert response["Location"] == f"{reverse('profile_edit')}?next=/clusters/{cast.cluster.pk}/"
    membership = Membership.objects.get(user=priya)
    assert membership.cluster == cast.cluster and not membership.has_agreed
    form = client.get(response["Location"])
    assert b"What matters to you" in form.content
    data: dict[str, Any] = {
        "full_name": "Priya Shah",
        "job_title": "Headteacher",
        "years_in_leadership": "0",
        "phone": "07700 900123",
        "preferred_days": ["2"],
        "preferred_time": "afternoon",
        "max_travel_km": "10",
        "next": f"/clusters/{cast.cluster.pk}/",
        "strengths": [Topic.objects.get(name="EAL").pk],
        "develop": [Topic.objects.get(name="Self-evaluation and SEF").pk],
    }
    for value in Value.objects.all():
        data[f"value_{value.pk}"] = "4"
    response = client.post(reverse("profile_edit"), data)
    assert response["Location"] == f"/clusters/{cast.cluster.pk}/"
    profile = LeaderProfile.objects.get(user=priya)
    assert profile.is_new_leader and profile.completed_at is not None
    assert profile.ratings.count() == Value.objects.count()


def test_an_invitation_is_single_use(cast: Cast) -> None:
    token = invite_priya(cast)
    invitation = Invitation.objects.get(email="priya@example.test")
    assert invitation.claim() is True
    assert invitation.claim() is False
    assert Client().get(reverse("join", args=[token])).status_code == 410


def test_an_expired_invitation_cannot_be_used(cast: Cast) -> None:
    token = invite_priya(cast)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = Client().post(reverse("join", args=[token]), {"answer": "accept"})
    assert response.status_code == 410 and b"expired" in response.content
    assert not User.objects.filter(email="priya@example.test").exists()


def test_an_invitation_works_only_for_its_own_address(cast: Cast) -> None:
    token = invite_priya(cast)
    response = client_for(cast.oscar).post(reverse("join", args=[token]), {"answer": "accept"})
    assert b"sent to priya@example.test" in response.content
    assert not Membership.objects.filter(user=cast.oscar, cluster=cast.cluster).exists()


def test_an_unknown_token_is_404(db: Any) -> None:
    assert Client().get(reverse("join", args=["not-a-token"])).status_code == 404


def test_an_invitee_can_decline(cast: Cast) -> None:
    token = invite_priya(cast)
    response = Client().post(reverse("join", args=[token]), {"answer": "decline"})
    assert b"You have declined" in response.content
    assert Invitation.objects.get().declined_at is not None
    assert not User.objects.filter(email="priya@example.test").exists()


def test_an_existing_user_accepts_an_invitation_to_another_cluster(cast: Cast) -> None:
    services.invite(cast.other_cluster, cast.oscar, cast.bob.email)
    from nextpractice.core.models import OutboundEmail

    token = re.search(r"/join/([^/\s]+)/", OutboundEmail.objects.get(to=cast.bob.email).body).group(
        1
    )  # type: ignore[union-attr]
    response = client_for(cast.bob).post(reverse("join", args=[token]), {"answer": "accept"})
    assert response["Location"] == f"/clusters/{cast.other_cluster.pk}/"
    assert Membership.objects.filter(user=cast.bob, cluster=cast.other_cluster).exists()


def test_a_forgotten_password_is_reset_by_email(cast: Cast) -> None:
    client = Client()
    client.post(reverse("account_reset_password"), {"email": cast.alice.email})
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+)", account_email().body)
    assert link
    form_page = client.get(link.group(1), follow=True)
    client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link.group(1),
        {"password1": "a new long passphrase", "password2": "a new long passphrase"},
    )
    assert Client().login(email=cast.alice.email, password="a new long passphrase")
