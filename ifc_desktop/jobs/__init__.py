"""The job engine: a persistent import queue run by spawned worker processes (no Qt)."""

from ifc_desktop.jobs.engine import JobEngine, default_workers
from ifc_desktop.jobs.info import TERMINAL_STATES, JobInfo, JobListener, JobState

__all__ = ["TERMINAL_STATES", "JobEngine", "JobInfo", "JobListener", "JobState", "default_workers"]
