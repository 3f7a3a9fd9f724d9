"""The app's handlers with a fake chat model over the real MiniLM + Chroma (no browser)."""

from __future__ import annotations

import json
from pathlib import Path

import gradio as gr
import pytest
from pydantic import SecretStr

from qa.errors import ConfigError
from qa.settings import Settings
from qa.ui.app import auth_pairs, build_app
from qa.ui.handlers import Handlers, Services
from qa.ui.state import LOADING_MODEL, WRITING
from tests.browser_util import add_hostile_document, free_port, serve
from tests.fakes import RecordingChatModel

ANSWER_KEYS = {  # Answer.to_json(), the `conflict-qa ask --json` object (it may grow)"question", "rewritten_question", "answer", "abstained", "reason", "citations", "passages",
    "timings",
    "prompt_hash",
    "filters",
}
Q = "When was ISIS-K established?"


@pytest.fixture
def settings(settings):
    """A fake chat model can't act as the yes/no verifier: keep the chain's cheap checks only."""
    return settings.model_copy(update={"verify_with_model": False})


def handlers_for(settings, store, *replies) -> tuple[Handlers, RecordingChatModel]:
    model = RecordingChatModel.replying(*replies)
    return Handlers(Services(settings, store=store, chat_model=model)), model


def ask(handlers, question, turns=None, since="", until="", as_of="", source=""):
    return list(handlers.on_ask(question, turns, since, until, as_of, source))


def assistant(step) -> str:
    return step[0][-1]["content"]


def test_passages_show_before_the_first_token(settings, sample_store):
    handlers, _ = handlers_for(settings, sample_store, "ISIS-K was established in 2015 [1].")
    steps = ask(handlers, Q)
    first, retrieved = steps[0], steps[1]
    assert LOADING_MODEL.split("…")[0] in assistant(first), "the first question says the model is loading"
    assert "cq-passage" not in first[1]
    assert 'id="cq-t0-p1"' in retrieved[1], "passages are in the panel at the Retrieved step"
    assert "ISIS" not in assistant(retrieved).split("cq-status")[0], "…and no answer text yet"
    assert "ISIS-K" in assistant(steps[2]) and len(steps) > 4
    final = assistant(steps[-1])
    assert 'href="#cq-t0-p1"' in final and "cq-status" not in final
    assert "<mark>" in steps[-1][1] and "Cited" in steps[-1][1]
    assert steps[-1][3] == "", "the question box is cleared"


def test_second_question_says_writing_not_loading(settings, sample_store):
    handlers, _ = handlers_for(settings, sample_store, "In 2015 [1].", "Rewritten?", "In 2015 [1].")
    turns = ask(handlers, Q)[-1][2]
    steps = ask(handlers, "And who founded it?", turns)
    assert WRITING.split("…")[0] in assistant(steps[1]) and "Loading model" not in assistant(steps[1])


def test_marker_to_a_passage_not_retrieved_is_not_linked(settings, sample_store):
    handlers, _ = handlers_for(
        settings,
        sample_store,
        "ISIS-K was established in 2015 by disaffected fighters of the Pakistani Taliban [1] [9].",
    )
    final = ask(handlers, Q)[-1]
    assert "cq-t0-p9" not in assistant(final) and "[9]" not in assistant(final) and "&#91;9" not in assistant(final)
    assert assistant(final).count('class="cq-cite"') == 1


def test_abstention_is_explicit_and_offers_closest_passages(settings, sample_store):
    handlers, model = handlers_for(settings, sample_store, "should not be called")
    final = ask(handlers, "What is the recipe for a chocolate cake?")[-1]
    assert "The loaded reports don&#39;t cover this." in assistant(final)
    assert "Closest passages — not evidence for an answer" in final[1] and "cq-passage" in final[1]
    assert model.calls == []


