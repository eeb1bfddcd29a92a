"""Which local speakers are the same person: agglomerative clustering of their embeddings.

Centroid linkage on unit vectors, cut at a distance threshold, gives the speaker count; the
``num_speakers`` hint cuts at that count instead, and ``min_speakers`` / ``max_speakers`` clamp the
count found. Clusters too small to be a speaker (a few windows of noise or cross-talk) are
dissolved into the nearest large one. Within one window, local speakers are different people, so
they are matched to distinct clusters (an assignment problem per window).
"""

from __future__ import annotations

import numpy as np


def cluster(embeddings: np.ndarray, *, threshold: float, min_cluster_size: int, num_speakers: int | None,
            min_speakers: int, max_speakers: int | None) -> np.ndarray:
    """Unit centroids, one row per speaker found."""
    count = len(embeddings)
    if count == 0:
        return np.zeros((0, embeddings.shape[1] if embeddings.ndim == 2 else 192), dtype=np.float32)
    if count == 1:
        return embeddings[:1]
    from scipy.cluster.hierarchy import fcluster, linkage

    tree = linkage(embeddings, method="centroid", metric="euclidean")
    labels = fcluster(tree, t=threshold, criterion="distance") - 1
    labels = _dissolve_small(embeddings, labels, min(min_cluster_size, max(1, count // 10)))
    found = len(np.unique(labels))
    wanted = num_speakers or max(min_speakers, min(found, max_speakers or found))
    wanted = min(wanted, count)
    if wanted != found:
        labels = fcluster(tree, t=wanted, criterion="maxclust") - 1
        if num_speakers is None or len(np.unique(labels)) < wanted:
            labels = _dissolve_small(embeddings, labels, 1)
    return _centroids(embeddings, labels)


def _dissolve_small(embeddings: np.ndarray, labels: np.ndarray, min_size: int) -> np.ndarray:
    sizes = np.bincount(labels)
    large = np.flatnonzero(sizes >= min_size)
    if len(large) == 0:
        large = np.array([int(np.argmax(sizes))])
    centroids = np.stack([_unit(embeddings[labels == k].mean(axis=0)) for k in large])
    small = ~np.isin(labels, large)
    labels = labels.copy()
    if small.any():
        labels[small] = large[np.argmax(embeddings[small] @ centroids.T, axis=1)]
    _, labels = np.unique(labels, return_inverse=True)
    return labels


def _centroids(embeddings: np.ndarray, labels: np.ndarray) -> np.ndarray:
    return np.stack([_unit(embeddings[labels == k].mean(axis=0)) for k in np.unique(labels)])


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / max(float(np.linalg.norm(vector)), 1e-8)


def assign(window_embeddings: list[list[np.ndarray | None]], centroids: np.ndarray) -> list[list[int]]:
    """Per window, the cluster of each local speaker (-1 without an embedding), two local
    speakers of one window never sharing a cluster while enough clusters exist."""
    from scipy.optimize import linear_sum_assignment

    out = []
    for vectors in window_embeddings:
        labels = [-1] * len(vectors)
        present = [i for i, v in enumerate(vectors) if v is not None]
        if present and len(centroids):
            similarity = np.stack([vectors[i] for i in present]) @ centroids.T
            if len(present) <= len(centroids):
                rows, cols = linear_sum_assignment(-similarity)
                for row, col in zip(rows, cols):
                    labels[present[row]] = int(col)
            else:
                for row, speaker in enumerate(present):
                    labels[speaker] = int(np.argmax(similarity[row]))
        out.append(labels)
    return out
