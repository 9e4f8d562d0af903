"""Pages and endpoints of viewing sessions. Thin: permission and state live in rules/actions."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kluis.core.gate import check_person, staff_endpoint, staff_page
from kluis.core.permissions import can, require
from kluis.core.problems import KluisError, NotAllowed
from kluis.organisations.models import User
from kluis.organisations.people import footage_organisation_ids
from kluis.recordings.models import Recording
from kluis.recordings.playback import open_recording

from . import actions
from .access import is_involved_officer, is_manager_for, managers_for
from .forms import BreachForm, CoSignForm, InviteForm, StartForm
from .models import ViewingSession
from .stream import range_response

#: Fetch destinations of a browser that opens the stream itself rather than in <video> (ACC-4).
NAVIGATION_DESTINATIONS = {"document", "iframe", "frame", "embed", "object"}


def _recording(pk):
    recording = (
        Recording.objects.select_related("organisation__policy", "officer", "camera")
        .filter(pk=pk, state=Recording.State.STORED)
        .first()
    )
    if recording is None:
        raise Http404
    return recording


def _session(request, pk, permission="viewing.take_part") -> ViewingSession:
    try:
        session = ViewingSession.objects.select_related(
            "recording__organisation", "recording__officer", "officer"
        ).get(pk=pk)
    except (ViewingSession.DoesNotExist, ValueError):
        raise Http404 from None
    session = actions.expire_if_due(session)
    require(request.user, permission, session, _("You do not take part in this viewing."))
    return session


@staff_page
@require_GET
def my_sessions(request):
    """Sessions the person takes part in: to confirm, to watch, or done."""
    if not footage_organisation_ids(request.user).exists():
        raise NotAllowed(_("Your role never sees footage."))
    sessions = (
        ViewingSession.objects.filter(participants__user=request.user)
        .select_related("recording", "officer")
        .distinct()[:100]
    )
    sessions = [actions.expire_if_due(s) for s in sessions]
    sessions = [s for s in sessions if can(request.user, "viewing.take_part", s)]
    return TemplateResponse(request, "viewing/my_sessions.html", {"sessions": sessions})


@staff_page
def start(request, recording_id):
    """Start a viewing: purpose, the manager or deputy, invited staff (ACC-1..ACC-3)."""
    recording = _recording(recording_id)
    user = request.user
    require(user, "viewing.start", recording, _("You may not start a viewing of this recording."))
    purposes = list(ViewingSession.Purpose.choices)
    if not (actions.learning_allowed(recording) and is_involved_officer(user, recording)):
        purposes = [p for p in purposes if p[0] != ViewingSession.Purpose.LEARNING]
    manager_ids = [m.pk for m in managers_for(recording)]
    actor_is_manager = is_manager_for(user, recording)
    managers = User.objects.filter(pk__in=manager_ids).exclude(pk=user.pk)
    invitees = None
    if actor_is_manager:
        invitees = actions.eligible_invitees(
            recording, exclude=[recording.officer, *User.objects.filter(pk__in=manager_ids)]
        )
    form = StartForm(request.POST or None, purposes=purposes, managers=managers, invitees=invitees)
    if request.method == "POST" and form.is_valid():
        try:
            session = actions.start_session(
                user,
                recording,
                purpose=form.cleaned_data["purpose"],
                managers=form.cleaned_data["managers"],
                invited=form.cleaned_data.get("invited") or (),
                case_reference=form.cleaned_data["case_reference"],
            )
        except KluisError as error:
            form.add_error(None, error.detail)
        else:
            return redirect("viewing:session", session.pk)
    return TemplateResponse(
        request,
        "viewing/start.html",
        {"recording": recording, "form": form, "actor_is_manager": actor_is_manager},
        status=400 if form.errors else 200,
    )


@staff_page
@require_GET
def session_page(request, session_id):
    """Who takes part, who has confirmed, and a co-sign form for each who has not (ACC-2)."""
    session = _session(request, session_id)
    participants = list(session.participants.select_related("user", "invited_by"))
    me = next(p for p in participants if p.user_id == request.user.pk)
    invite_form = None
    if can(request.user, "viewing.invite", session):
        taken = [p.user for p in participants]
        invite_form = InviteForm(invitees=actions.eligible_invitees(session.recording, taken))
    return TemplateResponse(
        request,
        "viewing/session.html",
        {
            "session": session,
            "participants": participants,
            "me": me,
            "breach_form": BreachForm(),
            "invite_form": invite_form,
            "may_watch": can(request.user, "viewing.watch", session),
        },
    )


@staff_page
@require_POST
def confirm(request, session_id):
    """The logged-in participant confirms from their own login."""
    session = _session(request, session_id)
    actions.confirm(request.user, session)
    messages.success(request, _("You have confirmed your participation."))
    return redirect("viewing:session", session.pk)


@staff_page
@require_POST
def cosign(request, session_id):
    """Another participant confirms on this screen with their own password and TOTP code."""
    session = _session(request, session_id)
    try:
        pk = int(request.POST.get("participant", ""))
    except ValueError:
        raise KluisError(_("Choose the participant who confirms.")) from None
    participant = session.participants.filter(pk=pk).select_related("user").first()
    if participant is None:
        raise KluisError(_("Choose the participant who confirms."))
    form = CoSignForm(request.POST, prefix=f"p{pk}")
    if not form.is_valid():
        raise KluisError(
            _("Enter the password and the code of %(name)s.") % {"name": participant.user}
        )
    person = check_person(
        request,
        participant.user.get_username(),
        form.cleaned_data["password"],
        form.cleaned_data["code"],
    )
    if person is None:
        messages.error(
            request,
            _("The password or code of %(name)s is not right. Nothing was confirmed.")
            % {"name": participant.user},
        )
        return redirect("viewing:session", session.pk)
    actions.confirm(request.user, session, person=person)
    messages.success(request, _("%(name)s has confirmed.") % {"name": person})
    return redirect("viewing:session", session.pk)


@staff_page
@require_POST
def invite(request, session_id):
    session = _session(request, session_id, "viewing.invite")
    taken = list(session.participants.values_list("user", flat=True))
    form = InviteForm(
        request.POST,
        invitees=actions.eligible_invitees(session.recording, User.objects.filter(pk__in=taken)),
    )
    if not form.is_valid():
        raise KluisError(_("Choose a staff member who may be invited."))
    actions.invite(request.user, session, form.cleaned_data["person"])
    messages.success(request, _("%(name)s is invited.") % {"name": form.cleaned_data["person"]})
    return redirect("viewing:session", session.pk)


@staff_page
@require_POST
def end(request, session_id):
    session = _session(request, session_id)
    actions.end_session(request.user, session)
    messages.success(request, _("The viewing has ended."))
    return redirect("viewing:session", session.pk)


@staff_page
@require_POST
def breach(request, session_id):
    session = _session(request, session_id)
    form = BreachForm(request.POST)
    if not form.is_valid():
        raise KluisError(_("Describe what happened."))
    actions.report_breach(request.user, session, form.cleaned_data["description"])
    messages.warning(request, _("The breach is reported and the viewing has been stopped."))
    return redirect("viewing:session", session.pk)


@staff_page
@require_GET
def watch(request, session_id):
    """The player: the footage with the participants' names over the picture (ACC-4)."""
    session = _session(request, session_id, "viewing.watch")
    participants = session.participants.filter(confirmed_at__isnull=False).select_related("user")
    response = TemplateResponse(
        request,
        "viewing/watch.html",
        {"session": session, "viewers": [p.user for p in participants]},
    )
    response["Cache-Control"] = "no-store"
    return response


