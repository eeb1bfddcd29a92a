"""Which local speakers are the same person: agglomerative clustering of their embeddings.

Clusters merge by centroid cosine similarity until the closest pair is below ``threshold``, or
until two tight clusters are much less alike than their own members are (the cohesion rule, see
:func:`_agglomerate`); that gives the speaker count, unless the hints fix it (``num_speakers``) or
bound it (``min_speakers``/``max_speakers``: merging stops at the minimum, or goes on past the
threshold down to the maximum). Two local speakers of one window are different people by
construction of the segmentation, so clusters that share a window never merge while the count
allows (a cannot-link constraint): a window with three voices means at least three speakers.
Pieces of one local speaker heard mostly over another voice start as one cluster (a must-link
constraint, see :func:`same_voice`).
Clusters with too little speech to be a speaker (under ``min_speech`` seconds, or under
``min_share`` of all the speech on a long call) are dissolved into the nearest large one. Long
calls cluster a bounded sample of their embeddings (memory grows with its square), and every
window is then matched to the centroids, its local speakers to distinct clusters.
"""

from __future__ import annotations

import numpy as np

MAX_CLUSTERED = 1500  # embeddings clustered at most; the rest only join the centroids
TIGHT_MEMBERS = 3  # embeddings a cluster needs before its cohesion says anything


def cluster(embeddings: np.ndarray, places: np.ndarray, *, linked: np.ndarray | None = None, threshold: float,
            margin: float, min_speech: float, min_share: float,
            seconds_per_frame: float, num_speakers: int | None, min_speakers: int, max_speakers: int | None) -> np.ndarray:
    """Unit centroids, one row per speaker found. ``places[i]``: (window, local speaker, first
    frame, last frame) of embedding ``i``; embeddings with the same ``linked`` id start as one cluster."""
    if linked is None:
        linked = np.arange(len(embeddings))
    if len(embeddings) > MAX_CLUSTERED:
        keep = np.linspace(0, len(embeddings) - 1, MAX_CLUSTERED).round().astype(int)
        embeddings, places, linked = embeddings[keep], places[keep], linked[keep]
    count = len(embeddings)
    if count <= 1:
        return embeddings[:count]
    low = min(num_speakers or min_speakers, count)
    high = min(num_speakers or max_speakers or count, count)
    speech = (places[:, 3] - places[:, 2]) * seconds_per_frame
    # a long call's fragments are longer than a short call's speakers: the floor grows with the call
    min_speech = max(min_speech, min_share * float(speech.sum()))
    labels = _agglomerate(embeddings, simultaneous(places), linked, speech, threshold, min_speech, low, high,
                          margin)
    if num_speakers is None:
        labels = _dissolve_small(embeddings, labels, speech, min_speech, keep_at_least=low)
    return _centroids(embeddings, labels)


def same_voice(places: np.ndarray, overlapped: np.ndarray) -> np.ndarray:
    """A group id per piece: the overlapped pieces of one window's local speaker share one, every
    other piece has its own. A voice heard mostly over another gives each short piece a poor
    embedding (two of one voice can be less alike than two people), while the segmentation still
    tells that they are one voice; their mean is a better likeness. Pieces with solo speech are
    left apart: there the segmentation's local label sometimes covers two people in turn."""
    window, local = places[:, 0].astype(np.int64), places[:, 1].astype(np.int64)
    grouped = window * (int(local.max()) + 1) + local
    _, grouped = np.unique(grouped, return_inverse=True)
    return np.where(overlapped, grouped, len(places) + np.arange(len(places)))


def simultaneous(places: np.ndarray) -> np.ndarray:
    """(n, n) bool: pieces of different local speakers heard at the same time in one window."""
    window, local, first, last = places.T
    return ((window[:, None] == window[None, :]) & (local[:, None] != local[None, :])
            & (first[:, None] < last[None, :]) & (first[None, :] < last[:, None]))


