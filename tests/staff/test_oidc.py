"""Optional login through the municipality's identity provider: existing accounts only."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse

from kluis.organisations.models import Role
from tests.factories import make_organisation, make_person

OIDC = {
    "OIDC_ENABLED": True,
    "OIDC_RP_CLIENT_ID": "kluis",
    "OIDC_RP_CLIENT_SECRET": "secret",
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "https://idp.example/authorize",
    "OIDC_OP_TOKEN_ENDPOINT": "https://idp.example/token",
    "OIDC_OP_USER_ENDPOINT": "https://idp.example/userinfo",
    "OIDC_OP_JWKS_ENDPOINT": "https://idp.example/jwks",
    "OIDC_RP_SIGN_ALGO": "RS256",
    "OIDC_CREATE_USER": False,
    "OIDC_USERNAME_CLAIM": "preferred_username",
}


@pytest.fixture
def backend(db):
    from kluis.staff.oidc import StaffOIDCBackend

    with override_settings(**OIDC):
        yield StaffOIDCBackend()


def test_only_existing_accounts_get_in(backend, monkeypatch):
    org = make_organisation()
    person = make_person(org, Role.OFFICER, "boa")
    person.email = "boa@gemeente.example"
    person.save()
    assert list(backend.filter_users_by_claims({"preferred_username": "boa"})) == [person]
    assert list(backend.filter_users_by_claims({"email": "BOA@gemeente.example"})) == [person]
    assert not backend.filter_users_by_claims({"preferred_username": "stranger"}).exists()
    monkeypatch.setattr(backend, "get_userinfo", lambda *a: {"preferred_username": "stranger"})
    with override_settings(**OIDC):
        assert backend.get_or_create_user("token", "id", {}) is None
    from kluis.organisations.models import User

    assert not User.objects.filter(username="stranger").exists()
    person.is_active = False
    person.save()
    assert not backend.filter_users_by_claims({"preferred_username": "boa"}).exists()


def test_claims_must_name_the_person(backend):
    assert not backend.verify_claims({"sub": "123"})
    assert backend.verify_claims({"preferred_username": "boa"})


@override_settings(ROOT_URLCONF="tests.staff.oidc_urls", **OIDC)
def test_login_page_offers_the_identity_provider(client, db):
    html = client.get(reverse("staff:login")).content.decode()
    assert reverse("oidc_authentication_init") in html


def test_without_oidc_the_login_page_has_no_such_link(client, db):
    assert "/oidc/" not in client.get(reverse("staff:login")).content.decode()
