"""Staff API for retention: status and holds of a recording, joint decisions, the brake.

Thin views: they find the object within the person's own organisations (ORG-1: anything else is
a 404) and call the actions, which check permission and write the audit trail. Errors leave as
RFC 9457 problem documents (kluis.core.problems).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from kluis.core.problems import NotFoundError
from kluis.organisations.models import Organisation, User
from kluis.organisations.permissions import require, scoped

from . import actions
from .models import DeletionDecision, Hold, MassDeletionRequest
from .terms import preview_retention_change, status


def _recording(request, pk):
    from kluis.recordings.models import Recording

    rec = scoped(request.user, Recording.objects.select_related("organisation")).filter(pk=pk)
    found = rec.first()
    if found is None:
        raise NotFoundError(_("No such recording."))
    return found


def _scoped(request, model, pk):
    found = scoped(request.user, model.objects.all()).filter(pk=pk).first()
    if found is None:
        raise NotFoundError(_("Not found."))
    return found


def _time(value):
    return value.isoformat() if value else None


def _hold(hold: Hold) -> dict:
    return {
        "id": hold.pk,
        "recording": str(hold.recording_id),
        "reason": hold.reason,
        "case_reference": hold.case_reference,
        "placed_at": _time(hold.placed_at),
        "released_at": _time(hold.released_at),
    }


def _decision(d: DeletionDecision) -> dict:
    return {
        "id": d.pk,
        "recording": str(d.recording_id),
        "kind": d.kind,
        "state": d.state,
        "officer_approved_at": _time(d.officer_approved_at),
        "manager_approved_at": _time(d.manager_approved_at),
        "privacy_advice": d.privacy_advice,
    }


def _request(r: MassDeletionRequest) -> dict:
    return {
        "id": r.pk,
        "organisation": r.organisation.slug,
        "due_count": r.due_count,
        "threshold": r.threshold,
        "median_daily": r.median_daily,
        "state": r.state,
        "admin_confirmed": r.admin_confirmed_by_id is not None,
        "manager_confirmed": r.manager_confirmed_by_id is not None,
        "created_at": _time(r.created_at),
    }


#: Free text a person types (a reason, an advice); the audit trail keeps at most 10,000 characters.
TEXT_MAX_LENGTH = 4000


class HoldIn(serializers.Serializer):
    reason = serializers.ChoiceField(choices=Hold.Reason.choices)
    case_reference = serializers.CharField(max_length=120)
    note = serializers.CharField(max_length=500, required=False, default="")


class NoteIn(serializers.Serializer):
    note = serializers.CharField(max_length=500, required=False, default="")


class DecisionIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DeletionDecision.Kind.choices)
    reason = serializers.CharField(max_length=TEXT_MAX_LENGTH)


class ReasonIn(serializers.Serializer):
    reason = serializers.CharField(max_length=TEXT_MAX_LENGTH, required=False, default="")


class AdviceIn(serializers.Serializer):
    advice = serializers.CharField(max_length=TEXT_MAX_LENGTH)
    privacy_officer = serializers.UUIDField(required=False)


class PreviewIn(serializers.Serializer):
    organisation = serializers.SlugField()
    retention_days = serializers.IntegerField(min_value=1, max_value=3650)


def _valid(serializer_class, request) -> dict:
    s = serializer_class(data=request.data)
    s.is_valid(raise_exception=True)
    return s.validated_data


class RecordingRetentionView(APIView):
    """GET: term, early grounds, holds and deletion date of one recording (metadata only)."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, pk):
        rec = _recording(request, pk)
        require(request.user, "retention.view", rec)
        st = status(rec)
        return Response(
            {
                "recording": str(rec.pk),
                "term_end": _time(st.term_end),
                "early_deletion_from": _time(st.early_deletion_from),
                "early_deletion_grounds": st.early_deletion_grounds,
                "deletion_due": _time(st.deletion_due),
                "deletion_state": st.deletion_state,
                "holds": [_hold(h) for h in st.active_holds],
            }
        )


