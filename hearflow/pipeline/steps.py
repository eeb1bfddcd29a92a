"""The pipeline, as data: the ordered steps every runner executes.

Each step names the engine method it calls, the state it reads and the state it writes, which
stages it may run (a stage that touches a network makes the step retryable) and, for steps
whose result is worth keeping between runs, its cache key. The in-process runner
(``hearflow.pipeline.runner``) and the Prefect flows (``hearflow_flows``) both walk this list;
neither knows the order on its own. Steps that do not depend on each other (``waves``) may run
at once: the in-process runner diarizes a mono call while recognising it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hearflow.settings import digest

State = dict  # step name → value; starts with "fingerprint" and "source"


@dataclass(frozen=True)
class Step:
    name: str
    method: str  # the Engine method that does the work
    reads: tuple[str, ...]
    writes: str
    stages: Callable[..., list] = lambda engine, state: []  # the stage classes it may run
    cache_key: Callable[..., str | None] | None = None  # None, or a key of None: not cached (decoded audio never is)
    runner_retries: bool = True  # False: its stage keeps one retry budget itself (analyzers)

    def inputs(self, state: State) -> tuple:
        return tuple(state[name] for name in self.reads)

    def run(self, engine, state: State):
        return self.call(engine, self.inputs(state))

    def call(self, engine, inputs: tuple):
        """The work on inputs already taken from the state (a runner may carry them elsewhere)."""
        return getattr(engine, self.method)(*inputs)

    def touches_network(self, engine, state: State) -> bool:
        return any(stage.network for stage in self.stages(engine, state))

    def retried_by_runner(self, engine, state: State) -> bool:
        """Whether a runner should retry the step: a networked stage without a budget of its own.
        Retrying an analyzer that retries itself would multiply its requests."""
        return self.runner_retries and self.touches_network(engine, state)


def _transcripts_key(engine, state: State) -> str | None:
    """None (not cached this time) when redacting: the raw transcript holds what redaction removes."""
    if engine.settings.redact:
        return None
    return engine.stage_key("transcribe", state["fingerprint"].sha256)


def _transcript_key(engine, state: State) -> str:
    """What the analyzer reads, so an unchanged transcript is never sent twice."""
    result = state["result"]
    return engine.stage_key("analyze", digest([result.metrics, [s.model_dump() for s in result.segments]]))


STEPS: tuple[Step, ...] = (
    Step("decode", "decode", ("fingerprint",), "audio",
         stages=lambda engine, state: engine.decoders_for(state["fingerprint"].format)),
    # the tracks (channels, or the mixed-down call); diarizing and transcribing them are independent
    Step("split", "split", ("audio",), "tracks",
         stages=lambda engine, state: [type(engine.diarizer)]),
    Step("separate", "separate", ("tracks",), "separation",
         stages=lambda engine, state: [type(engine.diarizer)]),
    Step("transcribe", "transcribe", ("tracks",), "transcripts",
         stages=lambda engine, state: [type(engine.asr)], cache_key=_transcripts_key),
    Step("assemble", "assemble", ("audio", "separation", "transcripts", "source"), "result"),
    # PII out before any metric, analyzer, cache or store reads the text
    Step("redact", "redact", ("result",), "result"),
    Step("measure", "measure", ("result",), "result"),
    Step("analyze", "analysis", ("result",), "analysis",
         stages=lambda engine, state: [type(engine.analyzer)] if engine.analyzer else [],
         cache_key=_transcript_key, runner_retries=False),
    Step("conclude", "conclude", ("result", "analysis"), "result"),
)


def spent_after(done: int) -> frozenset[str]:
    """The state none of the steps after the first ``done`` reads (the result excepted): a runner
    lets it go, so the decoded call is not held through the analysis and the tail."""
    later = {name for step in STEPS[done:] for name in step.reads}
    seen = {name for step in STEPS[:done] for name in (*step.reads, step.writes)}
    return frozenset(seen - later - {"result"})


def waves(steps: tuple[Step, ...] = STEPS) -> list[tuple[Step, ...]]:
    """The steps in order, in groups a runner may run at once: consecutive steps none of which
    reads or writes what another of the group writes (diarization and recognition of a call)."""
    groups: list[list[Step]] = []
    for step in steps:
        group = groups[-1] if groups else None
        written = {other.writes for other in group} if group else set()
        if group and not written & {*step.reads, step.writes}:
            group.append(step)
        else:
            groups.append([step])
    return [tuple(group) for group in groups]


def initial_state(fingerprint, source: str) -> State:
    return {"fingerprint": fingerprint, "source": source}
