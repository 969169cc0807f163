"""Speaker turns in mono audio: each utterance is embedded as MFCC statistics, and the utterances are split
into two speakers by Ward clustering.

An offline method with no model: the mean and spread of 20 MFCCs over an utterance characterise a voice's
timbre and pitch range well enough to tell two telephone voices apart (measured in docs/benchmarks.md). It is
weaker than a neural speaker embedding (resemblyzer needs torch) when two voices are alike.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from python_speech_features import mfcc
from scipy.cluster.hierarchy import fcluster, linkage

__all__ = ["cluster_speakers", "embed"]

MIN_SECONDS = 0.3


def embed(audio: npt.NDArray[np.int16], sample_rate: int) -> npt.NDArray[np.float64]:
    features = mfcc(audio.astype(np.float64), samplerate=sample_rate, numcep=20, nfilt=40, nfft=512,
                    winlen=0.025, winstep=0.01)
    frames = features[:, 1:]  # c0 is loudness, not voice
    return np.concatenate([frames.mean(axis=0), frames.std(axis=0)])


def cluster_speakers(audio: npt.NDArray[np.int16], sample_rate: int, spans: Sequence[tuple[float, float]],
                     *, speakers: int = 2) -> list[int]:
    """A speaker label (0..speakers-1, in order of first appearance) for each (start, end) span."""
    if len(spans) < 2:
        return [0] * len(spans)
    vectors = []
    for start, end in spans:
        a, b = int(start * sample_rate), int(max(end, start + MIN_SECONDS) * sample_rate)
        vectors.append(embed(audio[a:b], sample_rate))
    matrix = np.array(vectors)
    spread = matrix.std(axis=0)
    matrix = (matrix - matrix.mean(axis=0)) / np.where(spread > 0, spread, 1.0)
    labels = fcluster(linkage(matrix, method="ward"), t=speakers, criterion="maxclust")
    order: dict[int, int] = {}
    for label in labels:
        order.setdefault(int(label), len(order))
    return [order[int(label)] for label in labels]
