"""A real receiver on 127.0.0.1 that checks every message's signature with the
`standardwebhooks` package, the setting that lets Accord send to it, and a subscriber."""

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from accord.webhooks import actions

LOOPBACK = ["127.0.0.0/8", "::1/128"]


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    verified: dict | None  # the payload, if the signature checked out with the receiver's secret
    problem: str = ""


@dataclass
class Receiver:
    """Answers each POST with the next of `answers` (status, body), then 200; rejects a
    message whose signature does not verify with `secret` (401)."""

    url: str = ""
    secret: str = ""
    answers: list[tuple[int, str]] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    extra_headers: dict[str, str] = field(default_factory=dict)

    def payloads(self) -> list[dict]:
        return [r.verified for r in self.received]


@pytest.fixture
def allow_loopback(settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = LOOPBACK


@pytest.fixture
def receiver(allow_loopback):
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            headers = {k.lower(): v for k, v in self.headers.items()}
            verified, problem = None, ""
            try:
                verified = Webhook(state.secret).verify(body, headers)
            except WebhookVerificationError as error:
                problem = str(error)
            state.received.append(Received(headers, body, verified, problem))
            status, text = state.answers.pop(0) if state.answers else (200, '{"ok": true}')
            if problem:
                status, text = 401, json.dumps({"error": problem})
            self.send_response(status)
            for name, value in state.extra_headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(text.encode())

        def log_message(self, *args):  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/accord"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def subscribe(cast, receiver):
    """Subscribe the receiver (as ada, unless told) to `kinds`; the receiver learns the secret."""

    def make(*kinds, who="ada", url=None):
        subscription, secret = actions.create_subscription(
            cast[who], url=url or receiver.url, kinds=kinds, description="test receiver"
        )
        receiver.secret = secret
        return subscription

    return make
