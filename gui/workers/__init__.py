"""Workers: long work (generators of Progress) run on QThreads; results and errors come back as signals.

Workers receive data, never widgets, and never touch the UI. Every outcome of a job (result, user
error, unexpected error, cancellation) is delivered through its `JobHandle`, so a thread never dies
silently.
"""

from gui.workers.job import Job, JobFailure, JobHandle, execute
from gui.workers.lane import WorkerLane

__all__ = ["Job", "JobFailure", "JobHandle", "WorkerLane", "execute"]
