"""The camera's local control interface (REC-1, REC-3, REC-4, REC-5)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from kluis.camera.controls import ControlServer

from .conftest import make_camera


def press(base, path, method="POST"):
    data = b"" if method == "POST" else None
    request = urllib.request.Request(base + path, method=method, data=data)  # noqa: S310
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (loopback http)
        return json.loads(response.read())


@pytest.mark.rule("REC-1", "REC-3", "REC-4", "REC-5")
def test_buttons_over_loopback_http(storage):
    camera = make_camera(storage, pre_record=2)
    control = ControlServer(camera, "127.0.0.1", 0)
    control.start()
    base = f"http://127.0.0.1:{control.address[1]}"
    try:
        camera.run(until=3, close=False)
        assert press(base, "/status", "GET")["state"] == "standby"
        press(base, "/warning?given=before")
        assert press(base, "/record")["state"] == "recording"
        camera.run(until=5, close=False)
        assert press(base, "/colleagues?present=true")["colleagues_present"] is True
        assert press(base, "/stop")["state"] == "stopping"
        camera.run(until=8, close=False)
        assert press(base, "/status", "GET")["state"] == "standby"
        with pytest.raises(urllib.error.HTTPError) as err:
            press(base, "/delete")
        assert err.value.code == 404
        with pytest.raises(urllib.error.HTTPError) as err:
            press(base, "/warning?given=maybe")
        assert err.value.code == 409
    finally:
        control.stop()
        camera.close()
    assert len(camera.finished) == 1


def test_control_interface_refuses_to_listen_beyond_loopback(storage):
    camera = make_camera(storage)
    with pytest.raises(ValueError, match="loopback"):
        ControlServer(camera, "0.0.0.0", 0)  # noqa: S104 (the point: it must refuse)
    camera.close()
