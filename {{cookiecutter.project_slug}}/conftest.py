"""Fixtures every app's tests share: a client with a site, a staff author, an API client."""

import uuid

import pytest


@pytest.fixture(autouse=True)
def fresh_signin_counters(settings):
    """Each test counts failed sign-ins afresh: the shared cache (Redis) keeps other runs' counts."""
    settings.SIGNIN_THROTTLE_NAMESPACE = f"signin-test-{uuid.uuid4().hex}"


@pytest.fixture
def client_bt(db):
    from apps.onboarding.models import Bt

    return Bt.objects.create(bucode="ACME", buname="Acme Facilities", identifier=Bt.Identifier.CLIENT)


@pytest.fixture
def site_bt(client_bt):
    from apps.onboarding.models import Bt

    return Bt.objects.create(bucode="ACME-HQ", buname="Acme HQ", identifier=Bt.Identifier.SITE, parent=client_bt)


@pytest.fixture
def author(client_bt, site_bt):
    """A staff person belonging to the test client and site."""
    from apps.peoples.services import create_person

    return create_person(
        author=None,
        username="author",
        peoplecode="AUTH01",
        peoplename="Ada Author",
        password="correct horse battery staple",
        client=client_bt,
        site=site_bt,
        is_staff=True,
    )


@pytest.fixture
def member(client_bt, site_bt):
    """Make a non-staff person holding one role: ``member("supervisor")``, of the test client by default."""
    from apps.peoples.services import create_person

    made = []

    def make(role, *, username=None, client=None, site=None):
        made.append(role)
        name = username or f"{role}{len(made)}"
        return create_person(
            author=None,
            username=name,
            peoplecode=name.upper(),
            peoplename=name.title(),
            password="correct horse battery staple",
            client=client or client_bt,
            site=site or (site_bt if client is None else None),
            roles=[role],
        )

    return make


@pytest.fixture
def api_client(author):
    """A DRF client signed in as ``author``."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(author)
    return client


@pytest.fixture
def web_client(client, author):
    """Django's test client with a session for ``author``."""
    client.force_login(author)
    return client


@pytest.fixture(name="assert_all_or_nothing")
def assert_all_or_nothing_fixture(db):
    """``apps.core.testing.assert_all_or_nothing`` with database access for the test, without an import.

    ``def test_x(assert_all_or_nothing, author): assert_all_or_nothing(lambda: my_service(author=author))``.
    Mark the test ``django_db(transaction=True)`` to have the operation really commit each time.
    """
    from apps.core.testing import assert_all_or_nothing

    return assert_all_or_nothing


@pytest.fixture(
    params=[
        pytest.param("test-transaction", marks=pytest.mark.django_db),
        pytest.param("real-commits", marks=pytest.mark.django_db(transaction=True)),
    ]
)
def each_transaction_mode(request):
    """Run the test twice: inside the test's rolled-back transaction, and with real commits."""
    return request.param
