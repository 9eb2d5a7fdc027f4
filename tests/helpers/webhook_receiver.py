"""A webhook receiver for tests: an http.server on 127.0.0.1 in a thread that records what it gets."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(self, status: int = 200):
        self.status = status
        self.requests: list[dict] = []
        #: set to make the next POST hang (as a slow receiver would) until ``release`` is set or 30 s pass
        self.hold_next = False
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                receiver.requests.append(
                    {"path": self.path, "headers": self.headers, "body": body, "method": "POST"}
                )
                if receiver.hold_next:
                    receiver.hold_next = False
                    receiver.release.wait(timeout=30)
                    self.close_connection = True
                    return  # the sender gave up or died meanwhile: no answer
                self.send_response(receiver.status)
                self.end_headers()
                self.wfile.write(b"ok")

            def do_GET(self):
                receiver.requests.append(
                    {"path": self.path, "headers": self.headers, "body": b"", "method": "GET"}
                )
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(b"<!doctype html><title>callback</title><p>Back at the app.</p>")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.url = self.base + "/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def posts(self) -> list[dict]:
        return [r for r in self.requests if r.get("method") == "POST"]
