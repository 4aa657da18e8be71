"""The jobs table, as the job engine will use it through the ORM."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from ifc_desktop.store import Store
from ifc_desktop.store.models import Job, JobState


@pytest.fixture
def store(tmp_path: Path):
    with Store.open(tmp_path) as store:
        yield store


def test_job_round_trip_with_defaults(store: Store) -> None:
    with store.session(write=True) as session:
        job = Job(path="C:\\Projekte\\Haus Süd.ifc", size=123, time_limit=30.0)
        session.add(job)
        session.flush()
        job_id = job.id
    with store.session() as session:
        job = session.get(Job, job_id)
        assert job.state is JobState.PENDING
        assert (job.attempts, job.max_attempts, job.progress, job.stage_name) == (0, 3, 0.0, "")
        assert job.cancel_requested is False and job.error_permanent is False and job.new_model is False
        assert job.queued_at.tzinfo is UTC and job.updated_at.tzinfo is UTC
        assert job.path == "C:\\Projekte\\Haus Süd.ifc" and job.sha256 is None


def test_job_states_and_json_are_stored(store: Store) -> None:
    retry_at = datetime(2030, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    with store.session(write=True) as session:
        for state in JobState:
            session.add(Job(path=f"{state}.ifc", size=1, state=state))
        session.add(
            Job(
                path="x.ifc",
                size=1,
                state=JobState.RETRY,
                next_attempt_at=retry_at.astimezone(timezone(timedelta(hours=2))),
                stage_durations={"Opening file": 0.25, "Saving": 1.5},
            )
        )
    with store.session() as session:
        stored = session.scalars(select(Job.state).order_by(Job.id)).all()
        assert stored[: len(JobState)] == list(JobState)
        retry = session.scalars(select(Job).where(Job.path == "x.ifc")).one()
        assert retry.next_attempt_at == retry_at
        assert retry.stage_durations == {"Opening file": 0.25, "Saving": 1.5}
        due = session.scalars(select(Job.path).where(Job.next_attempt_at <= retry_at + timedelta(seconds=1))).all()
        assert due == ["x.ifc"]
    with store.read() as conn:  # values are the readable state names
        states = conn.exec_driver_sql("SELECT DISTINCT state FROM jobs ORDER BY state").scalars().all()
        assert states == sorted(s.value for s in JobState)


def test_naive_datetimes_are_refused(store: Store) -> None:
    with pytest.raises(Exception, match="naive"), store.session(write=True) as session:
        session.add(Job(path="a.ifc", size=1, queued_at=datetime(2030, 1, 1)))
        session.flush()


def test_failed_session_block_writes_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError), store.session(write=True) as session:
        session.add(Job(path="a.ifc", size=1))
        session.flush()
        raise RuntimeError("stop")
    with store.session() as session:
        assert session.scalars(select(Job)).all() == []