def test_empty_library_says_where_to_add_reports(settings, store):
    handlers, _ = handlers_for(settings, store, "x")
    final = ask(handlers, Q)[-1]
    assert "Library tab" in assistant(final)


def test_active_filters_are_shown_on_the_answer(settings, sample_store):
    handlers, _ = handlers_for(settings, sample_store, "x")
    final = ask(handlers, Q, since="2020-01-01", source="isis-k")[-1]
    assert "Filters: since 2020&#45;01&#45;01" in assistant(final) or "since 2020-01-01 · source isis" in assistant(
        final
    )
    assert "no document matches the filters" in assistant(final), "undated sample never passes a date filter"


@pytest.mark.parametrize("field", ["since", "until", "as_of"])
def test_invalid_date_is_a_clear_error(settings, sample_store, field):
    handlers, model = handlers_for(settings, sample_store, "x")
    with pytest.raises(gr.Error, match="YYYY-MM-DD"):
        ask(handlers, Q, **{field: "22/03/2024"})
    assert model.calls == []


def test_since_after_until_is_a_clear_error(settings, sample_store):
    handlers, _ = handlers_for(settings, sample_store, "x")
    with pytest.raises(gr.Error, match="swap them"):
        ask(handlers, Q, since="2024-05-01", until="2024-01-01")


def test_follow_up_uses_the_conversation_and_shows_the_rewrite(settings, sample_store):
    handlers, model = handlers_for(
        settings,
        sample_store,
        "ISIS-K was established in 2015 [1].",
        "Which attack did ISIS-K carry out in Moscow?",
        "It killed at least 133 people [1].",
    )
    turns = ask(handlers, Q)[-1][2]
    final = ask(handlers, "What about the Moscow attack?", turns)[-1]
    assert Q in model.calls[1][-1].content, "the condense prompt carries the earlier question"
    assert '<details class="cq-rewritten"><summary>Searched for</summary>Which attack did ISIS' in assistant(final)
    assert len(final[0]) == 4 and 'id="cq-t1-p1"' in final[1] and 'id="cq-t0-p1"' in final[1]


def test_new_chat_starts_clean(settings, sample_store):
    handlers, _ = handlers_for(settings, sample_store, "In 2015 [1].")
    ask(handlers, Q)
    chat, sources, turns, box = handlers.on_new_chat()
    assert chat == [] and turns == [] and box == "" and "cq-passage" not in sources


def test_model_error_is_a_short_message_not_a_traceback(settings, sample_store):
    handlers, _ = handlers_for(settings, sample_store)  # no replies: the fake model fails
    steps = []
    with pytest.raises(gr.Error) as raised:
        for step in handlers.on_ask(Q, [], "", "", "", ""):
            steps.append(step)
    assert "Traceback" not in raised.value.message and "CONFLICT_QA_DEBUG" in raised.value.message
    assert "cq-error" in assistant(steps[-1]) and steps[-1][3] == Q, "the question is kept to retry"


def test_document_and_model_markup_is_escaped(settings, store):
    add_hostile_document(settings, store)
    echo = 'The cell was founded in 2015 [1] <script>alert(1)</script><img src=x onerror="alert(2)">.'
    handlers, _ = handlers_for(settings, store, echo)
    final = ask(handlers, "When was the Khorasan cell near Jalalabad founded?")[-1]
    for html in (assistant(final), final[1], handlers.status_html()):
        lowered = html.lower()
        assert "<script" not in lowered and "<img" not in lowered and 'href="javascript' not in lowered
    assert "&lt;script&gt;" in final[1], "the payload is shown as text"
    assert "javascript:window.__pwned" not in final[1] or "cq-text-url" in final[1]


