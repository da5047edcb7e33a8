#!/usr/bin/python3
"""RTSP source showing a still 8-bit gray picture that the caller swaps on
command: the QR latency bench shows "no code", then "a phone with a code",
and times the scanner from the moment the code enters the stream.

Same server as rtsp-server.py (gst-rtsp-server, x264enc ultrafast and
zerolatency, rtph264pay, one shared media), with appsrc instead of
videotestsrc. Run with Debian's /usr/bin/python3 (see rtsp-server.py).

    /usr/bin/python3 rtsp-still-server.py PORT PATH WIDTHxHEIGHT FPS

stdin, one command per line:
    SHOW <file>    show the raw picture in <file> (WIDTH*HEIGHT bytes, GRAY8)
stdout:
    READY <port>   the server is listening
    SHOWN <file>   the first buffer of that picture went into the encoder
The server exits when stdin closes.
"""
import sys
import threading

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def main() -> None:
    port, path, size, fps = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    width, height = (int(v) for v in size.split("x"))
    Gst.init(None)

    state = {"frame": bytes([128]) * (width * height), "announce": None, "srcs": []}

    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(port)
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(
        f"( appsrc name=src is-live=true format=time do-timestamp=true "
        f"caps=video/x-raw,format=GRAY8,width={width},height={height},framerate={fps}/1 "
        f"! videoconvert ! video/x-raw,format=I420 "
        f"! x264enc tune=zerolatency speed-preset=ultrafast key-int-max={fps} "
        f"! rtph264pay name=pay0 pt=96 config-interval=1 )"
    )
    factory.set_shared(True)

    def on_configure(_factory, media):
        state["srcs"].append(media.get_element().get_child_by_name("src"))

    factory.connect("media-configure", on_configure)
    server.get_mount_points().add_factory(path, factory)
    if server.attach(None) == 0:
        print("ERROR cannot listen on port " + port, flush=True)
        sys.exit(1)

    def tick():
        pushed = False
        for src in state["srcs"]:
            ret = src.emit("push-buffer", Gst.Buffer.new_wrapped(state["frame"]))
            pushed = pushed or ret == Gst.FlowReturn.OK
        if pushed and state["announce"] is not None:
            print("SHOWN " + state["announce"], flush=True)
            state["announce"] = None
        return True

    GLib.timeout_add(max(1, round(1000 / fps)), tick)

    def show(name, data):
        state["frame"] = data
        state["announce"] = name
        return False

    loop = GLib.MainLoop()

    def read_stdin() -> None:
        for line in sys.stdin:
            line = line.strip()
            if line.startswith("SHOW "):
                name = line[5:]
                with open(name, "rb") as f:
                    data = f.read()
                if len(data) != width * height:
                    print(f"ERROR {name} is {len(data)} bytes, want {width * height}", flush=True)
                    continue
                GLib.idle_add(show, name, data)
        GLib.idle_add(loop.quit)

    threading.Thread(target=read_stdin, daemon=True).start()
    print("READY " + str(server.get_bound_port()), flush=True)
    loop.run()


if __name__ == "__main__":
    main()
