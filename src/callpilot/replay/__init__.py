"""Transcript files and the client that replays them against a running server, as an ACD would."""

from callpilot.replay.client import ReplayResult, replay_call
from callpilot.replay.transcript import Transcript, TranscriptSegment, load_transcript

__all__ = ["ReplayResult", "Transcript", "TranscriptSegment", "load_transcript", "replay_call"]
