"""The ingest and camera endpoints are in the OpenAPI schema, and it still generates."""


def test_openapi_schema_lists_the_camera_endpoints(client, db):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    text = response.content.decode()
    for path in (
        "/api/v1/cameras/enrol/",
        "/api/v1/cameras/me/",
        "/api/v1/ingest/uploads/",
        "/api/v1/ingest/uploads/{recording_id}/",
        "application/offset+octet-stream",
        "cameraSignature",
    ):
        assert path in text, path
