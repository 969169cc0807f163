"""The hand-off between the API and background work: a small queue interface and its implementations."""

from callpilot.bus.base import Job, JobHandler, WorkQueue
from callpilot.bus.inprocess import InProcessWorkQueue

__all__ = ["InProcessWorkQueue", "Job", "JobHandler", "WorkQueue"]
