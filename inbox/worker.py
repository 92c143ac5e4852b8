"""The worker process: APScheduler runs the periodic sweeps that keep the hub healthy.

Every timer is derived from stored timestamps, so a restarted worker picks up where the
last one stopped. Jobs never overlap themselves (``max_instances=1``, ``coalesce``).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from inbox.services import line_tokens
from inbox.services.reports.refresh import REFRESH_INTERVAL_S
from inbox.services.sla import monitor as sla_monitor
from inbox.wiring import Hub

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    interval_s: float
    run: Callable[[], Awaitable[object]]


def hub_jobs(hub: Hub) -> list[Job]:
    """The worker's jobs; plugins' jobs are added in wiring."""
    ws = hub.settings.worker
    jobs = [
        Job("outbound_drain", ws.outbound_interval_s, hub.sender.drain),
        Job("ingest_heal", ws.heal_interval_s, lambda: hub.ingest.heal(ws.heal_after_s)),
        Job("crm_outbox", hub.settings.crm.outbox_interval_s, hub.crm_side.drainer.drain),
        Job("crm_tasks", hub.settings.crm.tasks_interval_s, hub.crm_side.tasks.fire_due),
        # Retries of attachment downloads (the first try runs right after ingest).
        Job("attachment_fetch", ws.heal_interval_s, hub.attachments.sweep),
        Job("routing_sweep", hub.settings.routing.sweep_interval_s, hub.router.sweep),
        Job("routing_reconcile", hub.settings.routing.reconcile_interval_s, hub.router.reconcile),
        Job(
            "snooze_wake",
            hub.settings.ui.snooze_check_s,
            lambda: hub.lifecycle().wake_due(),
        ),
        Job(
            "line_tokens",
            line_tokens.INTERVAL_S,
            lambda: line_tokens.refresh_line_tokens(
                hub.lines, hub.connectors, hub.publisher, hub.clock
            ),
        ),
    ]
    jobs.append(
        Job("report_metrics", REFRESH_INTERVAL_S, hub.reporting().refresher.refresh_changed)
    )
    jobs.append(Job("sla_check", sla_monitor.INTERVAL_S, hub.reporting().monitor.check))
    if hub.mailboxes is not None:  # one IMAP connection per email line (issue 13)
        jobs.append(Job("email_mailboxes", ws.mailboxes_interval_s, hub.mailboxes.reconcile))
    return jobs


def _guarded(job: Job) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        try:
            await job.run()
        except Exception:  # a job boundary: log and let the next tick try again
            log.exception("job_failed", job=job.name)

    return run


async def run_worker(hub: Hub, stop: asyncio.Event) -> None:
    """Run every job until ``stop`` is set; each job also runs once at start."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    jobs = hub_jobs(hub)
    for job in jobs:
        scheduler.add_job(
            _guarded(job),
            "interval",
            seconds=job.interval_s,
            id=job.name,
            name=job.name,
            max_instances=1,
            coalesce=True,
        )
    scheduler.start()
    for job in jobs:
        await _guarded(job)()
    log.info("worker_started", jobs=[j.name for j in jobs])
    try:
        await stop.wait()
    finally:
        scheduler.shutdown(wait=False)
        log.info("worker_stopped")


def install_stop_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
