"""Language-model analyzers: ``anthropic`` (Claude, Messages API) and ``openai-compatible`` (any
chat-completions endpoint). Both send the same prompt, validate the answer against
:class:`hearflow.models.CallAnalysis`, re-ask on invalid output and raise coded AnalysisErrors."""

from hearflow import hookimpl
from hearflow_llm.anthropic_analyzer import AnthropicAnalyzer
from hearflow_llm.openai_analyzer import OpenAICompatibleAnalyzer

__all__ = ["AnthropicAnalyzer", "OpenAICompatibleAnalyzer"]


@hookimpl
def register_analyzers(register):
    register(AnthropicAnalyzer)
    register(OpenAICompatibleAnalyzer)
