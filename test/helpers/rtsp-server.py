#!/usr/bin/python3
"""RTSP test source for the frame-source tests (test-rigs.md section 2).

GStreamer's gst-rtsp-server with a moving ball: videotestsrc pattern=ball,
x264enc (ultrafast, zerolatency), rtph264pay; one shared media for all
clients. Optional RTSP Digest auth.

Run with Debian's /usr/bin/python3 (python3-gi, gir1.2-gst-rtsp-server-1.0);
a pyenv python first on PATH has no `gi`.

    /usr/bin/python3 rtsp-server.py PORT PATH WIDTHxHEIGHT FPS [USER:PASSWORD]

Prints "READY <port>" once the server is attached, and exits when stdin
closes, so it never outlives the test process that started it.
"""
import sys
import threading

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402


def main() -> None:
    port, path, size, fps = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    creds = sys.argv[5] if len(sys.argv) > 5 else ""
    width, height = (int(v) for v in size.split("x"))
    Gst.init(None)

    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(port)
    factory = GstRtspServer.RTSPMediaFactory()
    # key-int-max = 1 s of frames: a client that (re)connects gets a keyframe soon.
    factory.set_launch(
        f"( videotestsrc pattern=ball is-live=true "
        f"! video/x-raw,width={width},height={height},framerate={fps}/1 "
        f"! x264enc tune=zerolatency speed-preset=ultrafast key-int-max={fps} "
        f"! rtph264pay name=pay0 pt=96 config-interval=1 )"
    )
    factory.set_shared(True)

    if creds:
        user, password = creds.split(":", 1)
        auth = GstRtspServer.RTSPAuth()
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
        token = GstRtspServer.RTSPToken()
        token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, "user")
        auth.add_digest(user, password, token)
        server.set_auth(auth)
        permissions = GstRtspServer.RTSPPermissions()
        permissions.add_permission_for_role("user", GstRtspServer.RTSP_PERM_MEDIA_FACTORY_ACCESS, True)
        permissions.add_permission_for_role("user", GstRtspServer.RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, True)
        factory.set_permissions(permissions)

    server.get_mount_points().add_factory(path, factory)
    if server.attach(None) == 0:
        print("ERROR cannot listen on port " + port, flush=True)
        sys.exit(1)

    loop = GLib.MainLoop()

    def watch_stdin() -> None:
        sys.stdin.read()
        GLib.idle_add(loop.quit)

    threading.Thread(target=watch_stdin, daemon=True).start()
    print("READY " + str(server.get_bound_port()), flush=True)
    loop.run()


if __name__ == "__main__":
    main()
