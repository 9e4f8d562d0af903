"""Staff pages of organisations: role requests waiting for a second person (ACC-1, ORG-4).

An administrator's request for a footage role or a reporting line (made in the admin, through
`actions.request_role`/`request_reporting_line`) shows here to the people who may confirm it:
the privacy officer, and for an officer-level role in a team also that team's manager or deputy
(`rules`: "organisations.confirm_request"). The actions check everything again.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kluis.core.gate import staff_page
from kluis.core.permissions import can
from kluis.core.problems import NotAllowed

from . import actions
from .models import RoleRequest
from .permissions import organisation_ids


def _visible(user):
    return RoleRequest.objects.filter(organisation__in=organisation_ids(user)).select_related(
        "organisation", "user", "manager", "team", "requested_by", "decided_by"
    )


@staff_page
def requests(request):
    """Requests this person may confirm, and those they asked for themselves."""
    pending = _visible(request.user).filter(state=RoleRequest.State.PENDING)
    to_confirm = [r for r in pending if can(request.user, "organisations.confirm_request", r)]
    asked = list(
        _visible(request.user).filter(requested_by=request.user).order_by("-requested_at")[:50]
    )
    return TemplateResponse(
        request, "organisations/requests.html", {"to_confirm": to_confirm, "asked": asked}
    )


@staff_page
@require_POST
def decide(request, pk):
    req = get_object_or_404(_visible(request.user), pk=pk)
    if not can(request.user, "organisations.confirm_request", req):
        raise NotAllowed(_("You may not confirm or refuse this request."))
    if request.POST.get("decision") == "confirm":
        actions.confirm_request(req, actor=request.user)
        messages.success(request, _("Confirmed: it takes effect now."))
    else:
        actions.refuse_request(req, actor=request.user, reason=request.POST.get("reason", ""))
        messages.success(request, _("Refused: nothing changes."))
    return redirect("organisations:requests")
