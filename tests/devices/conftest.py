from tests.recordings.conftest import enrol, footage_store, seaweed  # noqa: F401  (shared fixtures)
