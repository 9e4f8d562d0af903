"""Staff pages: login with TOTP, home per role, recording lists and a recording's page."""

from __future__ import annotations

import base64
import io

import qrcode
import qrcode.image.svg
from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.signals import user_login_failed
from django.http import Http404
from django.shortcuts import redirect, resolve_url
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST
from django_otp import login as otp_login

from kluis.core.gate import confirmed_totp_device, is_verified, staff_page
from kluis.core.permissions import can, require
from kluis.core.problems import KluisError, NotAllowed
from kluis.custody.events import AuditEvent
from kluis.organisations.models import Membership, Role, User
from kluis.organisations.people import sees_footage
from kluis.recordings.models import Recording
from kluis.viewing.models import ViewingSession

from . import actions, queries
from .auth import (
    REFUSED,
    attempt_login,
    check_second_factor,
    client_address,
)
from .forms import ActivationForm, CodeForm, LoginForm


def _next_url(request, default="staff:home"):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(default)


# Set in the session by a login with a valid activation code: this person may now set up an
# authenticator (and nobody else on a password alone).
ACTIVATED_SESSION_KEY = "kluis_activated"


@sensitive_post_parameters("password", "code")
@csrf_protect
@never_cache
def login(request):
    """Password and code on one form; every refusal reads the same (auth.REFUSED).

    The code is the authenticator's, a recovery code, or on a first login the activation code.
    """
    if is_verified(request.user):
        return redirect(_next_url(request))
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = attempt_login(
            request,
            form.cleaned_data["username"],
            form.cleaned_data["password"],
            form.cleaned_data["code"],
        )
        if not result.ok:
            form.add_error(None, REFUSED)
        else:
            # django's login() gives the session a new key (and flushes another person's).
            auth_login(request, result.user)
            if result.activated:
                request.session[ACTIVATED_SESSION_KEY] = str(result.user.pk)
                return redirect("staff:totp-setup")
            otp_login(request, result.device)
            return redirect(_next_url(request))
    oidc_url = None
    if getattr(settings, "OIDC_ENABLED", False):
        oidc_url = _reverse_or_none("staff:oidc_authentication_init") or _reverse_or_none(
            "oidc_authentication_init"
        )
    return TemplateResponse(
        request,
        "staff/login.html",
        {"form": form, "next": request.GET.get("next", ""), "oidc_url": oidc_url},
        status=400 if form.errors else 200,
    )


def _count_failure(request, user, reason: str) -> None:
    """A wrong code on a step after the password: counted and audited as a login's."""
    credentials = {"username": user.get_username()}
    user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    details = {"address": client_address(request), "purpose": "login", "reason": reason}
    actions.record_login(
        AuditEvent.LOGIN_FAILED, username=user.get_username(), person=user, **details
    )
    if not AxesProxyHandler.is_allowed(request, credentials):
        actions.record_login(
            AuditEvent.LOGIN_LOCKED_OUT, username=user.get_username(), person=user, **details
        )


