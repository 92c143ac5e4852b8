"""The ``inbox`` command: run the processes and administer lines and operators.

    inbox serve | worker | demo
    inbox line add KIND --name N [...] | line list | line show ID
    inbox operator add --login L --name N [...] | operator list

List and add commands take ``--json`` for scripts. Errors print one line and exit 1;
a refused value (the same validation as the REST API) exits 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from aiohttp import web

from inbox import logconfig
from inbox.cli_common import emit, table, with_hub
from inbox.cli_crm import add_crm_commands, add_line_crm_command
from inbox.cli_routing import add_routing_commands
from inbox.domain.errors import InboxError, ValidationFailed
from inbox.domain.models import ChannelKind, Line, Operator, Role
from inbox.security import MIN_PASSWORD, hash_password
from inbox.services.lines import webhook_url
from inbox.settings import Settings
from inbox.wiring import Hub

# ------------------------------------------------------------------ output


def line_view(line: Line) -> dict[str, Any]:
    """A line for display: secrets masked, the webhook path shown."""
    data = line.model_dump(mode="json")
    data["credentials"] = {k: "********" for k in line.credentials}
    data["webhook_path"] = f"/webhooks/{line.kind.value}/{line.id}"
    return data


# ------------------------------------------------------------------ commands on the database


EMAIL_SETTINGS = (
    "imap_host",
    "imap_port",
    "imap_tls",
    "smtp_host",
    "smtp_port",
    "smtp_tls",
    "login",
    "smtp_login",
    "mailbox",
    "address",
    "from_name",
    "sent_folder",
    "backlog",
)


def _pairs(values: list[str] | None, what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InboxError(f"{what} must look like key=value, got {item!r}")
        out[key] = value
    return out


def _instagram_options(
    args: argparse.Namespace, credentials: dict[str, str], settings: dict[str, Any]
) -> None:
    """``--ig-id``, ``--app-secret`` (repeatable: one per app), ``--access-token``,
    ``--verify-token``, ``--page-id``, ``--human-agent`` into the line's fields."""
    missing = [
        flag
        for flag, value in (
            ("--ig-id", args.ig_id),
            ("--app-secret", args.app_secret),
            ("--access-token", args.access_token),
            ("--verify-token", args.verify_token),
        )
        if not value
    ]
    if missing:
        raise InboxError(f"an Instagram line needs {', '.join(missing)}")
    settings["ig_id"] = args.ig_id
    if args.page_id:
        settings["page_id"] = args.page_id
    if args.human_agent:
        settings["human_agent"] = True
    for index, secret in enumerate(args.app_secret):
        credentials["app_secret" if index == 0 else f"app_secret_{index + 1}"] = secret
    credentials["access_token"] = args.access_token
    credentials["verify_token"] = args.verify_token


async def cmd_line_add(hub: Hub, args: argparse.Namespace) -> None:
    credentials = _pairs(args.credential, "--credential")
    settings: dict[str, Any] = dict(_pairs(args.set, "--set"))
    if args.token:
        credentials["token"] = args.token
    if args.secret:
        credentials["secret"] = args.secret
    if args.callback_url:
        settings["callback_url"] = args.callback_url
    if args.api_base:
        settings["api_base"] = args.api_base
    if args.kind == ChannelKind.INSTAGRAM.value:
        _instagram_options(args, credentials, settings)
    for name in EMAIL_SETTINGS:  # email lines (issue 13): IMAP/SMTP servers and the address
        value = getattr(args, name, None)
        if value is not None:
            settings[name] = value
    for name in ("password", "smtp_password"):
        if getattr(args, name, None):
            credentials[name] = getattr(args, name)
    fields: dict[str, Any] = {"timezone": args.timezone}
    if args.welcome_text:
        fields["welcome_text"] = args.welcome_text
    admin = hub.line_admin()
    public_url = args.public_url or hub.settings.public_url
    line = await admin.create(
        ChannelKind(args.kind),
        args.name,
        credentials=credentials,
        settings=settings,
        public_url=public_url,
        **fields,
    )
    data = line_view(line)
    if args.show_secret:
        data["credentials"]["secret"] = line.secret("secret")
    url = webhook_url(public_url, line) if public_url else data["webhook_path"]
    text = f"line {line.id} ({line.kind.value}, {line.name!r}) created; webhook: {url}"
    if args.show_secret:
        text += f"\nsigning secret: {line.secret('secret')}"
    emit(args, data, text)


async def cmd_line_list(hub: Hub, args: argparse.Namespace) -> None:
    lines = await hub.lines.list()
    rows = [(x.id, x.kind.value, x.name, "yes" if x.enabled else "no") for x in lines]
    emit(args, [line_view(x) for x in lines], table(rows, ("ID", "KIND", "NAME", "ENABLED")))


async def cmd_line_show(hub: Hub, args: argparse.Namespace) -> None:
    line = await hub.lines.get(args.line_id)
    data = line_view(line)
    emit(args, data, json.dumps(data, ensure_ascii=False, indent=2))


async def cmd_operator_add(hub: Hub, args: argparse.Namespace) -> None:
    if args.password is not None and len(args.password) < MIN_PASSWORD:
        raise InboxError(f"the password must have at least {MIN_PASSWORD} characters")
    operator = Operator(
        login=args.login,
        name=args.name or args.login,
        role=Role(args.role),
        teams=tuple(args.team or ()),
        languages=tuple(args.language or ()),
        max_open=args.max_open,
        created_at=hub.clock.now(),
    )
    await hub.operators.add(operator, hash_password(args.password) if args.password else None)
    emit(
        args,
        operator.model_dump(mode="json"),
        f"operator {operator.id} ({operator.login}, {operator.role.value}) created",
    )


