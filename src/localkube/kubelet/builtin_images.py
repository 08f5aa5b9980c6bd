"""The built-in stand-ins of images run without a command (see images.py): `pause` and `nginx`.
Runs inside the container as `python -m localkube.kubelet.builtin_images NAME`."""

from __future__ import annotations

import http.server
import os
import signal
import sys
import threading
from functools import partial

NGINX_ROOT = "/usr/share/nginx/html"
WELCOME = b"""<!DOCTYPE html>
<html><head><title>Welcome to nginx!</title></head>
<body><h1>Welcome to nginx!</h1>
<p>localkube's built-in stand-in for the nginx image.</p></body></html>
"""


def pause() -> None:
    """Sleep until SIGTERM or SIGINT, then exit 0, as the pause image does."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.wait(3600):
        pass


class _Handler(http.server.SimpleHTTPRequestHandler):
    server_version = "nginx"
    sys_version = ""

    def do_GET(self) -> None:
        if os.path.isdir(self.directory) or self.path not in ("/", "/index.html"):
            super().do_GET()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(WELCOME)))
        self.end_headers()
        self.wfile.write(WELCOME)


def nginx(port: int = 80) -> None:
    """Serve HTTP on port 80 (the nginx image's default) until SIGTERM."""
    handler = partial(_Handler, directory=NGINX_ROOT)
    server = http.server.ThreadingHTTPServer(("", port), handler)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    server.serve_forever()


def main() -> None:
    programs = {"pause": pause, "nginx": nginx}
    name = sys.argv[1] if len(sys.argv) > 1 else ""
    if name not in programs:
        sys.exit(f"unknown built-in image {name!r}; known: {', '.join(programs)}")
    programs[name]()


if __name__ == "__main__":
    main()
