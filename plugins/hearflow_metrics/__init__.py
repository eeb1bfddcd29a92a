"""Call metrics: talk time, talk ratio, monologues, interactivity, patience and keyword trackers."""

from hearflow import hookimpl
from hearflow_metrics.conversation import ConversationMetric
from hearflow_metrics.trackers import TrackerMetric


@hookimpl
def register_metrics(register):
    register(ConversationMetric)
    register(TrackerMetric)
