"""Bitrix24 as an :class:`~inbox.domain.ports.ExternalCrm`: outbox items -> ``batch`` calls.

Idempotency: Bitrix24 has no idempotency keys, so every record we create carries
``ORIGINATOR_ID`` (this hub) and ``ORIGIN_ID`` (our id). Before creating a record we know
no remote id for, and always after an attempt that may have reached the portal
(``attempts > 1``), the adapter first looks it up by ``ORIGIN_ID``; timeline comments carry
an ``[inbox:ITEM_ID]`` marker and are looked up the same way. So a retry or a restart finds
what an earlier attempt created instead of creating a duplicate.

A drain round is a ``batch`` of look-ups (50 commands a request), comment look-ups on
retries only, then writes: one request per 12 items (at most 4 commands each), in which a
record's company and contact are created first and referred to with ``$result[...]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog

from crm_sync.bitrix24.client import Bitrix24Client
from crm_sync.bitrix24.config import Bitrix24Config
from crm_sync.bitrix24.errors import Bitrix24Error
from crm_sync.bitrix24.query import command as encode
from inbox.domain.ports import PushCommand, PushResult

log = structlog.get_logger(__name__)

ENTITY_TYPE = {"lead": "lead", "deal": "deal", "contact": "contact", "company": "company"}


@dataclass
class _Plan:
    """The sub-commands of one outbox item in the write batch, and what they produce."""

    command: PushCommand
    subs: dict[str, str] = field(default_factory=dict)  # batch name -> encoded command
    produces: dict[str, str] = field(default_factory=dict)  # batch name -> "entity:local_id"
    depends: list[str] = field(default_factory=list)  # names from other plans it refers to
    error: Bitrix24Error | None = None


def _marker(item_id: str) -> str:
    return f"[inbox:{item_id}]"


def _first_id(answer: Any) -> str | None:
    if isinstance(answer, list) and answer and isinstance(answer[0], dict) and "ID" in answer[0]:
        return str(answer[0]["ID"])
    return None


class Bitrix24Crm:
    system = "bitrix24"

    def __init__(self, client: Bitrix24Client, config: Bitrix24Config) -> None:
        self._client = client
        self._config = config

    # ------------------------------------------------------------ batching

    async def run_batch(
        self, cmds: dict[str, str]
    ) -> tuple[dict[str, Any], dict[str, Bitrix24Error]]:
        """Run commands in batches of at most ``batch_max``; errors per command name."""
        results: dict[str, Any] = {}
        errors: dict[str, Bitrix24Error] = {}
        names = list(cmds)
        size = self._config.batch_max
        for start in range(0, len(names), size):
            chunk = {n: cmds[n] for n in names[start : start + size]}
            try:
                answer = await self._client.batch(chunk)
            except Bitrix24Error as e:
                errors |= dict.fromkeys(chunk, e)
                continue
            got = answer.get("result") or {}
            bad = answer.get("result_error") or {}
            for name in chunk:
                if isinstance(bad, dict) and name in bad:
                    err = bad[name] if isinstance(bad[name], dict) else {}
                    errors[name] = Bitrix24Error(
                        str(err.get("error") or ""), str(err.get("error_description") or "")
                    )
                elif isinstance(got, dict) and name in got:
                    results[name] = got[name]
                else:
                    errors[name] = Bitrix24Error(
                        "no_result", "batch gave no answer", retryable=True
                    )
        return results, errors

    def _list(self, entity: str, local_id: str) -> str:
        return encode(
            f"crm.{entity}.list",
            {
                "filter": {"ORIGIN_ID": local_id, "ORIGINATOR_ID": self._config.originator_id},
                "select": ["ID"],
            },
        )

    # ------------------------------------------------------------ push

    async def push(self, commands: Sequence[PushCommand]) -> list[PushResult]:
        known: dict[str, str] = {}
        for c in commands:
            known |= c.refs or {}
        blocked: dict[str, Bitrix24Error] = {}  # item id -> look-up error
        await self._lookup(commands, known, blocked)
        commented = await self._lookup_comments(commands, known, blocked)
        # Each item is at most 4 sub-commands, so a chunk of batch_max // 4 items is one
        # request; creations shared inside a chunk (one contact, two leads) happen once.
        per_chunk = max(1, self._config.batch_max // 4)
        plans: list[_Plan] = []
        results: dict[str, Any] = {}
        errors: dict[str, Bitrix24Error] = {}
        for start in range(0, len(commands), per_chunk):
            shared: dict[str, str] = {}
            chunk = [
                self._plan(start + i, c, known, commented, shared)
                for i, c in enumerate(commands[start : start + per_chunk])
            ]
            plans += chunk
            cmds = {
                name: sub
                for p in chunk
                if p.error is None and p.command.item.id not in blocked
                for name, sub in p.subs.items()
            }
            if cmds:
                got, bad = await self.run_batch(cmds)
                results |= got
                errors |= bad
        produced: dict[str, str] = {}
        for p in plans:
            for name, key in p.produces.items():
                if name in results:
                    produced[key] = str(results[name])
        out: list[PushResult] = []
        for p in plans:
            item = p.command.item
            remote = {k: v for k, v in (known | produced).items() if k in self._keys(p.command)}
            error = blocked.get(item.id) or p.error
            if error is None:
                for name in [*p.depends, *p.subs]:
                    if name in errors:
                        error = errors[name]
                        break
            if error is None:
                out.append(PushResult(item.id, remote))
            else:
                out.append(
                    PushResult(
                        item.id,
                        remote,
                        error=error.message,
                        error_code=error.remote_code or error.code,
                        retryable=error.retryable,
                        retry_after=error.retry_after,
                    )
                )
        return out

    @staticmethod
    def _keys(c: PushCommand) -> set[str]:
        keys = {f"{c.item.entity}:{c.item.entity_id}"}
        if c.contact is not None:
            keys.add(f"contact:{c.contact.id}")
        if c.company is not None:
            keys.add(f"company:{c.company.id}")
        return keys

    async def _lookup(
        self, commands: Sequence[PushCommand], known: dict[str, str], blocked: dict[str, Any]
    ) -> None:
        wanted: dict[str, list[str]] = {}  # "entity:local_id" -> item ids that need it
        for c in commands:
            item = c.item
            keys = [k for k in self._keys(c) if k != f"{item.entity}:{item.entity_id}"]
            if item.action in ("update", "comment", "upsert") or item.attempts > 1:
                keys.append(f"{item.entity}:{item.entity_id}")
            for key in keys:
                if key not in known:
                    wanted.setdefault(key, []).append(item.id)
        if not wanted:
            return
        names = {f"l{i}": key for i, key in enumerate(wanted)}
        results, errors = await self.run_batch(
            {name: self._list(*key.split(":", 1)) for name, key in names.items()}
        )
        for name, key in names.items():
            if name in errors:
                for item_id in wanted[key]:
                    blocked.setdefault(item_id, errors[name])
            elif (remote := _first_id(results.get(name))) is not None:
                known[key] = remote

    async def _lookup_comments(
        self, commands: Sequence[PushCommand], known: dict[str, str], blocked: dict[str, Any]
    ) -> set[str]:
        """Item ids whose timeline comment an earlier attempt already added."""
        cmds: dict[str, str] = {}
        owners: dict[str, PushCommand] = {}
        for n, c in enumerate(commands):
            main = f"{c.item.entity}:{c.item.entity_id}"
            wants_comment = c.item.action in ("create", "comment") and c.text
            if wants_comment and c.item.attempts > 1 and main in known:
                cmds[f"k{n}"] = encode(
                    "crm.timeline.comment.list",
                    {
                        "filter": {"ENTITY_ID": known[main], "ENTITY_TYPE": c.item.entity},
                        "select": ["ID", "COMMENT"],
                    },
                )
                owners[f"k{n}"] = c
        if not cmds:
            return set()
        results, errors = await self.run_batch(cmds)
        done: set[str] = set()
        for name, c in owners.items():
            if name in errors:
                blocked.setdefault(c.item.id, errors[name])
            elif any(
                _marker(c.item.id) in str(row.get("COMMENT", ""))
                for row in results.get(name) or []
                if isinstance(row, dict)
            ):
                done.add(c.item.id)
        return done

    def _plan(
        self,
        n: int,
        c: PushCommand,
        known: dict[str, str],
        commented: set[str],
        shared: dict[str, str],
    ) -> _Plan:
        plan = _Plan(c)
        item = c.item
        origin = {"ORIGINATOR_ID": self._config.originator_id}
        refs: dict[str, str] = {}

        def ref(key: str, name: str, method: str, fields: dict[str, Any]) -> str:
            if key in known:
                return known[key]
            if key in shared:  # another item of this batch creates it
                plan.depends.append(shared[key])
                return f"$result[{shared[key]}]"
            plan.subs[name] = encode(method, {"fields": {**fields, **origin}})
            plan.produces[name] = key
            shared[key] = name
            return f"$result[{name}]"

        if c.company is not None:
            refs["company"] = ref(
                f"company:{c.company.id}",
                f"i{n}_company",
                "crm.company.add",
                {"TITLE": c.company.name, "ORIGIN_ID": c.company.id},
            )
        contact_fields: dict[str, Any] = {}
        if c.contact is not None:
            contact_fields = {
                "NAME": c.contact.name,
                "ORIGIN_ID": c.contact.id,
                "PHONE": [{"VALUE": p, "VALUE_TYPE": "WORK"} for p in c.contact.phones],
                "EMAIL": [{"VALUE": e, "VALUE_TYPE": "WORK"} for e in c.contact.emails],
            }
            if "company" in refs:
                contact_fields["COMPANY_ID"] = refs["company"]
            refs["contact"] = ref(
                f"contact:{c.contact.id}", f"i{n}_contact", "crm.contact.add", contact_fields
            )
        main_key = f"{item.entity}:{item.entity_id}"
        fields = self._fields(c, refs, known)
        if item.action == "upsert":
            # Created above when Bitrix24 did not have it; updated when it did.
            if main_key in known and item.entity == "contact" and c.contact is not None:
                update = {k: v for k, v in contact_fields.items() if k != "ORIGIN_ID"}
                plan.subs[f"i{n}_main"] = encode(
                    "crm.contact.update", {"id": known[main_key], "fields": update}
                )
        elif item.action == "create":
            if c.deal is not None:  # a deal's category is set once, at creation
                fields["CATEGORY_ID"] = self._config.category_map.get(c.deal.pipeline_id)
            main = ref(main_key, f"i{n}_main", f"crm.{item.entity}.add", fields)
            if c.text and item.id not in commented:
                plan.subs[f"i{n}_comment"] = self._comment(item.entity, main, c, item.id)
        elif item.action == "comment" and main_key in known:
            if c.text and item.id not in commented:
                plan.subs[f"i{n}_comment"] = self._comment(item.entity, known[main_key], c, item.id)
        elif main_key in known:
            fields.pop("ORIGIN_ID", None)
            plan.subs[f"i{n}_main"] = encode(
                f"crm.{item.entity}.update", {"id": known[main_key], "fields": fields}
            )
        else:
            plan.error = Bitrix24Error(
                "not_synced", f"the {item.entity} is not in Bitrix24 yet", retryable=True
            )
        return plan

    @staticmethod
    def _comment(entity: str, remote_id: str, c: PushCommand, item_id: str) -> str:
        return encode(
            "crm.timeline.comment.add",
            {
                "fields": {
                    "ENTITY_ID": remote_id,
                    "ENTITY_TYPE": ENTITY_TYPE[entity],
                    "COMMENT": f"{c.text}\n{_marker(item_id)}",
                }
            },
        )

    def _fields(
        self, c: PushCommand, refs: dict[str, str], known: dict[str, str]
    ) -> dict[str, Any]:
        fields: dict[str, Any] = {"ORIGIN_ID": c.item.entity_id}
        if "contact" in refs:
            fields["CONTACT_ID"] = refs["contact"]
        if "company" in refs:
            fields["COMPANY_ID"] = refs["company"]
        if c.lead is not None:
            fields["TITLE"] = c.lead.title
            fields["STATUS_ID"] = self._config.lead_status_map.get(c.lead.status.value)
            fields["SOURCE_ID"] = "OTHER"
            fields["SOURCE_DESCRIPTION"] = "inbox hub"
            if c.lead.disqualify_reason:
                fields["STATUS_DESCRIPTION"] = c.lead.disqualify_reason
        if c.deal is not None:
            deal = c.deal
            fields["TITLE"] = deal.title
            fields["STAGE_ID"] = self._config.stage_map.get(deal.stage_id)
            fields["OPPORTUNITY"] = deal.amount
            fields["CURRENCY_ID"] = deal.currency
            fields["CLOSED"] = deal.closed_at is not None
            if deal.lead_id and f"lead:{deal.lead_id}" in known:
                fields["LEAD_ID"] = known[f"lead:{deal.lead_id}"]
        return fields
