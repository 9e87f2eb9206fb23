"""LangChain's ChatOpenAI pointed at `rag serve` passes langchain-tests' standard chat-model suite
(ChatModelIntegrationTests): invoke, batch and stream, sync and async, conversations, message names, stop sequences
and usage metadata (streamed too). What this model does not do is declared so, and the suite skips it: tool calling,
structured output, JSON mode, and image, audio, PDF and video inputs."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from langchain_openai import ChatOpenAI
from langchain_tests.integration_tests import ChatModelIntegrationTests

from tests.http.conftest import KEY

pytestmark = [
    pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting' is deprecated"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]


class TestRagAsChatOpenAI(ChatModelIntegrationTests):
    @pytest.fixture(autouse=True)
    def _server(self, api_server) -> None:
        self.url = api_server.url

    @property
    def chat_model_class(self) -> type[ChatOpenAI]:
        return ChatOpenAI

    @property
    def chat_model_params(self) -> dict[str, Any]:
        # each model its own async client: langchain-openai's shared default one stays bound to the event loop of
        # the first async test, and pytest-asyncio gives every test a new loop
        return {"model": "rag-extractive", "base_url": self.url + "v1", "api_key": KEY, "stream_usage": True,
                "max_retries": 0, "timeout": 120, "http_async_client": httpx.AsyncClient(timeout=120)}

    @property
    def has_tool_calling(self) -> bool:
        return False

    @property
    def has_structured_output(self) -> bool:
        return False

    @property
    def supports_json_mode(self) -> bool:
        return False

    @property
    def supports_image_inputs(self) -> bool:
        return False

    @property
    def supports_image_urls(self) -> bool:
        return False

    @property
    def supports_audio_inputs(self) -> bool:
        return False

    @property
    def supports_pdf_inputs(self) -> bool:
        return False

    @property
    def supports_video_inputs(self) -> bool:
        return False

    @property
    def supports_image_tool_message(self) -> bool:
        return False

    @property
    def supports_pdf_tool_message(self) -> bool:
        return False

    @property
    def supports_anthropic_inputs(self) -> bool:
        return False