async def cmd_operator_list(hub: Hub, args: argparse.Namespace) -> None:
    ops = await hub.operators.list()
    rows = [(o.id, o.login, o.name, o.role.value, str(o.max_open)) for o in ops]
    emit(
        args,
        [o.model_dump(mode="json") for o in ops],
        table(rows, ("ID", "LOGIN", "NAME", "ROLE", "MAX_OPEN")),
    )


# ------------------------------------------------------------------ processes


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    from inbox.main import serve

    return serve(settings, host=args.host, port=args.port)


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    from inbox.main import work

    return work(settings)


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    from inbox.demo import run_demo

    return run_demo(settings, host=args.host, port=args.port)


# ------------------------------------------------------------------ parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="inbox", description="Omnichannel inbox hub")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    for name, fn, help_ in (
        ("serve", cmd_serve, "run a web process"),
        ("demo", cmd_demo, "run web and worker with sample data and print a login"),
    ):
        p = sub.add_parser(name, help=help_, description=help_)
        p.add_argument("--host", default=None, help="bind address (default: INBOX_HOST)")
        p.add_argument("--port", type=int, default=None, help="bind port (default: INBOX_PORT)")
        p.set_defaults(func=fn)
    p = sub.add_parser("worker", help="run the scheduler process", description="run the worker")
    p.set_defaults(func=cmd_worker)

    line = sub.add_parser("line", help="manage lines (channel accounts)")
    line_sub = line.add_subparsers(dest="line_command", required=True, metavar="ACTION")
    add = line_sub.add_parser("add", help="add a line", description="add a line")
    add.add_argument("kind", choices=[k.value for k in ChannelKind])
    add.add_argument("--name", required=True)
    add.add_argument("--token", help="the platform's bot token (telegram, viber)")
    add.add_argument("--secret", help="signing secret (api); generated when omitted")
    add.add_argument("--callback-url", help="where replies are posted (api)")
    add.add_argument("--api-base", help="platform API base URL (tests and demo fakes)")
    add.add_argument("--public-url", help="this hub's public base URL (default INBOX_PUBLIC_URL)")
    add.add_argument("--timezone", default="UTC")
    add.add_argument("--welcome-text")
    add.add_argument("--ig-id", help="the Instagram account id webhooks name (instagram)")
    add.add_argument(
        "--app-secret", action="append", help="app secret signing webhooks (instagram; repeatable)"
    )
    add.add_argument("--access-token", help="long-lived access token (instagram)")
    add.add_argument("--verify-token", help="webhook handshake token (instagram)")
    add.add_argument("--page-id", help="the linked Facebook Page (instagram, Facebook Login)")
    add.add_argument(
        "--human-agent", action="store_true", help="the app may reply up to 7 days (instagram)"
    )
    add.add_argument("--set", action="append", metavar="KEY=VALUE", help="a line setting")
    add.add_argument("--credential", action="append", metavar="KEY=VALUE", help="a secret")
    add.add_argument("--show-secret", action="store_true", help="print the signing secret")
    mail = add.add_argument_group("email lines")
    mail.add_argument("--imap-host")
    mail.add_argument("--imap-port", type=int)
    mail.add_argument("--imap-tls", choices=["implicit", "starttls", "none"])
    mail.add_argument("--smtp-host")
    mail.add_argument("--smtp-port", type=int)
    mail.add_argument("--smtp-tls", choices=["implicit", "starttls", "none"], help="none: loopback")
    mail.add_argument("--login", help="IMAP login (and SMTP unless --smtp-login)")
    mail.add_argument("--password", help="IMAP password (stored as a secret)")
    mail.add_argument("--smtp-login")
    mail.add_argument("--smtp-password", help="SMTP password when it differs (a secret)")
    mail.add_argument("--mailbox", help="IMAP folder to read (default INBOX)")
    mail.add_argument("--address", help="the address the line answers as")
    mail.add_argument("--from-name", help="display name of replies")
    mail.add_argument("--sent-folder", help="append a copy of each reply to this folder")
    mail.add_argument("--backlog", type=int, help="newest mails imported at first connect")
    add.add_argument("--json", action="store_true")
    add.set_defaults(func=with_hub(cmd_line_add))
    ls = line_sub.add_parser("list", help="list lines", description="list lines")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=with_hub(cmd_line_list))
    show = line_sub.add_parser("show", help="show one line", description="show one line")
    show.add_argument("line_id")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=with_hub(cmd_line_show))
    add_line_crm_command(line_sub)

    op = sub.add_parser("operator", help="manage operators")
    op_sub = op.add_subparsers(dest="operator_command", required=True, metavar="ACTION")
    add = op_sub.add_parser("add", help="add an operator", description="add an operator")
    add.add_argument("--login", required=True)
    add.add_argument("--name")
    add.add_argument("--role", choices=[r.value for r in Role], default=Role.OPERATOR.value)
    add.add_argument("--password", help=f"at least {MIN_PASSWORD} characters")
    add.add_argument("--team", action="append", help="team id (repeatable)")
    add.add_argument("--language", action="append", help="language code (repeatable)")
    add.add_argument("--max-open", type=int, default=10)
    add.add_argument("--json", action="store_true")
    add.set_defaults(func=with_hub(cmd_operator_add))
    ls = op_sub.add_parser("list", help="list operators", description="list operators")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=with_hub(cmd_operator_list))
    add_crm_commands(sub)
    add_routing_commands(sub, line_sub, op_sub, with_hub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings()
    logconfig.configure(settings.log_level, settings.log_format)
    try:
        result: int = args.func(settings, args)
    except ValidationFailed as e:  # a bad value given: usage error, like argparse's
        print(f"error: {e.message}", file=sys.stderr)
        return 2
    except InboxError as e:
        print(f"error: {e.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except web.GracefulExit:
        return 0
    return result
