"""Composition of the managers' side (issue 14): report queries, the per-conversation
metrics refresh and the SLA monitor, built over one database. Kept beside ``wiring`` so the
hub gains one method and one start-up line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from inbox.domain.clock import Clock
from inbox.domain.models import Presence
from inbox.domain.ports import EventPublisher
from inbox.services.reports.refresh import MetricsRefresher
from inbox.services.sla.monitor import SlaMonitor
from inbox.store.mongo import Database
from inbox.store.presence import MongoPresenceRepository
from inbox.store.report_gauges import gauge_snapshot
from inbox.store.report_queries import ReportQueries, live_board
from inbox.store.reports import MongoMetricsStore
from inbox.store.sla import MongoSlaStore


@dataclass(frozen=True)
class Reporting:
    queries: ReportQueries
    refresher: MetricsRefresher
    sla: MongoSlaStore
    monitor: SlaMonitor
    db: Database

    @classmethod
    def of(cls, db: Database, publisher: EventPublisher, clock: Clock) -> Reporting:
        refresher = MetricsRefresher(MongoMetricsStore(db), clock)
        sla = MongoSlaStore(db)
        return cls(
            queries=ReportQueries(db),
            refresher=refresher,
            sla=sla,
            monitor=SlaMonitor(sla, publisher, clock, refresher),
            db=db,
        )

    async def live(self, audience: dict[str, Any], now: datetime) -> dict[str, Any]:
        """The live board's figures within the caller's audience."""
        return await live_board(self.db, audience, now)

    async def presence(self) -> dict[str, tuple[Presence, datetime]]:
        return await MongoPresenceRepository(self.db).all()

    async def gauges(self) -> dict[str, Any]:
        """The figures ``/metrics`` exports (``inbox.web.report_metrics``)."""
        return await gauge_snapshot(self.db)


async def ensure_report_indexes(db: Database) -> None:
    await MongoMetricsStore(db).ensure_indexes()
    await MongoSlaStore(db).ensure_indexes()
