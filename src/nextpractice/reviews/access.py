"""One answer to "may this person see this review, and what may they do with it?". Every
review view and template goes through here.

Only the audience sees a request and its feedback: the requester, the whole cluster or the
members chosen, and the facilitator only when invited (``ReviewRequest.objects.visible_to``
says who). Everyone else gets 404, never a hint that the request exists. Within the
audience, what each person may do is a named capability (``can_close``, ``can_give_feedback``
...) asked by views and templates alike; a refused action is 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, Subquery
from django.http import Http404

from nextpractice.clusters.access import get_cluster_for
from nextpractice.clusters.models import Cluster, Membership, Role
from nextpractice.core.forms import is_id

from .models import DocumentVersion, Exemplar, FocusAnswer, ReviewKind, ReviewRequest


def real_id(value: Any) -> int:
    """An id that can exist, or 404."""
    if not isinstance(value, int) or not is_id(value):
        raise Http404("No such thing")
    return value


@dataclass
class ClusterReviews:
    """A person's standing in one cluster's reviews and example library."""

    cluster: Cluster
    membership: Membership
    user: Any

    @property
    def is_member(self) -> bool:
        return self.membership.role == Role.MEMBER

    @property
    def can_ask_for_feedback(self) -> bool:
        return True  # every agreed member and the facilitator may open up their own work

    @property
    def can_use_library(self) -> bool:
        """The example library is the members' (see ``Exemplar.objects.visible_to``)."""
        return self.is_member

    def colleagues(self) -> list[Any]:
        """The members one may choose to ask: current members proper, not oneself."""
        return [
            m.user
            for m in self.cluster.memberships.current()
            .members()
            .exclude(user_id=self.user.pk)
            .select_related("user")
        ]

    def exemplar(self, exemplar_id: int) -> Exemplar:
        item = (
            Exemplar.objects.visible_to(self.user)
            .filter(pk=real_id(exemplar_id), cluster=self.cluster)
            .first()
        )
        if item is None:
            raise Http404("No such example")
        return item

    def own_versions(self) -> Any:
        """Versions of one's own requests in this cluster (to share as an example)."""
        return DocumentVersion.objects.in_cluster(self.user, self.cluster.pk).filter(
            request__requester_id=self.user.pk
        )


def get_reviews_for(user: Any, cluster_id: int) -> ClusterReviews:
    """The cluster's reviews as this person may use them: 404 outside the cluster, 403 for a
    member who has not agreed the ground rules."""
    if not getattr(user, "is_authenticated", False):
        raise Http404("No such cluster")
    cluster, membership = get_cluster_for(user, real_id(cluster_id))
    return ClusterReviews(cluster, membership, user)


@dataclass
class ReviewAccess:
    """One request as one person in its audience may use it."""

    review: ReviewRequest
    user: Any
    role: str  # the person's role in the request's cluster

    @property
    def is_requester(self) -> bool:
        return bool(self.review.requester_id == self.user.pk)

    @property
    def can_give_feedback(self) -> bool:
        """Everyone asked, while the request is open; never the person who asked."""
        return not self.is_requester and self.review.is_open

    @property
    def can_add_version(self) -> bool:
        return self.is_requester and self.review.is_open and self.review.kind == ReviewKind.DOCUMENT

    @property
    def can_close(self) -> bool:
        return self.is_requester and self.review.is_open

    @property
    def can_mark_helpful(self) -> bool:
        return self.is_requester

    @property
    def can_make_action(self) -> bool:
        return self.is_requester

    @property
    def can_reply(self) -> bool:
        return True  # the conversation under feedback is the whole audience's

    @property
    def can_download(self) -> bool:
        return True  # the document is what the audience was asked to read

    @property
    def can_see_access_log(self) -> bool:
        """Who opened and downloaded the request is shown to the person who asked."""
        return self.is_requester

    @property
    def can_share_example(self) -> bool:
        """The requester may put their own document in the members' example library."""
        return self.is_requester and self.role == Role.MEMBER

    def version(self, version_id: int) -> DocumentVersion:
        version = (
            DocumentVersion.objects.visible_to(self.user)
            .filter(pk=real_id(version_id), request=self.review)
            .first()
        )
        if version is None:
            raise Http404("No such version")
        return version

    def sent_answer(self, answer_id: int) -> FocusAnswer:
        """An answer of sent feedback on this request, or 404."""
        answer = (
            FocusAnswer.objects.visible_to(self.user)
            .select_related("feedback")
            .filter(
                pk=real_id(answer_id),
                feedback__request=self.review,
                feedback__submitted_at__isnull=False,
            )
            .first()
        )
        if answer is None:
            raise Http404("No such answer")
        answer.feedback.request = self.review
        return answer


def get_review_for(user: Any, review_id: int) -> ReviewAccess:
    """The request and what this person may do with it, in one query, or 404."""
    if not getattr(user, "is_authenticated", False):
        raise Http404("No such review")
    role = Membership.objects.agreed().of(user).filter(cluster=OuterRef("cluster")).values("role")
    review = (
        ReviewRequest.objects.visible_to(user)
        .select_related("cluster", "requester", "checklist")
        .annotate(viewer_role=Subquery(role[:1]))
        .filter(pk=real_id(review_id))
        .first()
    )
    if review is None:
        raise Http404("No such review")
    return ReviewAccess(review, user, review.viewer_role)  # type: ignore[attr-defined]