def _locked(request, user) -> bool:
    return not AxesProxyHandler.is_allowed(request, {"username": user.get_username()})


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def totp_setup(request):
    """First login: scan the QR code (or type the key), then confirm with the first code.

    Only after an activation code: on the login form, or here for a person who came in by the
    municipality's own identity provider and has no authenticator yet.
    """
    user = request.user
    if not user.is_authenticated:
        return redirect("staff:login")
    if confirmed_totp_device(user) is not None and not is_verified(user):
        # Replacing a device needs the old one: log in with it first.
        return redirect("staff:login")
    if request.session.get(ACTIVATED_SESSION_KEY) != str(user.pk) and not is_verified(user):
        return _activation(request, user)
    device = actions.pending_totp_device(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.confirm_totp_device(user, device, form.cleaned_data["code"])
        except KluisError as error:
            form.add_error("code", error.detail)
        else:
            codes = actions.issue_recovery_codes(user)
            request.session.cycle_key()  # the session becomes verified: a new key
            request.session.pop(ACTIVATED_SESSION_KEY, None)
            otp_login(request, device)
            return TemplateResponse(request, "staff/recovery_codes.html", {"codes": codes})
    return TemplateResponse(
        request,
        "staff/totp_setup.html",
        {
            "form": form,
            "qr_data_uri": _qr_data_uri(device.config_url),
            "secret": base64.b32encode(device.bin_key).decode(),
        },
        status=400 if form.errors else 200,
    )


def _activation(request, user):
    """The activation code for someone logged in without one (municipal SSO, no device yet)."""
    form = ActivationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not _locked(request, user) and actions.use_activation(
            user, form.cleaned_data["code"], address=client_address(request)
        ):
            request.session[ACTIVATED_SESSION_KEY] = str(user.pk)
            return redirect("staff:totp-setup")
        _count_failure(request, user, "activation-code")
        form.add_error("code", REFUSED)
    return TemplateResponse(
        request, "staff/activation.html", {"form": form}, status=400 if form.errors else 200
    )


def _qr_data_uri(text: str) -> str:
    """The QR code as an SVG data URI for an <img>, which every browser draws as it is."""
    out = io.BytesIO()
    qrcode.make(text, image_factory=qrcode.image.svg.SvgPathFillImage, border=2).save(out)
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode()


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def login_code(request):
    """The second step alone, for someone already logged in without a code (for example by
    the municipality's own identity provider): the TOTP code, and nothing else."""
    user = request.user
    if not user.is_authenticated:
        return redirect("staff:login")
    if is_verified(user):
        return redirect(_next_url(request))
    if confirmed_totp_device(user) is None:
        return redirect("staff:totp-setup")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = None
        if not _locked(request, user):
            device = check_second_factor(
                user, form.cleaned_data["code"], address=client_address(request)
            )
        if device is None:
            _count_failure(request, user, "code")
            form.add_error("code", REFUSED)
        else:
            request.session.cycle_key()  # the session becomes verified: a new key
            otp_login(request, device)
            actions.record_login(
                AuditEvent.LOGIN_SUCCEEDED,
                username=user.get_username(),
                person=user,
                address=client_address(request),
                purpose="login-code",
                second_factor=device.name,
            )
            return redirect(_next_url(request))
    return TemplateResponse(
        request,
        "staff/login_code.html",
        {"form": form, "next": request.GET.get("next", "")},
        status=400 if form.errors else 200,
    )


@require_POST
@csrf_protect
def logout(request):
    auth_logout(request)
    return redirect("staff:login")


def _roles(user) -> set[str]:
    return set(Membership.objects.active().filter(user=user).values_list("role", flat=True))


@staff_page
@require_GET
def home(request):
    """What this person can do here, by role; administrators and the supplier see no footage."""
    roles = _roles(request.user)
    footage = sees_footage(roles)
    context = {
        "is_officer": Role.OFFICER in roles,
        "is_manager": bool({Role.MANAGER, Role.DEPUTY_MANAGER} & roles),
        "footage": footage,
        "admin_only": bool(roles) and not footage,
        "no_roles": not roles,
    }
    if footage:
        context["waiting"] = (
            ViewingSession.objects.filter(
                participants__user=request.user,
                participants__confirmed_at__isnull=True,
                state__in=[ViewingSession.State.PENDING, ViewingSession.State.OPEN],
            )
            .select_related("recording")
            .distinct()
        )
    return TemplateResponse(request, "staff/home.html", context)


def _require_role(user, *roles):
    """Deny by default: lists are for the roles they are made for (ORG-4)."""
    if not Membership.objects.active().filter(user=user, role__in=roles).exists():
        raise NotAllowed(_("This page is not for your role."))


def _rows(recordings, viewer=None):
    return queries.rows(recordings, viewer=viewer)


@staff_page
@require_GET
def my_recordings(request):
    """The officer's own recordings and what each still needs."""
    _require_role(request.user, Role.OFFICER)
    recordings = list(queries.my_recordings(request.user)[:500])
    return TemplateResponse(
        request,
        "staff/recording_list.html",
        {
            "title": _("My recordings"),
            "rows": _rows(recordings, request.user),
            "show_officer": False,
        },
    )


@staff_page
@require_GET
def team_recordings(request):
    """A manager's or deputy's view: the recordings of their officers, and what is due."""
    _require_role(request.user, Role.MANAGER, Role.DEPUTY_MANAGER)
    qs = queries.team_recordings(request.user)
    recordings = list(qs[:500])
    due = list(queries.due_for_deletion(qs)[:200])
    return TemplateResponse(
        request,
        "staff/recording_list.html",
        {
            "title": _("Team's recordings"),
            "rows": _rows(recordings),
            "due_rows": _rows(due),
            "show_officer": True,
            "team": True,
        },
    )


def _reverse_or_none(name, *args) -> str | None:
    try:
        return reverse(name, args=[str(a) for a in args])
    except NoReverseMatch:
        return None


def custody_report_url(recording) -> str | None:
    try:
        return reverse("recordings-api:custody-report", args=[str(recording.pk)])
    except NoReverseMatch:
        return None


@staff_page
@require_GET
def recording_detail(request, recording_id):
    """Metadata, holds, deletion date, viewings and the chain of custody of one recording."""
    recording = (
        Recording.objects.select_related("organisation", "team", "camera", "officer")
        .filter(pk=recording_id)
        .first()
    )
    if recording is None:
        raise Http404
    require(request.user, "staff.view_recording", recording, _("You may not see this recording."))
    sessions = ViewingSession.objects.filter(
        recording=recording, participants__user=request.user
    ).distinct()
    report = queries.incident_report(recording)
    report_url = None
    if report is not None:
        report_url = _reverse_or_none("reports:detail", recording.pk)
    elif recording.officer_id == request.user.pk:
        report_url = _reverse_or_none("reports:file", recording.pk)
    return TemplateResponse(
        request,
        "staff/recording_detail.html",
        {
            "recording": recording,
            "holds": queries.active_holds(recording),
            "needs": queries.needs(recording, viewer=request.user)
            if recording.state == Recording.State.STORED
            else [],
            "sessions": sessions,
            "may_start": recording.state == Recording.State.STORED
            and can(request.user, "viewing.start", recording),
            "custody_url": custody_report_url(recording),
            "report": report,
            "report_url": report_url,
        },
    )


def _managed_people(admin):
    """The people of the organisations `admin` is functional administrator of, but not admin."""
    orgs = Membership.objects.active().filter(user=admin, role=Role.FUNCTIONAL_ADMIN)
    people = (
        User.objects.filter(memberships__organisation_id__in=orgs.values("organisation_id"))
        .exclude(pk=admin.pk)
        .distinct()
        .order_by("username")
    )
    return [person for person in people if can(admin, "staff.manage_login", person)]


@staff_page
@require_GET
def accounts(request):
    """For a functional administrator: each person's login, with activation codes, resets and
    unlocks (each an audited action; nobody does them for themselves)."""
    people = _managed_people(request.user)
    if (
        not people
        and not Membership.objects.active()
        .filter(user=request.user, role=Role.FUNCTIONAL_ADMIN)
        .exists()
    ):
        raise NotAllowed(_("This page is for functional administrators."))
    failures = {
        attempt.username: attempt.failures_since_start
        for attempt in AccessAttempt.objects.filter(username__in=[p.username for p in people])
    }
    rows = [
        {
            "person": person,
            "has_authenticator": confirmed_totp_device(person) is not None,
            "failures": failures.get(person.username, 0),
            "locked": failures.get(person.username, 0) >= settings.AXES_FAILURE_LIMIT,
        }
        for person in people
    ]
    return TemplateResponse(request, "staff/accounts.html", {"rows": rows})


@staff_page
@require_POST
def account_action(request, user_id, what):
    """Issue an activation code, reset the authenticator, or unlock the login of one person."""
    person = User.objects.filter(pk=user_id).first()
    if person is None:
        raise Http404
    require(request.user, "staff.manage_login", person, _("You may not manage this login."))
    context = {"person": person, "what": what}
    if what == "activation":
        context["code"] = actions.issue_activation(request.user, person)
        context["hours"] = settings.ACTIVATION_CODE_HOURS
    elif what == "reset":
        if request.POST.get("confirm") != "yes":
            raise KluisError(_("Tick the box to confirm the reset."))
        actions.reset_authenticator(request.user, person)
        context["code"] = actions.issue_activation(request.user, person)
        context["hours"] = settings.ACTIVATION_CODE_HOURS
    elif what == "unlock":
        actions.unlock_login(request.user, person)
    else:
        raise Http404
    return TemplateResponse(request, "staff/account_done.html", context)
