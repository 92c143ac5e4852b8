"""One fuzz run: seed and start the hub, send the catalogue and the Hypothesis campaigns,
stop the hub, then judge answers, log and stored documents (see ``report``)."""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from pymongo import MongoClient

from tests.fuzz import api_cases, hooks, ws_cases
from tests.fuzz.probes import Probe, excerpt, send
from tests.fuzz.report import Record, Report, judge
from tests.fuzz.target import KINDS, World, fuzz_settings, start


@dataclass(frozen=True)
class Budget:
    examples: int = 25  # Hypothesis examples per webhook campaign and per API operation
    spots: int = 2  # places in each platform payload that get each hostile category
    seconds: float = 50.0  # the whole run stops sending after this
    timeout: float = 10.0  # per request: no answer by then is a hang
    seed: int | None = None  # None: derandomized (the same inputs every run)
    stride: int = 1  # API catalogue: every n-th hostile path, query and body value
    log_level: str = "INFO"


class Recorder:
    def __init__(self, port: int, world: World, budget: Budget) -> None:
        self.port, self.world, self.budget = port, world, budget
        self.records: list[Record] = []
        self.deadline = time.monotonic() + budget.seconds
        self.skipped = 0

    def out_of_time(self) -> bool:
        return time.monotonic() > self.deadline

    def __call__(self, probe: Probe) -> None:
        if self.out_of_time():
            self.skipped += 1
            return
        rid = f"fz-{len(self.records) + 1}"
        out = send(self.port, probe, rid, self.budget.timeout)
        if (out.error or "").startswith("unsendable"):
            self.skipped += 1
            return
        problems = judge(probe, out, self.world.secrets)
        kept = replace(probe, body=b"")  # the report needs only the excerpt
        record = Record(rid, kept, len(probe.body), out.status, out.seconds, out.error, problems)
        record.excerpt = excerpt(probe.body)
        if problems:
            record.answer = out.body[:300].decode("utf-8", "replace")
        self.records.append(record)

    def ws(self, probe: Probe) -> None:
        """One live-socket probe (see ``ws_cases``)."""
        if self.out_of_time():
            self.skipped += 1
            return
        rid = f"fz-{len(self.records) + 1}"
        started = time.monotonic()
        status, what = ws_cases.talk(self.port, probe, rid, self.budget.timeout)
        if what.startswith("unsendable"):
            self.skipped += 1
            return
        problems = ws_cases.judge_ws(status, what)
        kept = replace(probe, body=b"")
        record = Record(
            rid, kept, len(probe.body), status, time.monotonic() - started, None, problems
        )
        record.excerpt, record.answer = excerpt(probe.body), what
        self.records.append(record)


