"""The OpenAI-compatible backend against a model server on loopback that is down, slow, returns
garbage, then comes back: a clear message within the timeout each time, and the next question
answered once the server works (the real ``openai`` client; the server is a small fake)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from qa.errors import ModelError
from tests.conftest import free_port


class FakeServer(BaseHTTPRequestHandler):
    mode = "ok"

    def log_message(self, *args):  # quiet
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.mode == "slow":
            time.sleep(5)
        if self.mode == "garbage":
            body = b"<html>502 bad gateway</html>"
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for piece in ("ISIS-K was ", "established in 2015 [1]."):
            chunk = {
                "id": "x",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": "fake",
                "choices": [{"index": 0, "delta": {"role": "assistant", "content": piece}, "finish_reason": None}],
            }
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
        self.wfile.write(b"data: [DONE]\n\n")


@pytest.fixture
def model_server():
    port = free_port()
    httpd = ThreadingHTTPServer(("127.0.0.1", port), FakeServer)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield port, httpd
    httpd.shutdown()
    httpd.server_close()


def test_a_model_server_down_slow_or_garbled_is_a_clear_error_and_the_next_question_works(
    settings, sample_store, model_server
):
    from qa.factory import make_chain

    port, httpd = model_server
    settings = settings.model_copy(
        update={
            "backend": "openai",
            "openai_base_url": f"http://127.0.0.1:{port}/v1",
            "openai_model": "fake",
            "openai_timeout": 1.0,
            "verify_with_model": False,
        }
    )
    question = "When was ISIS-K established?"
    chain = make_chain(settings, sample_store)
    FakeServer.mode = "ok"
    assert "2015" in chain.ask(question).text

    for mode in ("slow", "garbage"):
        FakeServer.mode = mode
        started = time.monotonic()
        with pytest.raises(ModelError, match=f"model server at http://127.0.0.1:{port}/v1"):
            chain.ask(question)
        assert time.monotonic() - started < 15, f"{mode}: bounded by the timeout (and one retry)"

    httpd.shutdown()  # down
    httpd.server_close()
    with pytest.raises(ModelError, match="Is it running"):
        chain.ask(question)

    back = ThreadingHTTPServer(("127.0.0.1", port), FakeServer)  # back on the same address
    threading.Thread(target=back.serve_forever, daemon=True).start()
    try:
        FakeServer.mode = "ok"
        answer = chain.ask(question)
        assert not answer.abstained and "2015" in answer.text, "the next question works once it is back"
    finally:
        back.shutdown()
        back.server_close()
