"""The API of `rag serve` through real clients: the `openai` package (sync and streaming), plain HTTP for every error
path, the REST routes, health and metrics. The server is the real one (rag.http.server.serve) with RAG_API_KEYS=k1,
over copies of the bundled corpus and of the session's MiniLM index."""

from __future__ import annotations

import json

import httpx
import openai
import pytest

from tests.http.conftest import KEY

SMIC = "What node did SMIC reach without EUV lithography?"
AUTH = {"Authorization": f"Bearer {KEY}"}


def _client(server, key: str = KEY) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.url + "v1", api_key=key, max_retries=0, timeout=120)


def test_the_openai_client_gets_a_cited_answer_and_the_stream_joins_to_it(api_server):
    client = _client(api_server)
    reply = client.chat.completions.create(model="rag-extractive", messages=[{"role": "user", "content": SMIC}])
    content = reply.choices[0].message.content
    extra = reply.model_extra
    assert "5nm" in content and "[1]" in content and "**Sources**" in content
    assert extra["status"] == "answered" and extra["citations"]
    first = extra["citations"][0]
    assert set(first) >= {"marker", "title", "date", "quote", "source", "anchor", "start", "end"}
    assert first["quote"] in content and reply.choices[0].finish_reason == "stop"
    assert reply.usage.prompt_tokens > 0 and reply.usage.completion_tokens > 0

    pieces, last = [], None
    for chunk in client.chat.completions.create(model="rag-extractive", stream=True,
                                                messages=[{"role": "user", "content": SMIC}],
                                                stream_options={"include_usage": True}):
        if chunk.choices and chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
        if chunk.choices and chunk.choices[0].finish_reason:
            last = chunk
        usage = chunk.usage
    assert "".join(pieces) == content and len(pieces) > 3
    assert last.model_extra["citations"] == extra["citations"] and last.choices[0].finish_reason == "stop"
    assert usage.completion_tokens == reply.usage.completion_tokens


def test_earlier_turns_give_a_follow_up_its_context(api_server):
    client = _client(api_server)
    first = client.chat.completions.create(model="rag-extractive", messages=[{"role": "user", "content": SMIC}])
    follow = client.chat.completions.create(model="rag-extractive", messages=[
        {"role": "system", "content": "You answer from the articles."},
        {"role": "user", "content": SMIC},
        {"role": "assistant", "content": first.choices[0].message.content},
        {"role": "user", "content": "Which company designed the chip made on it?"}])
    assert follow.model_extra["status"] in ("answered", "partial")
    assert "Huawei" in follow.choices[0].message.content or "Kirin" in follow.choices[0].message.content


def test_stop_and_max_tokens_are_applied_and_unknown_fields_ignored(api_server):
    client = _client(api_server)
    cut = client.chat.completions.create(model="rag-extractive", messages=[{"role": "user", "content": SMIC}],
                                         max_tokens=5, temperature=0.2, top_p=0.9, seed=1, user="someone")
    assert cut.choices[0].finish_reason == "length" and cut.usage.completion_tokens == 5
    stopped = client.chat.completions.create(model="rag-extractive", messages=[{"role": "user", "content": SMIC}],
                                             stop=["SMIC"])
    assert "SMIC" not in stopped.choices[0].message.content


def test_a_wrong_or_missing_key_is_401_and_an_unknown_model_404(api_server):
    with pytest.raises(openai.AuthenticationError) as wrong:
        _client(api_server, "not-a-key").models.list()
    assert wrong.value.status_code == 401 and wrong.value.body["code"] == "invalid_api_key"
    assert httpx.get(api_server.url + "v1/models").status_code == 401
    assert [m.id for m in _client(api_server).models.list()] == ["rag-extractive"]
    with pytest.raises(openai.NotFoundError) as missing:
        _client(api_server).chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
    assert missing.value.body["code"] == "model_not_found" and "rag-extractive" in missing.value.body["message"]


