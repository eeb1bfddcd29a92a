"""Any OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, llama.cpp, Ollama, LM Studio, …);
the answer is a JSON object in the message content."""

from __future__ import annotations

from typing import Any

from hearflow_llm.base import LanguageModelAnalyzer, LanguageModelOptions, env_field
from hearflow_llm.exchange import Reply, bad_body, parsed, transport_failure
from hearflow_llm.prompt import Task, json_reply_instruction

DEFAULT_MODEL = "gpt-5.4-mini"  # OpenAI's own endpoint only: another server's model names differ


class JsonConversation:
    """Chat messages whose answer is JSON text; a rejected answer stays in the history, followed
    by the correction."""

    def __init__(self, client: Any, options: Any, task: Task):
        self.client, self.options, self.task = client, options, task
        self.endpoint = f"the endpoint at {options.base_url}" if options.base_url else "the OpenAI API"
        self.messages: list[dict[str, Any]] = [
            {"role": "system", "content": f"{task.system}\n\n{json_reply_instruction(task.schema)}"},
            {"role": "user", "content": task.request},
        ]

    def send(self) -> Reply:
        import openai

        try:
            response = self.client.chat.completions.create(
                model=self.options.model, messages=self.messages,
                # json_schema rather than json_object: vLLM, llama.cpp, Ollama and LM Studio honour it
                # and OpenAI enforces it. Not strict, because strict mode needs every field required and
                # CallAnalysis has a defaulted one; the schema is also in the system message for servers
                # that ignore response_format, and every answer is validated anyway.
                response_format={"type": "json_schema", "json_schema": {
                    "name": self.task.name, "schema": self.task.schema, "strict": False}})
        except openai.APIError as exc:
            raise transport_failure(openai, exc, self.endpoint) from exc
        except ValueError as exc:  # a 2xx body that is not JSON
            raise bad_body(self.endpoint, exc) from exc
        response = parsed(response, self.endpoint)
        choice = response.choices[0] if response.choices else None
        content = choice.message.content if choice else None
        refusal = getattr(choice.message, "refusal", None) if choice else None
        usage = response.usage  # some compatible servers report none
        tokens = {"input_tokens": usage.prompt_tokens, "output_tokens": usage.completion_tokens} if usage else {}
        missing = (f"the model refused: {refusal}" if refusal else
                   f"empty answer (finish reason: {choice.finish_reason if choice else 'no choices'})")
        return Reply(payload=content or None, model=response.model, usage=tokens, turn=content, missing=missing)

    def reject(self, reply: Reply, correction: str) -> None:
        if reply.turn:
            self.messages.append({"role": "assistant", "content": reply.turn})
        self.messages.append({"role": "user", "content": correction})


def _default_model(options: dict[str, Any]) -> str | None:
    return None if options.get("base_url") else DEFAULT_MODEL


class OpenAICompatibleAnalyzer(LanguageModelAnalyzer):
    name = "openai-compatible"
    description = "any OpenAI-compatible chat-completions endpoint fills the analysis as JSON"
    requires = ("openai",)
    client_class = "openai.OpenAI"
    conversation_class = JsonConversation

    class Options(LanguageModelOptions):
        base_url: str | None = env_field("HEARFLOW_OPENAI_BASE_URL", "OPENAI_BASE_URL")
        api_key: str | None = env_field("HEARFLOW_OPENAI_API_KEY", "OPENAI_API_KEY", secret=True)
        # After base_url, as its default depends on it.
        model: str | None = env_field("HEARFLOW_OPENAI_MODEL", fallback=_default_model)
