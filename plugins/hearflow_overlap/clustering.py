"""Which local speakers are the same person: agglomerative clustering of their embeddings.

Clusters merge by centroid cosine similarity until the closest pair is below ``threshold``; that
gives the speaker count, unless the hints fix it (``num_speakers``) or bound it
(``min_speakers``/``max_speakers``: merging stops at the minimum, or goes on past the threshold
down to the maximum). Two local speakers of one window are different people by construction of
the segmentation, so clusters that share a window never merge while the count allows (a
cannot-link constraint): a window with three voices means at least three speakers. Clusters with
too little speech to be a speaker are dissolved into the nearest large one. Long calls cluster a bounded
sample of their embeddings (memory grows with its square), and every window is then matched to
the centroids, its local speakers to distinct clusters.
"""

from __future__ import annotations

import numpy as np

MAX_CLUSTERED = 1500  # embeddings clustered at most; the rest only join the centroids


def cluster(embeddings: np.ndarray, places: np.ndarray, *, threshold: float, min_speech: float,
            seconds_per_frame: float, num_speakers: int | None, min_speakers: int, max_speakers: int | None) -> np.ndarray:
    """Unit centroids, one row per speaker found. ``places[i]``: (window, local speaker, first
    frame, last frame) of embedding ``i``."""
    if len(embeddings) > MAX_CLUSTERED:
        keep = np.linspace(0, len(embeddings) - 1, MAX_CLUSTERED).round().astype(int)
        embeddings, places = embeddings[keep], places[keep]
    count = len(embeddings)
    if count <= 1:
        return embeddings[:count]
    low = min(num_speakers or min_speakers, count)
    high = min(num_speakers or max_speakers or count, count)
    speech = (places[:, 3] - places[:, 2]) * seconds_per_frame
    labels = _agglomerate(embeddings, simultaneous(places), speech, threshold, min_speech, low, high)
    if num_speakers is None:
        labels = _dissolve_small(embeddings, labels, speech, min_speech, keep_at_least=low)
    return _centroids(embeddings, labels)


def simultaneous(places: np.ndarray) -> np.ndarray:
    """(n, n) bool: pieces of different local speakers heard at the same time in one window."""
    window, local, first, last = places.T
    return ((window[:, None] == window[None, :]) & (local[:, None] != local[None, :])
            & (first[:, None] < last[None, :]) & (first[None, :] < last[:, None]))


def _agglomerate(vectors: np.ndarray, conflict: np.ndarray, speech: np.ndarray, threshold: float,
                 min_speech: float, low: int, high: int) -> np.ndarray:
    """Merge the most similar allowed pair until the threshold; past it, a cluster with less than
    ``min_speech`` seconds still joins its most similar neighbour (a fragment is no speaker)."""
    count = len(vectors)
    speech = speech.astype(np.float64).copy()
    sums = vectors.astype(np.float64).copy()
    alive = np.ones(count, dtype=bool)
    parent = np.arange(count)
    units = sums / np.linalg.norm(sums, axis=1, keepdims=True)
    similarity = units @ units.T
    np.fill_diagonal(similarity, -np.inf)
    clusters = count
    while clusters > low:
        allowed = np.where(conflict | ~alive[None, :] | ~alive[:, None], -np.inf, similarity)
        a, b = np.unravel_index(np.argmax(allowed), allowed.shape)
        best = allowed[a, b]
        if not np.isfinite(best):
            if clusters <= high:
                break
            # the hints ask for fewer speakers than the windows hear: merge across windows anyway
            forced = np.where(~alive[None, :] | ~alive[:, None], -np.inf, similarity)
            a, b = np.unravel_index(np.argmax(forced), forced.shape)
        elif best < threshold and clusters <= high:
            small = alive & (speech < min_speech)
            fragment = np.where(small[:, None] | small[None, :], allowed, -np.inf)
            a, b = np.unravel_index(np.argmax(fragment), fragment.shape)
            if not np.isfinite(fragment[a, b]):
                break
        sums[a] += sums[b]
        speech[a] += speech[b]
        alive[b] = False
        parent[parent == b] = a
        conflict[a] |= conflict[b]
        conflict[:, a] = conflict[a]
        units[a] = sums[a] / np.linalg.norm(sums[a])
        similarity[a] = units @ units[a]
        similarity[:, a] = similarity[a]
        similarity[a, a] = -np.inf
        clusters -= 1
    _, labels = np.unique(parent, return_inverse=True)
    return labels


def _dissolve_small(embeddings: np.ndarray, labels: np.ndarray, speech: np.ndarray, min_size: float,
                    keep_at_least: int) -> np.ndarray:
    sizes = np.bincount(labels, weights=speech)
    order = np.argsort(-sizes)
    large = order[: max(int((sizes >= min_size).sum()), keep_at_least, 1)]
    small = ~np.isin(labels, large)
    if not small.any():
        return labels
    centroids = np.stack([_unit(embeddings[labels == k].mean(axis=0)) for k in large])
    labels = labels.copy()
    labels[small] = large[np.argmax(embeddings[small] @ centroids.T, axis=1)]
    _, labels = np.unique(labels, return_inverse=True)
    return labels


def _centroids(embeddings: np.ndarray, labels: np.ndarray) -> np.ndarray:
    return np.stack([_unit(embeddings[labels == k].mean(axis=0)) for k in np.unique(labels)]).astype(np.float32)


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / max(float(np.linalg.norm(vector)), 1e-8)


def assign(embeddings: np.ndarray, places: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """The cluster of every piece; of two pieces heard at once in one window, the one less sure of
    a shared cluster moves to its next best."""
    similarity = embeddings @ centroids.T
    labels = np.argmax(similarity, axis=1)
    if len(centroids) < 2:
        return labels
    window = places[:, 0]
    for index in np.unique(window):
        members = np.flatnonzero(window == index)
        clash = simultaneous(places[members])
        for a, b in zip(*np.nonzero(np.triu(clash))):
            i, j = members[a], members[b]
            if labels[i] == labels[j]:
                loser = i if similarity[i, labels[i]] < similarity[j, labels[j]] else j
                labels[loser] = np.argsort(-similarity[loser])[1]
    return labels