def test_upload_is_ingested_listed_searched_and_deleted(settings, store, tmp_path):
    handlers, _ = handlers_for(settings, store)
    report = tmp_path / "kabul-report.txt"
    report.write_text(
        "Title: Kabul airport attack\nPublished: 2021-08-26\n\nA suicide bombing at Kabul airport "
        "killed at least 170 civilians and 13 US service members.",
        encoding="utf-8",
    )
    results, table, *_ = handlers.on_ingest([str(report)], "")
    assert "added" in results and "kabul-report.txt" in results
    assert [row[0] for row in table["data"]] == ["Kabul airport attack"]
    assert "1 documents" in handlers.status_html()
    results, *_ = handlers.on_ingest([str(report)], "")
    assert "skipped" in results and "unchanged" in results
    assert handlers.on_search("airport")["data"] and not handlers.on_search("no such thing")["data"]
    doc_id = table["data"][0][-1]
    question, row, _, asked = handlers.on_delete_ask([doc_id])
    assert asked == [doc_id]
    assert "Delete 1 document" in question and "Kabul airport attack" in question and "kabul-report.txt" in question
    assert row.visible is True and store.records() != [], "asking deletes nothing"
    message, table, *_ = handlers.on_delete([doc_id], "")
    assert "Kabul airport attack" in message and table["data"] == [] and store.records() == []


def test_the_library_shows_file_names_not_the_server_s_paths(settings, store, tmp_path):
    handlers, _ = handlers_for(settings, store)
    report = tmp_path / "kabul-report.txt"
    report.write_text("Title: Kabul airport attack\n\nA bombing at Kabul airport.", encoding="utf-8")
    results, table, choices, _status, sources = handlers.on_ingest([str(report)], "")[:5]
    uploads = str(handlers.uploads_dir)
    assert store.records()[0].source.startswith(uploads), "the upload is stored under the data directory"
    shown = [results, json.dumps(table), json.dumps(choices.choices), json.dumps(sources.choices)]
    assert all(uploads not in text and str(tmp_path) not in text for text in shown)
    assert "kabul-report.txt" in table["data"][0][2] and sources.choices[0][0] == "kabul-report.txt"


def test_changed_upload_updates_its_document(settings, store, tmp_path):
    handlers, _ = handlers_for(settings, store)
    report = tmp_path / "r.txt"
    report.write_text("Shelling near Kharkiv on Monday.", encoding="utf-8")
    handlers.on_ingest([str(report)], "")
    report.write_text("Shelling near Kharkiv on Monday and Tuesday.", encoding="utf-8")
    results, table, *_ = handlers.on_ingest([str(report)], "")
    assert "updated" in results and len(table["data"]) == 1


def test_pasted_lines_must_be_http_urls(settings, store):
    handlers, _ = handlers_for(settings, store)
    report = handlers.ingest([], "/etc/passwd\n# a comment\nfile:///etc/hosts")
    assert [o.status for o in report.outcomes] == ["failed", "failed"]
    assert "not an http(s) URL" in report.outcomes[0].message and store.records() == []


def test_upload_over_the_size_limit_fails_with_the_reason(tmp_path, store):
    settings = Settings(data_dir=tmp_path / "data", max_upload_mb=1, _env_file=None)
    handlers = Handlers(Services(settings, store=store, chat_model=RecordingChatModel.replying()))
    big = tmp_path / "big.txt"
    big.write_text("word " * 250_000, encoding="utf-8")
    results, *_ = handlers.on_ingest([str(big)], "")
    assert "failed" in results and "1 MB upload limit" in results


def test_an_upload_name_cannot_escape_the_upload_folder(settings, store, tmp_path):
    handlers = Handlers(Services(settings, store=store, chat_model=RecordingChatModel.replying()))
    outside = settings.data_dir / "outside.md"
    handlers.uploads_dir.mkdir(parents=True)
    (handlers.uploads_dir / "link.md").symlink_to(outside)  # a name in the folder that points out of it
    upload = tmp_path / "incoming"
    upload.mkdir()
    (upload / "link.md").write_text("---\ntitle: Sneaky\n---\nShelling hit Varno.", encoding="utf-8")
    for name in (str(upload / ".."), str(upload / "link.md")):
        outcome = handlers._stage_upload(Path(name))
        assert getattr(outcome, "status", None) == "failed", outcome
    assert not outside.exists() and store.records() == []


