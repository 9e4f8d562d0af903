import pytest

from tests.viewing.world import build_world


@pytest.fixture
def storage_dirs(settings, tmp_path):
    settings.STORAGE_URL = f"file://{tmp_path / 'footage'}"
    settings.UPLOAD_DIR = tmp_path / "incoming"
    return tmp_path


@pytest.fixture
def world(db, client, storage_dirs):
    """Every role around one ingested recording of `world.officer` (H2O policy)."""
    w = build_world(client)
    client.logout()
    return w
