import pytest


@pytest.fixture
def guard(client_bt, site_bt):
    """A person of the test client who checks in and out."""
    from apps.peoples.services import create_person

    return create_person(
        author=None, username="guard", peoplecode="GRD01", peoplename="Gina Guard", client=client_bt, site=site_bt
    )