def test_nothing_to_ingest_and_nothing_to_delete_are_clear_errors(settings, store):
    handlers, _ = handlers_for(settings, store)
    with pytest.raises(gr.Error, match="choose files"):
        handlers.on_ingest(None, "  ")
    with pytest.raises(gr.Error, match="Choose the documents"):
        handlers.on_delete([], "")
    with pytest.raises(gr.Error, match="Choose the documents"):
        handlers.on_delete_ask([])


def test_status_line_names_model_backend_collection_and_counts(settings, sample_store):
    handlers, _ = handlers_for(settings, sample_store, "In 2015 [1].")
    status = handlers.status_html()
    assert "RecordingChatModel" in status and "loads on the first question" in status
    assert "collection reports" in status and "1 documents" in status and "chunks" in status
    ask(handlers, Q)
    assert "(loaded)" in handlers.status_html()


def test_default_status_describes_the_configured_model(settings, store):
    status = Handlers(Services(settings, store=store)).status_html()
    assert "llama.cpp" in status and "backend llamacpp" in status


def test_api_ask_returns_the_cli_json(settings, sample_store):
    handlers, _ = handlers_for(
        settings,
        sample_store,
        "When was ISIS-K founded?",
        "ISIS-K was established in 2015 by disaffected fighters of the Pakistani Taliban [1].",
    )
    history = json.dumps([["user", "Tell me about ISIS-K"], ["assistant", "It is a group [1]."]])
    data = handlers.api_ask(Q, history=history)
    assert ANSWER_KEYS <= set(data) and data["citations"][0]["n"] == 1
    assert data["rewritten_question"] == "When was ISIS-K founded?"
    with pytest.raises(gr.Error, match="history must be a JSON list"):
        handlers.api_ask(Q, history='{"not": "a list"}')


def test_api_documents_lists_records(settings, sample_store):
    handlers, _ = handlers_for(settings, sample_store)
    docs = handlers.api_documents()
    assert len(docs) == 1 and {"doc_id", "title", "source", "chunks", "metadata"} <= set(docs[0])
    assert handlers.api_documents("no-such") == []


def test_auth_settings_become_gradio_logins(tmp_path):
    users = tmp_path / "users"
    users.write_text("# analysts\nana:s3cret:with:colons\nbo:pw\n", encoding="utf-8")
    settings = Settings(data_dir=tmp_path, auth="admin:pw", auth_file=users, _env_file=None)
    assert auth_pairs(settings) == [("admin", "pw"), ("ana", "s3cret:with:colons"), ("bo", "pw")]
    assert auth_pairs(Settings(data_dir=tmp_path, _env_file=None)) is None
    with pytest.raises(ConfigError, match="user:password"):
        auth_pairs(Settings(data_dir=tmp_path, auth="nopassword", _env_file=None))
    assert "admin:pw" not in repr(settings), "the password is a secret"


def test_gradio_client_calls_the_stable_endpoints(settings, sample_store, tmp_path):
    from gradio_client import Client, handle_file
    from gradio_client.exceptions import AppError

    model = RecordingChatModel.replying("ISIS-K was established in 2015 [1].")
    with serve(settings, store=sample_store, chat_model=model) as (url, _):
        client = Client(url, verbose=False)
        endpoints = set(client.view_api(print_info=False, return_format="dict")["named_endpoints"])
        assert {"/ask", "/ingest", "/documents"} <= endpoints
        answer = client.predict(question=Q, since="", api_name="/ask")
        assert ANSWER_KEYS <= set(answer) and answer["citations"][0]["n"] == 1
        with pytest.raises(AppError, match="YYYY-MM-DD"):
            client.predict(question=Q, since="last spring", api_name="/ask")
        note = tmp_path / "note.md"
        note.write_text("# Field note\n\nConvoys were delayed near Herat on Friday.", encoding="utf-8")
        report = client.predict(files=[handle_file(str(note))], urls="", api_name="/ingest")
        assert len(report["added"]) == 1 and report["failed"] == []
        titles = [d["title"] for d in client.predict(search="", api_name="/documents")]
        assert "Field note" in titles


