"""Each kind of work has its queue: statistics, exports and emails never wait behind each other."""

import pytest

from accounts import tasks as account_tasks
from courses import tasks as course_tasks
from platform_app.celery import app
from reports import tasks as report_tasks


@pytest.mark.parametrize(
    "task,queue",
    [
        (report_tasks.stats_incremental, "stats"),
        (report_tasks.stats_full_rebuild, "stats"),
        (report_tasks.stats_runs_purge, "stats"),
        (report_tasks.export_build, "exports"),
        (report_tasks.exports_sweep, "exports"),
        (report_tasks.exports_purge, "exports"),
        (account_tasks.invitation_send, "email"),
        (account_tasks.invitations_enqueue, "email"),
        (course_tasks.assignment_reminders_send, "email"),
    ],
)
def test_each_task_goes_to_its_queue(task, queue):
    route = app.amqp.router.route({}, task.name)
    assert route["queue"].name == queue
    # Bound by its own key: a message for one queue is never copied into the others.
    assert route["queue"].routing_key == queue


def test_a_worker_without_queues_named_takes_every_queue():
    assert {q.name for q in app.conf.task_queues} == {"celery", "stats", "exports", "email"}


def test_no_two_queues_share_a_routing_key():
    keys = [(q.exchange.name, q.routing_key) for q in app.amqp.queues.values()]
    assert len(keys) == len(set(keys))