def run_given(
    strategy: st.SearchStrategy[Probe], fn: Callable[[Probe], None], budget: Budget, label: str
) -> None:
    """Draw ``budget.examples`` probes with Hypothesis; failures are recorded, not raised,
    so one broken route does not end the campaign. The seed mixes the run's seed (0 when
    none is given: the same inputs every run) with the campaign's label, so campaigns do
    not all draw the same choices."""

    @settings(
        max_examples=budget.examples,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def prop(probe: Probe) -> None:
        fn(probe)

    seed((budget.seed or 0) ^ zlib.crc32(label.encode()))(prop)()


def refresh_ids(client: MongoClient[dict[str, Any]], db: str, world: World) -> None:
    """Ids of the records the run has made so far, for the path parameters."""
    sources = {
        "conversation_id": "conversations",
        "contact_id": "contacts",
        "company_id": "crm_companies",
        "lead_id": "crm_leads",
        "deal_id": "crm_deals",
        "task_id": "crm_tasks",
        "canned_id": "canned_responses",
        "pipeline_id": "crm_pipelines",
        "proposal_id": "crm_merge_proposals",
        "item_id": "crm_outbox",
        "merge_id": "crm_merges",
    }
    files = client[db]["messages"].find({"attachments.file_id": {"$ne": None}}, {"attachments": 1})
    file_ids = [
        a["file_id"] for m in files.limit(20) for a in m.get("attachments", []) if a.get("file_id")
    ]
    if file_ids:
        world.ids["file_id"] = file_ids[-3:]
    for param, collection in sources.items():
        ids = [str(d["_id"]) for d in client[db][collection].find({}, {"_id": 1}).limit(3)]
        if ids:
            world.ids[param] = ids


def stored_forgeries(client: MongoClient[dict[str, Any]], db: str, world: World) -> dict[str, int]:
    counts = {}
    for kind, line_id in zip(KINDS, world.forged_line_ids, strict=True):
        for collection, query in [
            ("messages", {"line_id": line_id}),
            ("conversations", {"line_id": line_id}),
            ("contacts", {"$or": [{"line_id": line_id}, {"ident.line_id": line_id}]}),
        ]:
            counts[f"{collection} of the {kind} forged line"] = client[db][
                collection
            ].count_documents(query)
    return counts


def run(mongo_url: str, redis_url: str, workdir: Path, budget: Budget) -> Report:
    started = time.monotonic()
    settings_ = fuzz_settings(mongo_url, redis_url, workdir / "data")
    hub, world = start(settings_, workdir, budget.log_level)
    rec = Recorder(hub.port, world, budget)
    client: MongoClient[dict[str, Any]] = MongoClient(mongo_url)
    try:
        for probe in hooks.catalogue(world, budget.spots, budget.stride):
            rec(probe)
        for kind in KINDS:
            for forged in (False, True):
                if not rec.out_of_time():
                    run_given(
                        hooks.random_probe(world, kind, forged), rec, budget, f"{kind} {forged}"
                    )
        refresh_ids(client, settings_.mongo_db, world)
        spec_probe = Probe("setup", "GET", "GET", "/api/v1/openapi.json", "setup")
        spec = json.loads(send(hub.port, spec_probe, "fz-spec", budget.timeout).body)
        # Destructive routes last, so the others still find their objects.
        ops = sorted(api_cases.operations(spec), key=lambda o: o.method == "DELETE")
        for op in ops:
            for probe in api_cases.catalogue(world, op, budget.stride):
                rec(probe)
            if op.method == "POST":  # it may have made records the next routes can use
                refresh_ids(client, settings_.mongo_db, world)
        for probe in ws_cases.catalogue(world, short=budget.stride > 1):
            rec.ws(probe)
        if not rec.out_of_time():
            few = replace(budget, examples=max(1, budget.examples // 4))
            run_given(ws_cases.random_probe(world), rec.ws, few, "websocket")
        refresh_ids(client, settings_.mongo_db, world)
        for op in ops:
            if not rec.out_of_time():
                run_given(api_cases.random_probe(world, op), rec, budget, op.route)
    finally:
        alive = hub.alive()
        log = hub.stop()
    forgeries = stored_forgeries(client, settings_.mongo_db, world)
    client.drop_database(settings_.mongo_db)
    client.close()
    meta = {
        "budget": asdict(budget),
        "seconds": round(time.monotonic() - started, 1),
        "requests": len(rec.records),
        "not_sent": rec.skipped,
        "operations": len(ops),
        "hub_alive_at_end": alive,
        "log_lines": log.count("\n"),
    }
    report = Report(rec.records, log, world.secrets, forgeries, meta)
    report.analyse()
    return report


START, END = "<!-- results: written by make fuzz -->", "<!-- end of results -->"


def write(report: Report, docs: Path) -> None:
    """``docs/fuzz.json`` in full; the summary table into the results part of ``fuzz.md``."""
    docs.mkdir(exist_ok=True)
    (docs / "fuzz.json").write_text(
        json.dumps(report.as_json(), indent=1, ensure_ascii=True) + "\n"
    )
    md = docs / "fuzz.md"
    if md.exists() and START in md.read_text():
        text = md.read_text()
        head, _, rest = text.partition(START)
        _, _, tail = rest.partition(END)
        meta = report.meta
        body = (
            f"\n\nLast run: {meta['requests']} requests to {meta['operations']} API operations "
            f"and every webhook in {meta['seconds']} s, budget `{json.dumps(meta['budget'])}`."
            f"\n\n```\n{report.text_table()}\n```\n\n"
        )
        md.write_text(head + START + body + END + tail)
