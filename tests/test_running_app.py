"""`conflict-qa ask` answers through a running app when one is up, and says so."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from qa.cli import app
from qa.ui.running import announce, announced_url, app_file, withdraw
from tests.browser_util import free_port, serve
from tests.fakes import RecordingChatModel

Q = "When was ISIS-K established?"


@pytest.fixture
def settings(settings):
    return settings.model_copy(update={"verify_with_model": False})


@pytest.fixture
def cli(settings, monkeypatch):
    """``conflict-qa`` in this process on the test's data directory; loading a model here fails."""
    monkeypatch.setenv("CONFLICT_QA_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("CONFLICT_QA_VERIFY_WITH_MODEL", "false")

    def no_local_model(*a, **kw):
        raise AssertionError("the model was loaded in-process")

    monkeypatch.setattr("qa.backends.chat.make_chat_model", no_local_model)

    def run(*args: str, code: int = 0):
        result = CliRunner().invoke(app, list(args))
        assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
        return result

    return run


def test_ask_with_app_answers_through_it_and_says_so(settings, sample_store, cli):
    model = RecordingChatModel.replying("ISIS-K was established in 2015 [1].")
    with serve(settings, store=sample_store, chat_model=model) as (url, _):
        result = cli("ask", Q, "--app", url, "--json")
    answer = json.loads(result.stdout)
    assert answer["question"] == Q and "2015" in answer["answer"] and answer["citations"][0]["n"] == 1
    assert f"answered by the running app at {url}" in result.stderr
    assert len(model.calls) == 1, "the app's model wrote the answer"


def test_ask_finds_the_app_chat_announced_in_the_data_directory(settings, sample_store, cli):
    model = RecordingChatModel.replying("ISIS-K was established in 2015 [1].")
    with serve(settings, store=sample_store, chat_model=model) as (url, _):
        announce(settings, url)
        result = cli("ask", Q)
        withdraw(settings)
    assert "running app" in result.stderr
    assert "2015" in result.stdout and "Cited passages" in result.stdout
    assert not app_file(settings).exists()


def test_an_announcement_left_by_a_killed_app_is_ignored(settings):
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    app_file(settings).parent.mkdir(parents=True, exist_ok=True)
    app_file(settings).write_text(json.dumps({"url": "http://127.0.0.1:9", "pid": int(proc.stdout)}))
    assert announced_url(settings) is None
    announce(settings, "http://127.0.0.1:7860/")
    assert announced_url(settings) == "http://127.0.0.1:7860"
    assert json.loads(app_file(settings).read_text())["pid"] == os.getpid()


def test_an_announced_app_that_does_not_answer_falls_back_to_loading_here(settings, cli, monkeypatch):
    announce(settings, f"http://127.0.0.1:{free_port()}")
    result = cli("ask", Q, code=1)  # the in-process path was taken (and refused by the test's guard)
    assert "did not answer: loading the model here" in result.stderr
    assert "loaded in-process" in str(result.exception)


def test_ask_with_an_app_that_is_not_there_is_a_clear_error(cli):
    url = f"http://127.0.0.1:{free_port()}"
    result = cli("ask", Q, "--app", url, code=1)
    assert f"No conflict-qa app answers at {url}" in str(result.exception)


def test_in_process_skips_the_running_app(settings, cli):
    announce(settings, "http://127.0.0.1:9")
    result = cli("ask", Q, "--in-process", code=1)
    assert "loaded in-process" in str(result.exception) and "app" not in result.stderr


def test_ask_logs_in_to_an_app_that_asks_for_a_login(settings, sample_store, cli, monkeypatch):
    secured = settings.model_copy(update={"auth": SecretStr("ana:pw")})
    monkeypatch.setenv("CONFLICT_QA_AUTH", "ana:pw")
    model = RecordingChatModel.replying("ISIS-K was established in 2015 [1].")
    with serve(secured, store=sample_store, chat_model=model) as (url, _):
        result = cli("ask", Q, "--app", url, "--json")
    assert "2015" in json.loads(result.stdout)["answer"]


def test_an_app_serving_another_collection_does_not_answer(settings, cli):
    announce(settings, "http://127.0.0.1:7860")
    assert announced_url(settings) == "http://127.0.0.1:7860"
    other = settings.model_copy(update={"collection": "other-reports"})
    assert announced_url(other) is None
    assert announced_url(settings.model_copy(update={"backend": "openai"})) is None


def test_an_announcement_naming_another_machine_is_not_trusted(settings):
    announce(settings, "http://10.1.2.3:7860")
    assert announced_url(settings) is None


def test_the_app_s_refusal_of_a_request_is_a_clear_error(settings, sample_store):
    from qa.errors import ConflictQAError
    from qa.ui.running import ask_app, connect

    with serve(settings, store=sample_store, chat_model=RecordingChatModel.replying("x")) as (url, _):
        client = connect(url, settings)
        with pytest.raises(ConflictQAError, match="could not answer: .*YYYY-MM-DD"):
            ask_app(client, Q, since="last spring")
