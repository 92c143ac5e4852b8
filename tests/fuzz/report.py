"""Judging a fuzz run: every answer, the hub's whole log and the stored documents become
failures grouped by cause, each with its smallest reproducer; JSON and Markdown out."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.fuzz.probes import Outcome, Probe

PROJECT = re.compile(r"(?:^|/)((?:inbox|connectors|routing|crm_sync)/[\w/]+\.py)$")


@dataclass
class Record:
    request_id: str
    probe: Probe  # without its body: ``body_len`` and ``excerpt`` describe it
    body_len: int
    status: int | None
    seconds: float
    error: str | None
    problems: list[tuple[str, str]] = field(default_factory=list)  # (kind, detail)
    answer: str = ""  # the first bytes of the answer, kept for failures only
    excerpt: str = ""  # the request body, shortened (see ``probes.excerpt``)


def judge(probe: Probe, out: Outcome, secrets: dict[str, str]) -> list[tuple[str, str]]:
    """What is wrong with one answer, judged on its own."""
    problems = []
    if out.error == "timeout":
        problems.append(("hang", f"no answer within {out.seconds:.1f} s"))
    elif out.status is None and not (out.error or "").startswith("unsendable"):
        problems.append(("no answer", out.error or ""))
    elif out.status is not None and out.status >= 500:
        problems.append(("5xx", str(out.status)))
    if out.status is not None and 200 <= out.status < 300 and probe.forged:
        problems.append(("forged request accepted", str(out.status)))
    shown = out.body.decode("utf-8", "replace") + json.dumps(out.headers)
    for name, value in secrets.items():
        if value and value in shown:
            problems.append(("secret in an answer", name))
    return problems


def _exception(record: dict[str, Any]) -> tuple[str, str, str] | None:
    """(type, message, where) of a logged exception, from structlog's dict or text form."""
    exc = record.get("exception")
    if isinstance(exc, list) and exc:
        last = exc[-1]
        frames = last.get("frames") or []
        where = ""
        for frame in frames:
            m = PROJECT.search(str(frame.get("filename", "")))
            if m and "site-packages" not in str(frame.get("filename")):
                where = f"{m.group(1)}:{frame.get('lineno')} in {frame.get('name')}"
        if frames and not where:
            f = frames[-1]
            where = f"{Path(str(f.get('filename'))).name}:{f.get('lineno')}"
        return str(last.get("exc_type")), str(last.get("exc_value"))[:200], where
    if isinstance(exc, str) and exc:
        lines = exc.strip().splitlines()
        files = re.findall(r'File "([^"]+)", line (\d+), in (\w+)', exc)
        where = ""
        for filename, lineno, name in files:
            m = PROJECT.search(filename)
            if m and "site-packages" not in filename:
                where = f"{m.group(1)}:{lineno} in {name}"
        kind, _, message = lines[-1].partition(":")
        return kind.strip(), message.strip()[:200], where
    return None


def parse_log(text: str) -> tuple[dict[str, list[dict[str, Any]]], list[str]]:
    by_request: dict[str, list[dict[str, Any]]] = defaultdict(list)
    lines = text.splitlines()
    for line in lines:
        if line.startswith("{"):
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and record.get("request_id"):
                by_request[str(record["request_id"])].append(record)
    return by_request, lines


def redact(text: str, secrets: dict[str, str]) -> str:
    for name, value in secrets.items():
        if value:
            text = text.replace(value, f"<{name}>")
    return text