@pytest.mark.parametrize("payload, status, code", [
    ({"model": "rag-extractive", "messages": []}, 400, "invalid_request"),
    ({"model": "rag-extractive", "messages": [{"role": "user", "content": "x"}], "n": 2}, 400, "invalid_value"),
    ({"model": "rag-extractive", "messages": [{"role": "assistant", "content": "x"}]}, 400, "invalid_value"),
    ({"model": "rag-extractive", "messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]}]}, 400, "unsupported_content"),
    ({"model": "rag-extractive", "messages": [{"role": "user", "content": "x"}],
      "tools": [{"type": "function", "function": {"name": "f"}}]}, 400, "unsupported_parameter"),
    ({"model": "rag-extractive", "messages": [{"role": "user", "content": "???"}]}, 400, "invalid_value"),
    ({"model": "rag-extractive", "messages": [{"role": "user", "content": "x"}] * 201}, 400, "too_many_messages"),
    ({"model": "rag-extractive", "messages": [{"role": "user", "content": "x" * 300_000}]}, 413, "request_too_large"),
])
def test_error_paths_by_plain_http_use_openai_error_shapes(api_server, payload, status, code):
    reply = httpx.post(api_server.url + "v1/chat/completions", json=payload, headers=AUTH, timeout=60)
    assert reply.status_code == status, reply.text
    error = reply.json()["error"]
    assert error["code"] == code and error["message"] and error["type"]


def test_bad_json_and_a_bad_k_are_400(api_server):
    reply = httpx.post(api_server.url + "v1/chat/completions", content=b"{not json", headers=AUTH, timeout=30)
    assert reply.status_code == 400 and reply.json()["error"]["message"]
    reply = httpx.post(api_server.url + "v1/answer", json={"question": SMIC, "k": 0}, headers=AUTH, timeout=30)
    assert reply.status_code == 400 and reply.json()["error"]["param"] == "k"


def test_the_rest_routes_return_the_python_api_as_json(api_server):
    answer = httpx.post(api_server.url + "v1/answer", json={"question": SMIC, "k": 4}, headers=AUTH, timeout=120)
    assert answer.status_code == 200 and answer.json()["status"] == "answered" and answer.json()["citations"]
    hits = httpx.post(api_server.url + "v1/search", json={"query": "SMIC 5nm", "k": 3}, headers=AUTH, timeout=60)
    assert hits.status_code == 200 and len(hits.json()) == 3 and hits.json()[0]["rank"] == 1
    status = httpx.get(api_server.url + "v1/status", headers=AUTH, timeout=60).json()
    assert status["exists"] is True and status["stale"] is False and status["chunks"] > 100
    docs = httpx.get(api_server.url + "openapi.json", timeout=30).json()
    assert "/v1/chat/completions" in docs["paths"] and httpx.get(api_server.url + "docs").status_code == 200


def test_health_readiness_and_metrics_count_requests(api_server):
    assert httpx.get(api_server.url + "healthz").json() == {"status": "ok"}
    ready = httpx.get(api_server.url + "readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    assert httpx.get(api_server.url + "metrics").status_code == 401  # keys set: the scraper sends one too
    httpx.post(api_server.url + "v1/chat/completions", headers=AUTH, timeout=120,
               json={"model": "rag-extractive", "messages": [{"role": "user", "content": SMIC}]})
    text = httpx.get(api_server.url + "metrics", headers=AUTH).text
    assert 'rag_http_requests_total{method="POST",route="/v1/chat/completions",status="200"}' in text
    assert 'rag_answers_total{backend="extractive",status="answered"}' in text
    assert 'rag_answer_stage_seconds_count{stage="retrieve"}' in text and "rag_index_chunks " in text
    assert 'rag_http_requests_total{method="GET",route="/metrics",status="401"} 1.0' in text


def test_a_stream_of_a_bad_question_fails_before_it_starts(api_server):
    with httpx.stream("POST", api_server.url + "v1/chat/completions", headers=AUTH, timeout=60,
                      json={"model": "rag-extractive", "stream": True,
                            "messages": [{"role": "user", "content": "   "}]}) as reply:
        assert reply.status_code == 400
        assert json.loads(reply.read())["error"]["code"] == "invalid_value"
