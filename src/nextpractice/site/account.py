"""Joining by invitation and one's own account page: pages that gather from accounts,
clusters, the directory and the calendar, so they sit in the site layer."""

from __future__ import annotations

from typing import Any

from allauth.account.internal.flows.login_by_code import LoginCodeVerificationProcess
from allauth.core import ratelimit
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from nextpractice.accounts import services
from nextpractice.accounts.forms import AnswerForm
from nextpractice.accounts.models import Invitation
from nextpractice.clusters import services as cluster_services
from nextpractice.core.types import AuthedHttpRequest
from nextpractice.directory.models import LeaderProfile
from nextpractice.formation.models import Introduction
from nextpractice.meetings.models import CalendarFeed
from nextpractice.support.services import newheads


@require_http_methods(["GET", "POST"])
def join(request: HttpRequest, token: str) -> HttpResponse:
    """The page an invitation email links to: explains, then accept or decline."""
    invitation = Invitation.find(token)
    if invitation is None:
        return render(request, "accounts/join_invalid.html", status=404)
    joined = cluster_services.already_joined(invitation, request.user)
    if joined is not None:
        return _already_in(request, joined)
    if not invitation.is_open:
        return render(request, "accounts/join_invalid.html", {"invitation": invitation}, status=410)
    user = request.user
    wrong_person = user.is_authenticated and user.email.lower() != invitation.email
    context: dict[str, Any] = {
        "invitation": invitation,
        "cluster": invitation.cluster,
        "wrong_person": wrong_person,
        # Why a formation round chose this cluster for them: written for them alone, and
        # safe to show to whoever holds the link (it names no one and places no one).
        "why": Introduction.objects.filter(invitation=invitation)
        .values_list("reasons", flat=True)
        .first()
        or [],
        "members": cluster_services.who_is_in(invitation.cluster) if invitation.cluster else [],
    }
    if request.method == "GET" or wrong_person:
        return render(request, "accounts/join.html", context)

    answer = AnswerForm(request.POST)
    if not answer.is_valid():
        context["error"] = "Choose to accept or decline the invitation."
        return render(request, "accounts/join.html", context, status=400)
    if answer.cleaned_data["answer"] == "decline":
        try:
            cluster_services.decline(invitation)
        except cluster_services.ClusterError as e:
            messages.error(request, str(e))
            return redirect("home")
        return render(request, "accounts/declined.html", context)

    if not user.is_authenticated:
        return _sign_in_by_code(request, invitation, token)
    try:
        membership = cluster_services.accept(invitation, user)
    except cluster_services.ClusterError as e:
        # Two submissions at once: the first joined, the second is told so, calmly.
        invitation.refresh_from_db()
        joined = cluster_services.already_joined(invitation, user)
        if joined is not None:
            return _already_in(request, joined)
        context["error"] = str(e)
        return render(request, "accounts/join.html", context, status=409)
    profile = LeaderProfile.objects.filter(user=user).select_related("setting__private").first()
    after = reverse("cluster_detail", args=[membership.cluster_id]) if membership else "/"
    setting = profile.setting if profile else None
    if setting is not None and setting.redacted and getattr(setting, "private", None) is None:
        # A childminder's setting is published without name or address: her cluster
        # learns them from her, once, kept from everyone else (directory.PrivateSettingDetails).
        after = reverse("setting_edit")
    if profile is None or profile.completed_at is None:
        return redirect(f"{reverse('profile_edit')}?next={after}")
    if after == reverse("setting_edit"):
        return redirect(after)
    if membership:
        return redirect("cluster_detail", membership.cluster_id)
    return redirect("home")


def _already_in(request: HttpRequest, membership: Any) -> HttpResponse:
    messages.info(request, f"You have already joined {membership.cluster}.")
    return redirect("cluster_detail", membership.cluster_id)


def _sign_in_by_code(request: HttpRequest, invitation: Invitation, token: str) -> HttpResponse:
    """Create the account if need be, then send a sign-in code: no password needed.

    The code, rather than the link alone, proves the person holds the mailbox, so a
    forwarded invitation email does not let someone else in.
    """
    user = services.account_for_invitation(invitation)
    if not ratelimit.consume(request, action="request_login_code", key=invitation.email):
        return render(request, "429.html", status=429)
    LoginCodeVerificationProcess.initiate(
        request=request, user=user, email=invitation.email, phone=None
    )
    return redirect(f"{reverse('account_confirm_login_code')}?next={reverse('join', args=[token])}")


@login_required
@require_safe
def account(request: AuthedHttpRequest) -> HttpResponse:
    authenticators = Authenticator.objects.filter(user=request.user).values_list("type", flat=True)
    feed = CalendarFeed.objects.filter(user=request.user).first()
    return render(
        request,
        "accounts/account.html",
        {
            "has_totp": "totp" in set(authenticators),
            "has_password": request.user.has_usable_password(),
            "feed": feed,
            "feed_url": (
                settings.SITE_URL + reverse("calendar_feed", args=[feed.token]) if feed else ""
            ),
            "new_head_in": newheads.in_my_clusters(request.user),
        },
    )
