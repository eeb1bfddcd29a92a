"""Who is who: group window embeddings into speakers, the count found or hinted.

Spectral clustering on a pruned cosine-affinity graph. Each window keeps only its strongest
``prune`` share of links, which leaves one dense block per voice; the speaker count is where the
graph Laplacian's eigenvalues jump (the eigengap). On these calls that count was steadier than a
fixed distance threshold on agglomerative clustering, whose best cut moved from call to call.
Windows shorter than ``reliable`` seconds carry noisy embeddings, so only longer ones build the
clusters; short ones join the nearest speaker centroid afterwards.
"""

from __future__ import annotations

import numpy as np

MAX_AUTO_SPEAKERS = 8


def cluster_windows(embeddings: np.ndarray, durations: np.ndarray, *, num_speakers: int | None = None,
                    min_speakers: int = 1, max_speakers: int | None = None, reliable: float = 1.0,
                    prune: float = 0.3) -> np.ndarray:
    """A speaker index (0..k-1) for every window."""
    count = len(embeddings)
    if count == 0:
        return np.zeros(0, dtype=int)
    anchors = np.flatnonzero(durations >= reliable)
    if len(anchors) < max(3, num_speakers or min_speakers):
        anchors = np.arange(count)
    if len(anchors) < 2:
        return np.zeros(count, dtype=int)
    eigenvalues, eigenvectors = _laplacian_spectrum(embeddings[anchors], prune)
    speakers = num_speakers or _clamp(_eigengap_count(eigenvalues), min_speakers, max_speakers)
    speakers = min(speakers, len(anchors))
    labels = _partition(embeddings[anchors], speakers)
    centroids = _centroids(embeddings[anchors], labels)
    result = np.argmax(embeddings @ centroids.T, axis=1)
    result[anchors] = labels  # the anchors keep the grouping they made
    return result


def _laplacian_spectrum(embeddings: np.ndarray, prune: float) -> tuple[np.ndarray, np.ndarray]:
    affinity = np.clip(embeddings @ embeddings.T, 0, None)
    keep = max(2, int(round(prune * len(affinity))))
    strongest = np.argsort(affinity, axis=1)[:, -keep:]
    pruned = np.zeros_like(affinity)
    np.put_along_axis(pruned, strongest, np.take_along_axis(affinity, strongest, axis=1), axis=1)
    graph = (pruned + pruned.T) / 2
    scale = 1 / np.sqrt(np.maximum(graph.sum(axis=1), 1e-8))
    laplacian = np.eye(len(graph)) - graph * scale[:, None] * scale[None, :]
    return np.linalg.eigh(laplacian)


def _eigengap_count(eigenvalues: np.ndarray) -> int:
    head = eigenvalues[: MAX_AUTO_SPEAKERS + 1]
    return int(np.argmax(np.diff(head))) + 1


def _clamp(value: int, low: int, high: int | None) -> int:
    return max(low, min(value, high if high is not None else value))


def _partition(embeddings: np.ndarray, speakers: int, rounds: int = 5) -> np.ndarray:
    """Average-linkage groups cut at ``speakers``, then a few centroid reassignments to repair
    windows that linkage attached early to the wrong group. Linkage, unlike k-means on the
    spectral embedding, keeps a speaker with few windows (a caller who mostly listens) whole."""
    if speakers == 1:
        return np.zeros(len(embeddings), dtype=int)
    from scipy.cluster.hierarchy import fcluster, linkage

    labels = fcluster(linkage(embeddings, method="average", metric="cosine"), t=speakers,
                      criterion="maxclust") - 1
    for _ in range(rounds):
        moved = np.argmax(embeddings @ _centroids(embeddings, labels).T, axis=1)
        if len(np.unique(moved)) < speakers or np.array_equal(moved, labels):
            break
        labels = moved
    return labels


def _centroids(embeddings: np.ndarray, labels: np.ndarray) -> np.ndarray:
    sums = np.stack([embeddings[labels == k].sum(axis=0) for k in range(labels.max() + 1)])
    return sums / np.linalg.norm(sums, axis=1, keepdims=True)
