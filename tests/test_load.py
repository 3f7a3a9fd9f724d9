"""Load: 20 chat sessions (gradio_client, each its own connection) x 5 questions against the app on
loopback, with a fake model that answers each prompt's own question and records how many calls
overlap. Bounded: every session stops after its five questions."""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from langchain_core.language_models.chat_models import SimpleChatModel

from tests.browser_util import serve

SESSIONS, QUESTIONS = 20, 5


class EchoChat(SimpleChatModel):
    """Answers with the tag of the question in its prompt ("… convoy S3Q4 …"), slowly, and
    counts the calls in flight."""

    active: int = 0
    peak: int = 0
    calls: int = 0

    @property
    def _llm_type(self) -> str:
        return "echo"

    def _call(self, messages, stop=None, run_manager=None, **kwargs: Any) -> str:
        type(self).lock.acquire()
        self.active += 1
        self.calls += 1
        self.peak = max(self.peak, self.active)
        type(self).lock.release()
        try:
            time.sleep(0.05)
            prompt = "\n".join(str(m.content) for m in messages)
            tags = re.findall(r"Question: .*?\b(S\d+Q\d+)\b", prompt)
            return f"ISIS-K fighters were seen near post {tags[-1] if tags else 'none'} [1]."
        finally:
            with type(self).lock:
                self.active -= 1


EchoChat.lock = threading.Lock()


def test_twenty_sessions_each_get_their_own_answers_one_model_call_at_a_time(settings, sample_store):
    from gradio_client import Client

    settings = settings.model_copy(update={"verify": False, "gate": False})
    model = EchoChat()
    ranks: list[int] = []
    with serve(settings, store=sample_store, chat_model=model) as (url, _):

        def session(i: int) -> list[tuple[str, str]]:
            client = Client(url, verbose=False)
            got = []
            for j in range(QUESTIONS):
                tag = f"S{i}Q{j}"
                job = client.submit(
                    question=f"What did ISIS-K do near post {tag}?",
                    history="[]",
                    since="",
                    until="",
                    as_of="",
                    source="",
                    top_k=0,
                    api_name="/ask",
                )
                while not job.done():
                    status = job.status()
                    if status.rank is not None:
                        ranks.append(status.rank)
                    time.sleep(0.02)
                got.append((tag, job.result(timeout=120)["answer"]))
            return got

        with ThreadPoolExecutor(SESSIONS) as pool:
            results = [r for rs in pool.map(session, range(SESSIONS)) for r in rs]
    assert len(results) == SESSIONS * QUESTIONS, "no request was lost or errored"
    wrong = [(tag, answer) for tag, answer in results if tag not in answer or len(re.findall(r"S\d+Q\d+", answer)) != 1]
    assert not wrong, f"answers that are not their own question's: {wrong[:3]}"
    assert model.peak == 1, f"{model.peak} model calls overlapped: requests must queue for the one model"
    assert max(ranks, default=0) >= 1, "waiting requests are told their place in the queue"


def test_answers_keep_coming_during_a_500_document_ingest_and_then_see_it(settings, sample_store, tmp_path):
    from gradio_client import Client

    from ingest.service import run_ingest

    settings = settings.model_copy(update={"verify": False, "gate": False})
    folder = tmp_path / "incoming"
    folder.mkdir()
    for i in range(500):
        (folder / f"bulletin-{i:03}.md").write_text(
            f"---\ntitle: Bulletin {i}\npublished: 2024-06-01\n---\n\n"
            f"Aid convoy {i} reached the district of Korvash-{i} with {i + 3} trucks of flour.\n",
            encoding="utf-8",
        )
    with serve(settings, store=sample_store, chat_model=EchoChat()) as (url, _):
        client = Client(url, verbose=False)
        done = threading.Event()
        report: dict = {}

        def ingest() -> None:
            try:
                report["result"] = run_ingest(settings, sample_store, [str(folder)])
            finally:
                done.set()

        threading.Thread(target=ingest, daemon=True).start()
        during = []
        while not done.is_set() and len(during) < 200:
            during.append(client.predict(question=f"What did ISIS-K do near post S{len(during)}Q0?", api_name="/ask"))
        assert done.wait(600), "the ingest ended"
        assert len(report["result"].ids("added")) == 500 and not report["result"].failed
        assert len(during) >= 3 and all(a["answer"] for a in during), "answers kept coming during the ingest"
        after = client.predict(question="How many trucks reached Korvash-417?", api_name="/ask")
    assert any("Korvash-417" in p["text"] for p in after["passages"]), "a question after the ingest sees it"
