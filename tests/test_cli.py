"""The ``conflict-qa`` command as a user runs it, in a subprocess under a network guard."""

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT, SAMPLE


@pytest.fixture
def cli(tmp_path):
    log = tmp_path / "network-attempts.log"
    env = {
        **os.environ,
        "CONFLICT_QA_DATA_DIR": str(tmp_path / "data"),
        "PYTHONPATH": str(ROOT / "tests" / "netguard"),
        "NETGUARD_LOG": str(log),
    }
    env.pop("HF_HUB_OFFLINE", None)  # the app must set it itself

    def run(*args, ok=(0,), extra_env=None):
        proc = subprocess.run(
            [sys.executable, "-m", "qa", *args],
            cwd=tmp_path,
            env={**env, **(extra_env or {})},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode in ok, proc.stderr
        return proc

    run.network_log = log
    return run


def test_ingest_json_then_reingest_skips(cli):
    first = json.loads(cli("ingest", str(SAMPLE), "--json").stdout)
    assert set(first) >= {"added", "updated", "skipped", "failed", "chunks_added", "seconds"}
    assert len(first["added"]) == 1 and first["chunks_added"] > 0 and first["failed"] == []
    added = first["added"][0]
    assert added["source"] == str(SAMPLE) and added["title"].startswith("ISIS-K Continues") and added["doc_id"]
    again = json.loads(cli("ingest", str(SAMPLE), "--json").stdout)
    assert again["added"] == [] and again["skipped"] == first["added"] and again["chunks_added"] == 0


def test_failed_input_exits_1_and_is_reported(cli, tmp_path):
    (tmp_path / "empty.txt").write_text("   \n")
    proc = cli("ingest", str(SAMPLE), str(tmp_path / "empty.txt"), "--json", ok=(1,))
    out = json.loads(proc.stdout)
    assert len(out["added"]) == 1
    assert [f["source"] for f in out["failed"]] == [str(tmp_path / "empty.txt")]
    assert out["failed"][0]["error"]


def test_off_topic_ask_abstains_offline_without_a_model(cli):
    cli("ingest", str(SAMPLE), "--json")
    proc = cli("ask", "Best recipe for lemon cake?", "--json")
    out = json.loads(proc.stdout)
    assert out["abstained"] is True and out["citations"] == []
    assert set(out) >= {"question", "answer", "abstained", "citations", "passages", "timings"}
    assert set(out["timings"]) == {"retrieve_s", "first_token_s", "total_s"}
    assert {"n", "doc_id", "title", "source", "url", "published", "page", "text", "score"} <= set(out["passages"][0])
    assert not cli.network_log.exists(), cli.network_log.read_text()


def test_docs_list_and_remove(cli):
    added = json.loads(cli("ingest", str(SAMPLE), "--json").stdout)["added"][0]["doc_id"]
    docs = json.loads(cli("docs", "list", "--json").stdout)
    assert [(d["doc_id"], d["chunks"] > 0) for d in docs] == [(added, True)]
    assert docs[0]["title"].startswith("ISIS-K Continues")
    cli("docs", "remove", str(SAMPLE))
    assert json.loads(cli("docs", "list", "--json").stdout) == []
    assert cli("docs", "remove", "nope", ok=(1,)).stderr


def test_config_redacts_secrets(cli):
    out = cli("config", extra_env={"CONFLICT_QA_OPENAI_API_KEY": "sk-secret-value"}).stdout
    assert "sk-secret-value" not in out and "**********" in out


def test_user_error_is_one_line_not_a_traceback(cli):
    proc = cli("ask", "When?", "--as-of", "March 2024", ok=(2,))
    assert "YYYY-MM-DD" in proc.stderr and "Traceback" not in proc.stderr


def test_secrets_appear_in_no_output_log_report_or_error(cli, tmp_path):
    """The API key and the app login, set for every command: none of what the commands print, log
    (--debug), write (eval reports) or say when they fail holds either of them."""
    key, login = "sk-TOPSECRET-4242", "ana:pw-TOPSECRET-8181"
    secret_env = {
        "CONFLICT_QA_OPENAI_API_KEY": key,
        "CONFLICT_QA_AUTH": login,
        "CONFLICT_QA_BACKEND": "openai",
        "CONFLICT_QA_OPENAI_BASE_URL": "http://127.0.0.1:9/v1",  # nothing listens: the call fails
        "CONFLICT_QA_OPENAI_MODEL": "local",
    }
    outputs = []
    for args, ok in (
        (("--debug", "config"), (0,)),
        (("--debug", "ingest", str(SAMPLE), "--json"), (0,)),
        (("--debug", "ask", "When was ISIS-K established?", "--in-process"), (0, 1)),
        (
            ("--debug", "eval", str(ROOT / "eval" / "questions.jsonl"), "--first", "2", "--out", str(tmp_path / "r")),
            (0, 1),
        ),
    ):
        proc = cli(*args, ok=ok, extra_env=secret_env)
        outputs += [proc.stdout, proc.stderr]
        if "ask" in args:
            asked = proc
    outputs += [p.read_text(errors="replace") for p in (tmp_path / "r").glob("*.json")]
    outputs += [p.read_text(errors="replace") for p in (tmp_path / "r").glob("*.md")]
    assert asked.returncode == 1 and "127.0.0.1:9" in asked.stderr, "the model server was called and failed"
    for text in outputs:
        assert key not in text and "TOPSECRET" not in text


def test_ask_prints_a_withheld_draft_then_the_second_answer(cli):
    """Second draft on: the model server's first reply names a year the passage lacks, its second
    reply (to the evidence-first prompt) is stated there."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from tests.conftest import free_port

    replies = iter(
        [
            "ISIS-K was established in 1987 [1].",
            'Evidence: "ISIS-K was established in 2015" [1]\nAnswer: ISIS-K was established in 2015 [1].',
        ]
    )

    class Server(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            delta = {"role": "assistant", "content": next(replies)}
            chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "fake"}
            chunk["choices"] = [{"index": 0, "delta": delta, "finish_reason": None}]
            self.wfile.write(f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n".encode())

    port = free_port()
    httpd = ThreadingHTTPServer(("127.0.0.1", port), Server)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    env = {
        "CONFLICT_QA_BACKEND": "openai",
        "CONFLICT_QA_OPENAI_BASE_URL": f"http://127.0.0.1:{port}/v1",
        "CONFLICT_QA_OPENAI_MODEL": "fake",
        "CONFLICT_QA_SECOND_DRAFT": "true",
        "CONFLICT_QA_VERIFY_WITH_MODEL": "false",
    }
    try:
        cli("ingest", str(SAMPLE), "--json")
        out = cli("ask", "When was ISIS-K established?", "--in-process", extra_env=env).stdout
    finally:
        httpd.shutdown()
        httpd.server_close()
    first, _, second = out.partition("A second answer:")
    assert "1987" in first and "Withheld (sentences:" in " ".join(first.split()), out
    assert "established in 2015 [1]" in second and "1987" not in second and "Evidence" not in second
    assert "Cited passages" in second
