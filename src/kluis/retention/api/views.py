"""Staff API for retention: status and holds of a recording, joint decisions, the brake.

Thin views: they find the object within the person's own organisations (ORG-1: anything else is
a 404) and call the actions, which check permission and write the audit trail. Errors leave as
RFC 9457 problem documents (kluis.core.problems), documented by kluis.core.schema.
"""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import generics, mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from kluis.core.permissions import can, require
from kluis.core.problems import NotFoundError
from kluis.core.schema import problem
from kluis.organisations.models import Organisation, User
from kluis.organisations.permissions import scoped
from kluis.recordings.models import Recording

from .. import actions
from ..models import DeletionDecision, Hold, MassDeletionRequest
from ..terms import preview_retention_change, status
from .serializers import (
    AdviceSerializer,
    DecisionSerializer,
    HoldSerializer,
    MassDeletionSerializer,
    NoteSerializer,
    PlaceHoldSerializer,
    PolicyPreviewRequestSerializer,
    PolicyPreviewSerializer,
    ProposeDecisionSerializer,
    ReasonSerializer,
    RetentionStatusSerializer,
)

DECISION_TAKEN = problem(gettext_lazy("The decision is already taken."))
RECORDING_DELETED = problem(gettext_lazy("The recording is deleted."))


class ScopedViewSet(viewsets.GenericViewSet):
    """Objects of the person's own organisations only: any other is a 404 (ORG-1)."""

    not_found = gettext_lazy("Not found.")

    def get_queryset(self):
        return scoped(self.request.user, super().get_queryset())

    def get_object(self):
        try:
            return super().get_object()
        except Http404:
            raise NotFoundError(str(self.not_found))

    def valid(self, serializer_class) -> dict:
        data = serializer_class(data=self.request.data)
        data.is_valid(raise_exception=True)
        return data.validated_data


class RecordingRetentionViewSet(ScopedViewSet):
    """A recording's retention: its status, and the holds and decisions placed on it."""

    queryset = Recording.objects.select_related("organisation")
    serializer_class = RetentionStatusSerializer
    lookup_value_converter = "uuid"
    not_found = gettext_lazy("No such recording.")

    @extend_schema(summary="Term, early grounds, holds and deletion date of one recording")
    def retrieve(self, request, pk):
        recording = self.get_object()
        require(request.user, "retention.view", recording)
        body = {"recording": recording.pk, **status(recording).__dict__}
        return Response(RetentionStatusSerializer(body).data)

    @extend_schema(
        request=PlaceHoldSerializer,
        responses={201: HoldSerializer, 409: RECORDING_DELETED},
        summary="Place a hold on a recording (RET-2)",
    )
    @action(detail=True, methods=["post"], serializer_class=PlaceHoldSerializer)
    def holds(self, request, pk):
        recording = self.get_object()
        hold = actions.place_hold(recording, actor=request.user, **self.valid(PlaceHoldSerializer))
        return Response(HoldSerializer(hold).data, status=201)

    @extend_schema(
        request=ProposeDecisionSerializer,
        responses={201: DecisionSerializer, 409: RECORDING_DELETED},
        summary="Propose deleting (early) or editing a recording (RET-5)",
    )
    @action(detail=True, methods=["post"], serializer_class=ProposeDecisionSerializer)
    def decisions(self, request, pk):
        recording = self.get_object()
        decision = actions.propose_decision(
            recording, actor=request.user, **self.valid(ProposeDecisionSerializer)
        )
        return Response(DecisionSerializer(decision).data, status=201)


class HoldViewSet(ScopedViewSet):
    """Holds keep a recording from deletion until their case is closed (RET-2)."""

    queryset = Hold.objects.all()
    serializer_class = HoldSerializer
    lookup_value_converter = "int"
    not_found = gettext_lazy("No such hold.")

    @extend_schema(
        request=NoteSerializer,
        responses=HoldSerializer,
        summary="Release a hold because its case is closed (RET-3, CPL-3)",
    )
    @action(detail=True, methods=["post"], serializer_class=NoteSerializer)
    def release(self, request, pk):
        hold = actions.release_hold(
            self.get_object(), actor=request.user, **self.valid(NoteSerializer)
        )
        return Response(HoldSerializer(hold).data)