@dataclass
class Report:
    records: list[Record]
    log: str
    secrets: dict[str, str]
    stored_forgeries: dict[str, int]
    meta: dict[str, Any]
    groups: list[dict[str, Any]] = field(default_factory=list)

    def analyse(self) -> None:
        by_id = {r.request_id: r for r in self.records}
        by_request, lines = parse_log(self.log)
        found: list[tuple[tuple[str, ...], str, Record | None, str]] = []
        for r in self.records:
            for kind, detail in r.problems:
                if kind == "5xx":
                    exc = next(
                        (e for e in map(_exception, by_request.get(r.request_id, [])) if e), None
                    )
                    key = ("5xx", *(exc[0::2] if exc else (f"HTTP {detail}", r.probe.route)))
                    detail = (
                        f"{exc[0]}: {exc[1]} at {exc[2]}"
                        if exc
                        else f"HTTP {detail}, nothing logged"
                    )
                elif kind in ("hang", "no answer", "forged request accepted"):
                    key = (kind, r.probe.route)
                else:
                    key = (kind, detail, r.probe.route)
                found.append((key, detail, r, r.probe.route))
        escaped = {n: json.dumps(v)[1:-1] for n, v in self.secrets.items() if v}
        for n, line in enumerate(lines):
            for name, value in self.secrets.items():
                if value and (value in line or escaped[name] in line):
                    rid = _request_id(line)
                    r = by_id.get(rid or "")
                    event = _event(line)
                    found.append(
                        (
                            ("secret in a log line", name, event),
                            f"{name} in log line {n + 1} (event {event!r}, {len(line)} chars)",
                            r,
                            r.probe.route if r else "-",
                        )
                    )
        if not self.meta.get("hub_alive_at_end", True):
            found.append(
                (("hub died", "the hub process exited during the run"), "exited", None, "-")
            )
        self.meta["logged_errors"] = dict(_logged_errors(lines))
        for what in self._unreached():
            found.append((("coverage lost", what), what, None, "-"))
        for what, count in self.stored_forgeries.items():
            if count:
                found.append((("stored forgery", what), f"{count} documents in {what}", None, "-"))
        grouped: dict[tuple[str, ...], list[tuple[str, Record | None, str]]] = defaultdict(list)
        for key, detail, r, route in found:
            grouped[key].append((detail, r, route))
        for key, items in grouped.items():
            with_probe = [i for i in items if i[1] is not None]
            smallest = min(
                with_probe, key=lambda i: (i[1].body_len, len(i[1].probe.path)), default=None
            )
            group: dict[str, Any] = {
                "kind": key[0],
                "cause": redact(" / ".join(key[1:]), self.secrets),
                "count": len(items),
                "detail": redact(items[0][0], self.secrets),
                "routes": sorted({i[2] for i in items})[:20],
                "categories": sorted({i[1].probe.category for i in with_probe})[:12],
            }
            if smallest is not None:
                rec = smallest[1]
                assert rec is not None
                group["reproducer"] = {
                    **rec.probe.reproducer(self.secrets),
                    "body_bytes": rec.body_len,
                    "body_excerpt": redact(rec.excerpt, self.secrets),
                    "status": rec.status,
                    "answer": redact(rec.answer, self.secrets),
                }
            self.groups.append(group)
        self.groups.sort(key=lambda g: (g["kind"], -g["count"]))

    def _unreached(self) -> list[str]:
        """A run that cannot get past the signature or the login proves nothing: every
        signed webhook campaign and every role must have been accepted at least once."""
        ok: Counter[str] = Counter()
        for r in self.records:
            if r.status is not None and 200 <= r.status < 300:
                ok[r.probe.campaign] += 1
                ok[f"role {r.probe.role}"] += r.probe.campaign == "api"
        wanted = {r.probe.campaign for r in self.records if r.probe.campaign.endswith("signed")}
        wanted |= {
            f"role {r.probe.role}"
            for r in self.records
            if r.probe.campaign == "api" and r.probe.role != "anonymous"
        }
        return [
            f"{w}: no request answered 2xx (signing or login changed?)"
            for w in sorted(wanted)
            if not ok[w]
        ]

    def table(self) -> list[dict[str, Any]]:
        rows: dict[str, Counter[str]] = defaultdict(Counter)
        for r in self.records:
            name = r.probe.campaign
            if name == "api":
                name = (
                    "api /" + r.probe.route.split(" ", 1)[1].removeprefix("/api/v1/").split("/")[0]
                )
            row = rows[name]
            row["requests"] += 1
            s = r.status
            row[
                "2xx" if s and s < 300 else "4xx" if s and s < 500 else "5xx" if s else "no answer"
            ] += 1
            row["failing"] += 1 if r.problems else 0
        return [
            {
                "campaign": k,
                **{c: v[c] for c in ("requests", "2xx", "4xx", "5xx", "no answer", "failing")},
            }
            for k, v in sorted(rows.items())
        ]

    def failed(self) -> bool:
        return bool(self.groups)

    def as_json(self) -> dict[str, Any]:
        return {
            "meta": self.meta,
            "table": self.table(),
            "stored_forgeries": self.stored_forgeries,
            "failures": self.groups,
        }

    def text_table(self) -> str:
        rows = self.table()
        cols = ["campaign", "requests", "2xx", "4xx", "5xx", "no answer", "failing"]
        widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) if rows else len(c) for c in cols}
        out = ["  ".join(c.ljust(widths[c]) for c in cols).rstrip()]
        out += ["  ".join(str(r[c]).ljust(widths[c]) for c in cols).rstrip() for r in rows]
        out.append(f"{len(self.records)} requests, {len(self.groups)} distinct failures")
        for g in self.groups:
            out.append(f"FAIL [{g['kind']}] {g['cause']} x{g['count']}: {g['detail'][:160]}")
            rep = g.get("reproducer")
            if rep:
                out.append(
                    f"     {rep['method']} {rep['path'][:100]} ({rep['category']}, "
                    f"{rep['body_bytes']} bytes) -> {rep['status']}"
                )
        return "\n".join(out)


def _logged_errors(lines: list[str]) -> Counter[str]:
    """Events logged at error level or worse, and stray tracebacks (shown, not judged:
    a crash that was answered 5xx is already a failure of its own)."""
    out: Counter[str] = Counter()
    for line in lines:
        if line.startswith("{"):
            level = re.search(r'"level": "(error|critical|exception)"', line)
            if level:
                out[_event(line)] += 1
        elif line.startswith("Traceback") or line.startswith(("ERROR", "CRITICAL")):
            out[line[:60]] += 1
    return out


def _request_id(line: str) -> str | None:
    m = re.search(r'"request_id": "([^"]+)"', line)
    return m.group(1) if m else None


def _event(line: str) -> str:
    m = re.search(r'"event": "([^"]{0,60})', line)
    return m.group(1) if m else line[:40]
