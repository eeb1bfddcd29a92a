"""Call metrics: talk time, talk ratio, monologues, interactivity, patience and keyword trackers."""
