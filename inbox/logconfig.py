"""structlog, configured once: JSON lines in production, readable console in a terminal.

Context (``request_id``, ``line_id``, ``conversation_id``, ``operator_id``) is bound with
contextvars at the boundary and merged into every event.

Tracebacks never show local variables: a frame's locals hold the line's credentials, raw
request bodies, headers and passwords, and one exception would write them all to the log.
The standard ``logging`` module (aiohttp's own error log, APScheduler, ...) goes through the
same renderer, so its records are formatted the same way and carry no locals either. Keys
that name a credential (``password``, ``token``, ...) are masked in every event as a second
line of defence.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, Literal, TextIO

import structlog
from structlog.tracebacks import ExceptionDictTransformer

# Event keys whose value is a credential whatever it holds.
SECRET_KEYS = frozenset(
    {
        "password",
        "new_password",
        "token",
        "secret",
        "secret_token",
        "authorization",
        "cookie",
        "api_key",
        "credentials",
    }
)
MASK = "<redacted>"
_HANDLER_NAME = "inbox"


def mask_secret_keys(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Replace the value of any key named like a credential."""
    for key in SECRET_KEYS.intersection(event):
        event[key] = MASK
    return event


def _renderer(use_console: bool) -> tuple[list[structlog.typing.Processor], Any]:
    if use_console:
        return [], structlog.dev.ConsoleRenderer(exception_formatter=structlog.dev.plain_traceback)
    tracebacks = structlog.processors.ExceptionRenderer(
        ExceptionDictTransformer(show_locals=False, use_rich=False)
    )
    return [tracebacks], structlog.processors.JSONRenderer()


def configure(
    level: str = "INFO",
    fmt: Literal["auto", "json", "console"] = "auto",
    *,
    stream: TextIO | None = None,
    cache: bool = True,
) -> None:
    """Configure structlog and the standard ``logging`` root to write to ``stream``.

    ``stream`` defaults to stderr; ``cache`` (on in processes) is turned off by tests that
    configure and reset logging around one test.
    """
    out = stream if stream is not None else sys.stderr
    use_console = fmt == "console" or (fmt == "auto" and out.isatty())
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        mask_secret_keys,
    ]
    tracebacks, renderer = _renderer(use_console)
    numeric = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    structlog.configure(
        processors=[*shared, *tracebacks, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=out),
        cache_logger_on_first_use=cache,
    )
    # Libraries that use the standard logging module: same stream, same renderer.
    handler = logging.StreamHandler(out)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                *tracebacks,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    _remove_handler(root)
    root.addHandler(handler)
    root.setLevel(numeric)
    # pymongo logs every command and reply at DEBUG: whole documents, credentials included.
    logging.getLogger("pymongo").setLevel(logging.WARNING)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def _remove_handler(root: logging.Logger) -> None:
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)


def unconfigure() -> None:
    """Remove the handler :func:`configure` installed and structlog's configuration."""
    _remove_handler(logging.getLogger())
    structlog.reset_defaults()