@staff_endpoint
@require_GET
def stream(request, session_id):
    """206 Partial Content of decrypted footage, for an open session's participants only."""
    session = _session(request, session_id, "viewing.watch")
    if request.headers.get("Sec-Fetch-Dest") in NAVIGATION_DESTINATIONS:
        # Opened as a page of its own, the browser's bare media viewer would offer "save".
        raise NotAllowed(_("The recording plays only in the Kluis player."), code="player-only")
    actions.note_stream_opened(request.user, session)
    return range_response(request, session, opener=open_recording)


@staff_endpoint
@require_POST
def events(request, session_id):
    """The player posts every play, pause, seek and end here (AUD-1)."""
    session = _session(request, session_id, "viewing.watch")
    try:
        body = json.loads(request.body or b"{}")
        event = str(body.get("event", ""))
        position = body.get("position")
        position = None if position is None else float(position)
        if position is not None and not 0 <= position < 1e9:
            raise ValueError("position out of range")
    except (ValueError, TypeError, AttributeError, OverflowError, RecursionError):
        raise KluisError(_("The player event is not valid JSON."), code="event-invalid") from None
    actions.record_playback(request.user, session, event, position)
    return HttpResponse(status=204)


@staff_endpoint
@require_GET
def status(request, session_id):
    """Polled by the player, so every participant's picture stops when one ends the session."""
    session = _session(request, session_id)
    response = JsonResponse(
        {"state": session.state, "open": can(request.user, "viewing.watch", session)}
    )
    response["Cache-Control"] = "no-store"
    return response
