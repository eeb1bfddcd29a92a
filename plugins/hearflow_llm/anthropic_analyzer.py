"""Claude through the Anthropic Messages API; a forced tool call carries the structured answer."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from hearflow_llm.base import LanguageModelAnalyzer, LanguageModelOptions, env_field
from hearflow_llm.exchange import Reply, bad_body, parsed, transport_failure
from hearflow_llm.prompt import Task

DEFAULT_MODEL = "claude-sonnet-5-5"


class ToolConversation:
    """Messages in which the model must answer by calling the task's tool; a rejected call is
    answered with an error tool result, so the model sees what to fix."""

    def __init__(self, client: Any, options: Any, task: Task):
        self.client, self.options, self.task = client, options, task
        self.messages: list[dict[str, Any]] = [{"role": "user", "content": task.request}]

    def send(self) -> Reply:
        import anthropic

        try:
            message = self.client.messages.create(
                model=self.options.model, max_tokens=self.options.max_tokens, system=self.task.system,
                messages=self.messages,
                tools=[{"name": self.task.name, "description": self.task.description,
                        "input_schema": self.task.schema}],
                tool_choice={"type": "tool", "name": self.task.name})
        except anthropic.APIError as exc:
            raise transport_failure(anthropic, exc, "the Anthropic API") from exc
        except ValueError as exc:  # a 2xx body that is not JSON
            raise bad_body("the Anthropic API", exc) from exc
        message = parsed(message, "the Anthropic API")
        call = next((block for block in message.content
                     if block.type == "tool_use" and block.name == self.task.name), None)
        usage = {"input_tokens": message.usage.input_tokens, "output_tokens": message.usage.output_tokens}
        return Reply(payload=call.input if call else None, model=message.model, usage=usage, turn=call,
                     missing=f"no {self.task.name} call (stop reason: {message.stop_reason})")

    def reject(self, reply: Reply, correction: str) -> None:
        call = reply.turn
        if call is None:
            return  # no tool call to answer: the next attempt asks afresh
        self.messages += [
            {"role": "assistant",
             "content": [{"type": "tool_use", "id": call.id, "name": call.name, "input": call.input}]},
            {"role": "user",
             "content": [{"type": "tool_result", "tool_use_id": call.id, "is_error": True,
                          "content": correction}]},
        ]


class AnthropicAnalyzer(LanguageModelAnalyzer):
    name = "anthropic"
    description = "Claude (Anthropic Messages API) fills the analysis through a forced tool call"
    requires = ("anthropic",)
    client_class = "anthropic.Anthropic"
    conversation_class = ToolConversation

    class Options(LanguageModelOptions):
        model: str = env_field("HEARFLOW_ANTHROPIC_MODEL", fallback=DEFAULT_MODEL)
        api_key: str | None = env_field("ANTHROPIC_API_KEY", secret=True)
        base_url: str | None = env_field("ANTHROPIC_BASE_URL")  # which the SDK would read too
        max_tokens: int = Field(4096, gt=0)  # per answer; an analysis needs far fewer
