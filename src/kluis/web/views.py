"""Staff pages: login with TOTP, home per role, recording lists and a recording's page."""

from __future__ import annotations

import base64
import io

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
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

from kluis.core.problems import KluisError, NotAllowed
from kluis.organisations.models import Membership, Role
from kluis.organisations.people import sees_footage
from kluis.organisations.permissions import can, require

from . import actions, queries
from .auth import check_second_factor, confirmed_totp_device, is_verified, staff_page
from .forms import CodeForm, LoginForm


def _next_url(request, default="web:home"):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(default)


@sensitive_post_parameters("password", "code")
@csrf_protect
@never_cache
def login(request):
    """Password and TOTP code on one form. Without a device yet: password, then set one up."""
    if is_verified(request.user):
        return redirect(_next_url(request))
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = authenticate(
            request,
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password"],
        )
        if user is None:
            form.add_error(None, _("The user name or password is not right."))
        elif confirmed_totp_device(user) is None:
            auth_login(request, user)
            return redirect("web:totp-setup")
        else:
            device = check_second_factor(user, form.cleaned_data["code"])
            if device is None:
                form.add_error(
                    "code", _("Enter the six-digit code your authenticator app shows now.")
                )
            else:
                auth_login(request, user)
                otp_login(request, device)
                return redirect(_next_url(request))
    oidc_url = None
    if getattr(settings, "OIDC_ENABLED", False):
        oidc_url = _reverse_or_none("web:oidc_authentication_init") or _reverse_or_none(
            "oidc_authentication_init"
        )
    return TemplateResponse(
        request,
        "web/login.html",
        {"form": form, "next": request.GET.get("next", ""), "oidc_url": oidc_url},
        status=400 if form.errors else 200,
    )


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def totp_setup(request):
    """First login: scan the QR code (or type the key), then confirm with the first code."""
    user = request.user
    if not user.is_authenticated:
        return redirect("web:login")
    if confirmed_totp_device(user) is not None and not is_verified(user):
        # Replacing a device needs the old one: log in with it first.
        return redirect("web:login")
    device = actions.pending_totp_device(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.confirm_totp_device(user, device, form.cleaned_data["code"])
        except KluisError as error:
            form.add_error("code", error.detail)
        else:
            otp_login(request, device)
            return redirect("web:home")
    return TemplateResponse(
        request,
        "web/totp_setup.html",
        {
            "form": form,
            "qr_data_uri": _qr_data_uri(device.config_url),
            "secret": base64.b32encode(device.bin_key).decode(),
        },
        status=400 if form.errors else 200,
    )


def _qr_data_uri(text: str) -> str:
    """The QR code as an SVG data URI for an <img>, which every browser draws as it is."""
    import qrcode
    import qrcode.image.svg

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
        return redirect("web:login")
    if is_verified(user):
        return redirect(_next_url(request))
    if confirmed_totp_device(user) is None:
        return redirect("web:totp-setup")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = check_second_factor(user, form.cleaned_data["code"])
        if device is None:
            form.add_error("code", _("Enter the six-digit code your authenticator app shows now."))
        else:
            otp_login(request, device)
            return redirect(_next_url(request))
    return TemplateResponse(
        request,
        "web/login_code.html",
        {"form": form, "next": request.GET.get("next", "")},
        status=400 if form.errors else 200,
    )


@require_POST
@csrf_protect
def logout(request):
    auth_logout(request)
    return redirect("web:login")


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
        from kluis.viewing.models import ViewingSession

        context["waiting"] = (
            ViewingSession.objects.filter(
                participants__user=request.user,
                participants__confirmed_at__isnull=True,
                state__in=[ViewingSession.State.PENDING, ViewingSession.State.OPEN],
            )
            .select_related("recording")
            .distinct()
        )
    return TemplateResponse(request, "web/home.html", context)


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
        "web/recording_list.html",
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
        "web/recording_list.html",
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
        return reverse("custody-report", args=[str(recording.pk)])
    except NoReverseMatch:
        return None


@staff_page
@require_GET
def recording_detail(request, recording_id):
    """Metadata, holds, deletion date, viewings and the chain of custody of one recording."""
    from kluis.recordings.models import Recording
    from kluis.viewing.models import ViewingSession

    recording = (
        Recording.objects.select_related("organisation", "team", "camera", "officer")
        .filter(pk=recording_id)
        .first()
    )
    if recording is None:
        raise Http404
    require(request.user, "web.view_recording", recording, _("You may not see this recording."))
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
        "web/recording_detail.html",
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