class HoldsView(APIView):
    """POST: place a hold on a recording (RET-2)."""

    @extend_schema(request=HoldIn, responses=OpenApiTypes.OBJECT)
    def post(self, request, pk):
        rec = _recording(request, pk)
        data = _valid(HoldIn, request)
        hold = actions.place_hold(rec, actor=request.user, **data)
        return Response(_hold(hold), status=201)


class ReleaseHoldView(APIView):
    """POST: release a hold because its case is closed (RET-3, CPL-3)."""

    @extend_schema(request=NoteIn, responses=OpenApiTypes.OBJECT)
    def post(self, request, pk):
        hold = _scoped(request, Hold, pk)
        hold = actions.release_hold(hold, actor=request.user, **_valid(NoteIn, request))
        return Response(_hold(hold))


class DecisionsView(APIView):
    """POST: propose deleting (early) or editing a recording (RET-5)."""

    @extend_schema(request=DecisionIn, responses=OpenApiTypes.OBJECT)
    def post(self, request, pk):
        rec = _recording(request, pk)
        decision = actions.propose_decision(rec, actor=request.user, **_valid(DecisionIn, request))
        return Response(_decision(decision), status=201)


class ApproveDecisionView(APIView):
    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def post(self, request, pk):
        decision = actions.approve_decision(
            _scoped(request, DeletionDecision, pk), actor=request.user
        )
        return Response(_decision(decision))


class RefuseDecisionView(APIView):
    @extend_schema(request=ReasonIn, responses=OpenApiTypes.OBJECT)
    def post(self, request, pk):
        decision = actions.refuse_decision(
            _scoped(request, DeletionDecision, pk),
            actor=request.user,
            **_valid(ReasonIn, request),
        )
        return Response(_decision(decision))


class AdviceView(APIView):
    @extend_schema(request=AdviceIn, responses=OpenApiTypes.OBJECT)
    def post(self, request, pk):
        data = _valid(AdviceIn, request)
        adviser = None
        if data.get("privacy_officer"):
            adviser = User.objects.filter(pk=data["privacy_officer"]).first()
            if adviser is None:
                raise NotFoundError(_("No such privacy officer."))
        decision = actions.record_privacy_advice(
            _scoped(request, DeletionDecision, pk),
            advice=data["advice"],
            privacy_officer=adviser,
            actor=request.user,
        )
        return Response(_decision(decision))


class MassDeletionsView(APIView):
    """GET: purges the brake stopped, waiting for confirmation, in the person's organisations."""

    @extend_schema(responses={200: {"type": "array", "items": {"type": "object"}}})
    def get(self, request):
        qs = scoped(request.user, MassDeletionRequest.objects.select_related("organisation"))
        qs = qs.filter(state=MassDeletionRequest.State.WAITING)
        return Response([_request(r) for r in qs if _may_confirm(request.user, r)])


def _may_confirm(user, req) -> bool:
    from kluis.organisations.permissions import can

    return can(user, "retention.confirm_mass_deletion", req)


class ConfirmMassDeletionView(APIView):
    """POST: one of the two confirmations (functional administrator, manager) of the brake."""

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def post(self, request, pk):
        req = actions.confirm_mass_deletion(
            _scoped(request, MassDeletionRequest, pk), actor=request.user
        )
        return Response(_request(req))


class PolicyPreviewView(APIView):
    """POST: how many recordings a new retention period would make due at once (the brake)."""

    @extend_schema(request=PreviewIn, responses=OpenApiTypes.OBJECT)
    def post(self, request):
        data = _valid(PreviewIn, request)
        org = (
            scoped(request.user, Organisation.objects.all(), "pk")
            .filter(slug=data["organisation"])
            .first()
        )
        if org is None:
            raise NotFoundError(_("No such organisation."))
        require(request.user, "organisations.manage", org)
        preview = preview_retention_change(org, data["retention_days"])
        return Response(
            {
                "organisation": org.slug,
                "old_days": preview.old_days,
                "new_days": preview.new_days,
                "newly_due": preview.newly_due,
                "newly_past_term_held": preview.newly_past_term_held,
            }
        )
