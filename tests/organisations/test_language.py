"""User-facing text is Dutch first, with English available."""

import pytest
from django.urls import reverse

from kluis.organisations.models import Role, User
from tests.factories import make_organisation, make_person
from tests.login import log_in


@pytest.mark.django_db
def test_admin_speaks_dutch_by_default_and_english_on_request(client):
    org = make_organisation()
    make_person(org, Role.FUNCTIONAL_ADMIN, "fa")
    assert log_in(client, User.objects.get(username="fa"))
    url = reverse("admin:organisations_municipality_changelist")
    assert "Gemeenten" in client.get(url).content.decode()
    english = client.get(url, headers={"accept-language": "en"}).content.decode()
    assert "Municipalities" in english and "Gemeenten" not in english