class DecisionViewSet(ScopedViewSet):
    """Joint decisions to delete a recording early or to edit it: two sides approve (RET-5)."""

    queryset = DeletionDecision.objects.all()
    serializer_class = DecisionSerializer
    lookup_value_converter = "int"
    not_found = gettext_lazy("No such decision.")

    @extend_schema(
        request=None,
        responses={200: DecisionSerializer, 409: DECISION_TAKEN},
        summary="Approve a joint decision, as the officer's or the manager's side",
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk):
        decision = actions.approve_decision(self.get_object(), actor=request.user)
        return Response(DecisionSerializer(decision).data)

    @extend_schema(
        request=ReasonSerializer,
        responses={200: DecisionSerializer, 409: DECISION_TAKEN},
        summary="Refuse a joint decision",
    )
    @action(detail=True, methods=["post"], serializer_class=ReasonSerializer)
    def refuse(self, request, pk):
        decision = actions.refuse_decision(
            self.get_object(), actor=request.user, **self.valid(ReasonSerializer)
        )
        return Response(DecisionSerializer(decision).data)

    @extend_schema(
        request=AdviceSerializer,
        responses={200: DecisionSerializer, 409: DECISION_TAKEN},
        summary="Record the privacy officer's advice on a joint decision",
    )
    @action(detail=True, methods=["post"], serializer_class=AdviceSerializer)
    def advice(self, request, pk):
        decision = self.get_object()
        data = self.valid(AdviceSerializer)
        adviser = None
        if data.get("privacy_officer"):
            adviser = User.objects.filter(pk=data["privacy_officer"]).first()
            if adviser is None:
                raise NotFoundError(_("No such privacy officer."))
        decision = actions.record_privacy_advice(
            decision, advice=data["advice"], privacy_officer=adviser, actor=request.user
        )
        return Response(DecisionSerializer(decision).data)


class MassDeletionViewSet(mixins.ListModelMixin, ScopedViewSet):
    """The purges the brake stopped, waiting for two confirmations (docs/retention.md)."""

    queryset = MassDeletionRequest.objects.select_related("organisation")
    serializer_class = MassDeletionSerializer
    lookup_value_converter = "int"
    not_found = gettext_lazy("No such mass deletion.")

    @extend_schema(summary="Stopped purges this person may confirm")
    def list(self, request):
        waiting = self.get_queryset().filter(state=MassDeletionRequest.State.WAITING)
        mine = [r for r in waiting if can(request.user, "retention.confirm_mass_deletion", r)]
        return Response(MassDeletionSerializer(mine, many=True).data)

    @extend_schema(
        request=None,
        responses={
            200: MassDeletionSerializer,
            409: problem(gettext_lazy("The request is no longer waiting for confirmation.")),
        },
        summary="One of the two confirmations (functional administrator, manager)",
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk):
        confirmed = actions.confirm_mass_deletion(self.get_object(), actor=request.user)
        return Response(MassDeletionSerializer(confirmed).data)


class PolicyPreviewView(generics.GenericAPIView):
    """How many recordings a new retention period would make due at once (the brake)."""

    serializer_class = PolicyPreviewRequestSerializer

    @extend_schema(
        responses={
            200: PolicyPreviewSerializer,
            404: problem(gettext_lazy("No such organisation among the person's own.")),
        },
        summary="Preview a change of retention period; changes nothing",
    )
    def post(self, request):
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        organisation = (
            scoped(request.user, Organisation.objects.all(), "pk")
            .filter(slug=data.validated_data["organisation"])
            .first()
        )
        if organisation is None:
            raise NotFoundError(_("No such organisation."))
        require(request.user, "organisations.manage", organisation)
        preview = preview_retention_change(organisation, data.validated_data["retention_days"])
        body = {"organisation": organisation, **preview.__dict__}
        return Response(PolicyPreviewSerializer(body).data)