def test_build_app_names_its_endpoints(settings, store):
    demo = build_app(settings, store=store, chat_model=RecordingChatModel.replying())
    names = {fn.api_name for fn in demo.fns.values() if fn.api_visibility == "public"}
    assert names == {"ask", "ingest", "documents"}
    assert free_port() > 0


def test_login_is_required_when_auth_is_set(settings, store):
    import urllib.error
    import urllib.request

    secured = settings.model_copy(update={"auth": SecretStr("ana:pw")})
    with serve(secured, store=store, chat_model=RecordingChatModel.replying()) as (url, _):
        with pytest.raises(urllib.error.HTTPError) as denied:
            urllib.request.urlopen(f"{url}/config", timeout=10)
        assert denied.value.code == 401


def test_chat_prints_where_it_serves_and_no_hint_a_user_cannot_act_on(settings, store, monkeypatch, capfd):
    from qa.ui import app as ui_app

    made = []
    real_build = ui_app.build_app

    def build(s):
        made.append(real_build(s, store=store, chat_model=RecordingChatModel.replying()))
        return made[-1]

    monkeypatch.setattr(ui_app, "build_app", build)
    monkeypatch.setattr(gr.Blocks, "block_thread", lambda self: None)
    port = free_port()
    ui_app.launch(settings, port=port)
    out = capfd.readouterr()
    assert f"conflict-qa is serving on http://127.0.0.1:{port}" in out.out
    assert "share=True" not in out.out + out.err


def test_reports_ingested_since_the_last_question_are_marked_new(settings, store, tmp_path):
    import time

    handlers, _ = handlers_for(settings, store, "Convoys were delayed [1].")
    old, new = tmp_path / "old.md", tmp_path / "new.md"
    old.write_text("---\ntitle: Old report\npublished: 2024-04-01\n---\nConvoys were delayed near Herat.\n")
    new.write_text("---\ntitle: New report\npublished: 2024-04-03\n---\nThe Herat road reopened on Wednesday.\n")
    handlers.on_ingest([str(old)], "")
    time.sleep(1.1)  # ingest times are kept to the second
    turns = ask(handlers, "What happened near Herat?")[-1][2]
    _, table, *_ = handlers.on_ingest([str(new)], "", turns)
    titles = sorted(row[0] for row in table["data"])
    assert titles == ["Old report", "new · New report"], "only the report ingested after the question is new"
    assert [row[0] for row in handlers.on_refresh("", None)[0]["data"]].count("new · New report") == 0


def test_a_withheld_answer_is_cleared_while_a_second_draft_is_written_and_the_answer_says_so(settings, sample_store):
    from qa.ui.state import REDRAFTING

    redrafting = settings.model_copy(update={"second_draft": True})
    wrong = "ISIS-K was established in 1987 in Kandahar [1]."
    second = 'Evidence: "established in 2015" [1]\nAnswer: ISIS-K was established in 2015 [1].'
    handlers, _ = handlers_for(redrafting, sample_store, wrong, second)
    steps = ask(handlers, Q)
    texts = [assistant(s) for s in steps]
    assert any("1987" in t for t in texts), "the first draft streamed"
    cleared = next(i for i, t in enumerate(texts) if REDRAFTING in t)
    assert "1987" not in texts[cleared], "the withheld draft is taken off the screen"
    final = texts[-1]
    assert "2015" in final and "1987" not in final.split("cq-redrafted")[0] and "Evidence" not in final
    assert "withheld the model&#39;s first answer" in final and "cq-status" not in final
