"""The task manager: one writer thread, results on the GUI thread, long jobs interleaved."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from reader.core.errors import GlossError
from reader.core.library import Library
from reader.core.types import Changes, FeedId
from reader.gui.tasks import TaskManager


@pytest.fixture
def tasks(tmp_path: Path) -> Iterator[TaskManager]:
    manager = TaskManager(lambda: Library.open(tmp_path / "library.gloss"))
    assert manager.wait_until_open(10) is None
    yield manager
    manager.shutdown()


def test_jobs_run_on_one_thread_and_report_on_the_gui_thread(
    qtbot: QtBot, tasks: TaskManager
) -> None:
    seen: list[tuple[str, str]] = []
    for n in range(3):
        tasks.run_db(
            lambda _lib, n=n: (str(n), threading.current_thread().name),
            lambda value: seen.append((value[0], value[1] + "|" + threading.current_thread().name)),
        )
    qtbot.waitUntil(lambda: len(seen) == 3)
    assert [s[0] for s in seen] == ["0", "1", "2"]
    assert {s[1] for s in seen} == {"gloss-db|MainThread"}


def test_a_short_job_does_not_wait_for_a_long_stepping_job(
    qtbot: QtBot, tasks: TaskManager
) -> None:
    order: list[str] = []
    submitted = threading.Event()

    def long_job(_lib: Library) -> Iterator[int]:
        for step in range(5):
            submitted.wait(5)  # the short job is queued before the first step ends
            yield step

    tasks.run_db_steps(long_job, lambda step: order.append(f"step{step}"))
    tasks.run_db(lambda _lib: None, lambda _v: order.append("short"))
    submitted.set()
    qtbot.waitUntil(tasks.is_idle)
    assert order.index("short") == 1  # right after the first step, not after the fifth
    assert [o for o in order if o != "short"] == [f"step{i}" for i in range(5)]


def test_mutations_broadcast_changes_once_and_errors_become_messages(
    qtbot: QtBot, tasks: TaskManager
) -> None:
    with qtbot.waitSignal(tasks.changes_applied) as signal:
        tasks.mutate(lambda lib: lib.create_folder("News")[1], initiator="me")
    changes, initiator = signal.args
    assert isinstance(changes, Changes) and changes.folders and initiator == "me"
    with qtbot.waitSignal(tasks.error_reported) as error:
        tasks.mutate(lambda lib: lib.rename_feed(FeedId(999), "x"))
    assert "999" in error.args[0]


def test_unexpected_errors_reach_the_gui_threads_error_handler(
    qtbot: QtBot, tasks: TaskManager
) -> None:
    with qtbot.capture_exceptions() as caught:
        tasks.run_db(lambda _lib: 1 // 0)
        qtbot.waitUntil(lambda: bool(caught))
    assert isinstance(caught[0][1], ZeroDivisionError)
    handled: list[BaseException] = []
    tasks.run_network(lambda: (_ for _ in ()).throw(GlossError("offline")), None, handled.append)
    qtbot.waitUntil(lambda: bool(handled))
    assert str(handled[0]) == "offline"


def test_a_library_that_cannot_open_fails_every_job_with_its_reason(
    qtbot: QtBot, tmp_path: Path
) -> None:
    bogus = tmp_path / "library.gloss"
    bogus.write_bytes(b"definitely not sqlite" * 20)
    manager = TaskManager(lambda: Library.open(bogus))
    try:
        error = manager.wait_until_open(10)
        assert isinstance(error, GlossError) and "not a Gloss library" in str(error)
        failures: list[BaseException] = []
        manager.run_db(lambda lib: lib.list_feeds(), None, failures.append)
        qtbot.waitUntil(lambda: bool(failures))
        assert failures[0] is error
    finally:
        manager.shutdown()
