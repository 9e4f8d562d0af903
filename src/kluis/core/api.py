"""API defaults shared by every app."""

from rest_framework.permissions import BasePermission


class IsVerifiedPerson(BasePermission):
    """A person logged in with password and second factor (TOTP), as on the staff pages.

    The default for every staff endpoint: a session that has a password but no code yet (a
    person setting up their authenticator app) reaches nothing. Cameras authenticate with their
    own signatures and state their own permission class.
    """

    def has_permission(self, request, view):
        user = request.user
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return False
        is_verified = getattr(user, "is_verified", None)
        return bool(is_verified and is_verified())
