"""Kluis camera software: capture, pre-record ring buffer, sealed recorder and dock client.

This package is pure: it imports nothing from Django, so it runs on a small Linux device
(for example a Raspberry Pi with a V4L2 camera and a microphone) without the server installed.

What it guarantees, and which rule asks for it:

- standby keeps the policy's pre-record seconds of encoded footage in memory only (REC-1, REC-2);
- record starts a recording with that buffer, stop ends it, and the recording carries its
  metadata: officer, camera, start, stop, pre-record seconds, warning, colleagues (REC-3..REC-5);
- every byte of a recording goes straight into a sealed file encrypted to the organisation's key,
  which the camera cannot open again (CAM-1, CAM-3);
- a recording leaves the camera only through the dock, and is erased only after the server's
  signed receipt for exactly that recording (CAM-2).

There is deliberately no function or command to play, export or delete a recording here.
"""
