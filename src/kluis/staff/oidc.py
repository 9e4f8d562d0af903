"""Staff login through the municipality's own identity provider (OpenID Connect), optional.

Only people who already have a Kluis account get in: the claim named by OIDC_USERNAME_CLAIM
must equal their user name (or, failing that claim, their e-mail must match exactly one
account). Nobody is created here, because what a person may do comes from memberships that a
functional administrator grants. After this login Kluis still asks for its own TOTP code.
"""

from __future__ import annotations

from django.conf import settings
from mozilla_django_oidc.auth import OIDCAuthenticationBackend


class StaffOIDCBackend(OIDCAuthenticationBackend):
    def _claim(self) -> str:
        return getattr(settings, "OIDC_USERNAME_CLAIM", "preferred_username")

    def verify_claims(self, claims) -> bool:
        return bool(claims.get(self._claim()) or claims.get("email"))

    def filter_users_by_claims(self, claims):
        users = self.UserModel.objects.filter(is_active=True)
        name = claims.get(self._claim())
        if name:
            return users.filter(username=name)
        email = claims.get("email")
        if email:
            return users.filter(email__iexact=email)
        return users.none()

    def create_user(self, claims):  # pragma: no cover - OIDC_CREATE_USER is False
        return None