def _agglomerate(vectors: np.ndarray, conflict: np.ndarray, linked: np.ndarray, speech: np.ndarray,
                 threshold: float, min_speech: float, low: int, high: int, margin: float) -> np.ndarray:
    """Merge the most similar allowed pair until the threshold; past it, a cluster with less than
    ``min_speech`` seconds still joins its most similar neighbour (a fragment is no speaker).

    Two tight clusters stay apart when their centroids are much less alike than their own members
    are: with cohesion the mean similarity of a cluster's members to its centroid, a pair of
    clusters of ``TIGHT_MEMBERS`` or more is only merged above the smaller cohesion less
    ``margin``. Clean, steady voices (synthetic or studio speech) form clusters of 0.85 and more,
    and two of them at 0.55 are two people, while a meeting's noisy clusters (0.6-0.7) still merge
    at the threshold."""
    clusters = _Clusters(vectors, conflict, speech, margin)
    for group in np.unique(linked):
        first, *rest = np.flatnonzero(linked == group)
        for other in rest:
            if clusters.count > low:  # a hint asking for more speakers than groups keeps them apart
                clusters.merge(first, other)
    while clusters.count > low:
        a, b = clusters.best()
        if not np.isfinite(clusters.pair[a, b]) or clusters.pair[a, b] < threshold:
            alive, similarity = clusters.alive, clusters.similarity
            allowed = np.where(conflict | ~alive[None, :] | ~alive[:, None], -np.inf, similarity)
            if clusters.count <= high:
                small = alive & (clusters.speech < min_speech)
                fragment = np.where(small[:, None] | small[None, :], allowed, -np.inf)
                a, b = np.unravel_index(np.argmax(fragment), fragment.shape)
                if not np.isfinite(fragment[a, b]):
                    break
            else:  # the hints ask for fewer speakers: merge the most similar pair, across windows if need be
                a, b = np.unravel_index(np.argmax(allowed), allowed.shape)
                if not np.isfinite(allowed[a, b]):
                    forced = np.where(~alive[None, :] | ~alive[:, None], -np.inf, similarity)
                    a, b = np.unravel_index(np.argmax(forced), forced.shape)
        clusters.merge(a, b)
    _, labels = np.unique(clusters.parent, return_inverse=True)
    return labels


class _Clusters:
    """The clusters of an agglomeration: centroid sums, sizes, speech, which are still alive, their
    centroids' similarity, and ``pair``, the similarities the cohesion rule lets merge, with each
    row's best pair kept up to date.

    A merge changes only the merged cluster's row and column, so only those are recomputed, and
    a row's best is searched again only when it pointed at one of the two clusters: each merge
    costs a few passes over one row instead of several over the whole matrix (a long call clusters
    up to ``MAX_CLUSTERED`` pieces). :meth:`best` is the first most similar pair in row-major
    order, as an argmax over the whole matrix would give. ``conflict`` is updated in place."""

    def __init__(self, vectors: np.ndarray, conflict: np.ndarray, speech: np.ndarray, margin: float):
        count = len(vectors)
        self.count, self.conflict, self.margin = count, conflict, margin
        self.speech = speech.astype(np.float64).copy()
        self.sums = vectors.astype(np.float64).copy()
        self.members = np.ones(count)
        self.alive = np.ones(count, dtype=bool)
        self.parent = np.arange(count)
        self.units = self.sums / np.linalg.norm(self.sums, axis=1, keepdims=True)
        self.similarity = self.units @ self.units.T
        np.fill_diagonal(self.similarity, -np.inf)
        self.pair = self.full_pairs()
        self.row_best = np.argmax(self.pair, axis=1)
        self.row_max = self.pair[np.arange(count), self.row_best]

    def full_pairs(self) -> np.ndarray:
        """``pair`` computed afresh from the clusters as they are."""
        self.cohesion = np.array([self._cohesion(i) for i in range(len(self.alive))])
        return self._rows(np.arange(len(self.alive)))

    def _cohesion(self, i: int) -> float:
        # the mean of unit vectors has the length of their mean similarity to its direction
        if self.members[i] < TIGHT_MEMBERS:
            return -np.inf
        return float(np.linalg.norm(self.sums[i]) / self.members[i])

    def _rows(self, rows: np.ndarray) -> np.ndarray:
        allowed = np.where(self.conflict[rows] | ~self.alive[None, :] | ~self.alive[rows, None], -np.inf,
                           self.similarity[rows])
        floor = np.minimum(self.cohesion[rows, None], self.cohesion[None, :]) - self.margin
        return np.where(allowed < floor, -np.inf, allowed)

    def merge(self, a: int, b: int) -> None:
        self.sums[a] += self.sums[b]
        self.members[a] += self.members[b]
        self.speech[a] += self.speech[b]
        self.alive[b] = False
        self.parent[self.parent == b] = a
        self.conflict[a] |= self.conflict[b]
        self.conflict[:, a] = self.conflict[a]
        self.units[a] = self.sums[a] / np.linalg.norm(self.sums[a])
        self.similarity[a] = self.units @ self.units[a]
        self.similarity[:, a] = self.similarity[a]
        self.similarity[a, a] = -np.inf
        self.count -= 1
        self.cohesion[a] = self._cohesion(a)
        row = self._rows(np.array([a]))[0]
        self.pair[a], self.pair[:, a] = row, row
        self.pair[b], self.pair[:, b] = -np.inf, -np.inf
        stale = np.union1d(np.flatnonzero((self.row_best == a) | (self.row_best == b)), [a, b])
        # rows whose best is elsewhere only need to know whether column a now beats it
        better = (row > self.row_max) | ((row == self.row_max) & (a < self.row_best))
        better[stale] = False
        self.row_max[better], self.row_best[better] = row[better], a
        self.row_best[stale] = np.argmax(self.pair[stale], axis=1)
        self.row_max[stale] = self.pair[stale, self.row_best[stale]]

    def best(self) -> tuple[int, int]:
        a = int(np.argmax(self.row_max))
        return a, int(self.row_best[a])


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
