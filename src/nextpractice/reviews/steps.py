"""After the walk: the most common next steps, and the host taking them on as actions.

The grouping itself is ``nextsteps`` (pure); this module feeds it the sent answers a person
may read and turns a step, or a group of the same step said by several visitors, into the
requester's own action, "what I will change, by when". Actions live in ``meetings``: the
action is on the requester's *My actions* and on the next meeting's agenda, as every
action is.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from nextpractice.accounts.models import User
from nextpractice.audit.models import record
from nextpractice.core.forms import is_id
from nextpractice.core.once import KeySpent, new_key, once
from nextpractice.meetings.models import Action
from nextpractice.meetings.services import next_meeting

from . import nextsteps
from .models import FocusAnswer, ReviewRequest, StepAction
from .services import ReviewError

#: How a step is named in a form: the answer's id and the step's stems.
STEP_TOKEN = re.compile(r"([0-9]{1,10}):([a-z0-9 ]{1,300})")
MAX_STEPS_PER_ACTION = 200


@dataclass
class StepRow:
    """A group of the same next step, as the report shows it."""

    label: str
    visitors: int
    tokens: list[str]  # "answer_id:step key", one per step in the group
    done: bool  # every step of it is already one of the requester's actions
    once_key: str  # a fresh one-time key for the form that takes it on


def _rows(said: list[nextsteps.Said], taken: set[tuple[int, str]]) -> list[StepRow]:
    rows = []
    for group in nextsteps.group_steps(said):
        pairs = list(dict.fromkeys((s.ref, nextsteps.key_of(s.text)) for s in group.steps))
        rows.append(
            StepRow(
                label=group.label,
                visitors=group.visitors,
                tokens=[f"{answer_id}:{key}" for answer_id, key in pairs],
                done=all(pair in taken for pair in pairs),
                once_key=new_key(),
            )
        )
    return rows


def grouped(sections: list[dict[str, Any]], user: Any, *, actions: bool = True) -> dict[str, Any]:
    """The most common next steps per focus area (added to each section as ``common`` and
    ``rest``) and over the whole request (returned), from the sections of
    ``services.collated``. With ``actions``, one query, for the steps already taken on."""
    answers = [a for s in sections for a in s["answers"]]
    taken: set[tuple[int, str]] = set()
    if actions and answers:
        taken = set(
            StepAction.objects.visible_to(user)
            .filter(answer__in=[a.pk for a in answers])
            .values_list("answer_id", "step")
        )
    # An answer made an action whole, from the request's page, has every step taken on.
    whole = {a.pk for a in answers if a.action_id is not None}
    taken |= {
        (a.pk, nextsteps.key_of(t))
        for a in answers
        if a.pk in whole
        for t in nextsteps.split_steps(a.next_steps)
    }
    everything = []
    for section in sections:
        said = [
            nextsteps.Said(a.feedback.reviewer_id, a.next_steps, a.pk) for a in section["answers"]
        ]
        everything += said
        rows = _rows(said, taken)
        section["common"] = [r for r in rows if r.visitors > 1]
        section["rest"] = [r for r in rows if r.visitors <= 1]
    rows = _rows(everything, taken)
    return {
        "common": [r for r in rows if r.visitors > 1],
        "rest": [r for r in rows if r.visitors <= 1],
    }


def parse_tokens(values: Sequence[str]) -> list[tuple[int, str]]:
    """``answer_id:key`` tokens from a form, or ValueError."""
    if not values or len(values) > MAX_STEPS_PER_ACTION:
        raise ValueError("no steps, or too many")
    pairs = []
    for value in values:
        match = STEP_TOKEN.fullmatch(value)
        if match is None or not is_id(match[1]):
            raise ValueError("not a step")
        pairs.append((int(match[1]), match[2]))
    return list(dict.fromkeys(pairs))


def take_on(
    review: ReviewRequest,
    by: User,
    steps: Sequence[tuple[int, str]],
    title: str,
    due: dt.date | None = None,
    once_key: str = "",
) -> Action:
    """The requester takes on a next step (one visitor's, or the same step from several)
    as their own action: ``title`` is what they will change, ``due`` by when (else the
    next meeting). With ``once_key`` a repeat of the same submission returns the first
    action; without, a step already taken on is refused, so a double click makes one."""
    if by.pk != review.requester_id:
        raise ReviewError("Only the person who asked turns feedback into actions.")
    title = " ".join(title.split())
    if not title:
        raise ReviewError("Say what you will change.")
    if len(title) > 300:
        raise ReviewError("Say what you will change in at most 300 characters.")
    with transaction.atomic():
        try:
            return once(
                by.pk,
                once_key,
                Action,
                lambda: _take_on(review, by, steps, title, due),
                within={"cluster_id": review.cluster_id},
            )
        except KeySpent as e:
            raise ReviewError(str(e)) from None


def _take_on(
    review: ReviewRequest,
    by: User,
    steps: Sequence[tuple[int, str]],
    title: str,
    due: dt.date | None,
) -> Action:
    # One at a time per request: two submissions at once meet here, and the second sees
    # the steps the first took.
    ReviewRequest.objects.visible_to(by).select_for_update().filter(pk=review.pk).first()
    answer_ids = {answer_id for answer_id, _ in steps}
    sent = set(
        FocusAnswer.objects.visible_to(by)
        .filter(
            pk__in=answer_ids,
            feedback__request=review,
            feedback__submitted_at__isnull=False,
        )
        .values_list("pk", flat=True)
    )
    if not steps or sent != answer_ids:
        raise ReviewError("That next step is not part of this request's feedback.")
    taken = set(
        StepAction.objects.visible_to(by)
        .filter(answer__in=answer_ids)
        .values_list("answer_id", "step")
    )
    whole = set(
        FocusAnswer.objects.visible_to(by)
        .filter(pk__in=answer_ids, action__isnull=False)
        .values_list("pk", flat=True)
    )
    new = [pair for pair in steps if pair not in taken and pair[0] not in whole]
    if not new:
        raise ReviewError("This next step is already one of your actions.")
    if due is None:
        following = next_meeting(review.cluster_id)
        due = following.local_start.date() if following else None
    action = Action.objects.create(
        cluster_id=review.cluster_id, title=title, owner=by, due=due, created_by=by
    )
    StepAction.objects.bulk_create(
        [StepAction(answer_id=answer_id, step=key, action=action) for answer_id, key in new]
    )
    # The action is the cluster's (it goes on the agenda); the request it came from is not.
    record(
        by,
        "action.set",
        action,
        f"{by} took on a next step from {review.get_kind_display().lower()}",
        review.cluster,
    )
    return action
