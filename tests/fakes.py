"""Test doubles: a recording fake chat model (LangChain's own fake, plus a call log)."""

from __future__ import annotations

from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import BaseMessage
from pydantic import Field


class RecordingChatModel(GenericFakeChatModel):
    """Replays queued replies (streamed word by word) and records every prompt it was given."""

    calls: list[list[BaseMessage]] = Field(default_factory=list)

    @classmethod
    def replying(cls, *replies: str) -> RecordingChatModel:
        return cls(messages=iter(replies))

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any):
        self.calls.append(list(messages))
        return super()._generate(messages, *args, **kwargs)

    @property
    def last_prompt(self) -> str:
        return "\n".join(str(m.content) for m in self.calls[-1])
