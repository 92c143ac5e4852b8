"""Messages of a conversation: history (newest first, paged backwards), replies with text or
one file, internal notes, and file downloads (only from conversations the caller sees).
"""

from __future__ import annotations

from urllib.parse import quote

import structlog
from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from inbox.domain.errors import NotFound, PayloadTooLarge, ValidationFailed
from inbox.domain.filenames import safe_filename
from inbox.domain.models import Attachment, AttachmentKind, Message
from inbox.services.outbound import Draft
from inbox.web.api.conversations import caller_scope
from inbox.web.api.registry import ApiRoutes, read_body, read_query, respond
from inbox.web.api.schemas import MessageOut, MessagePage, MessageQuery, ReplyIn
from inbox.web.api.scope import actionable_conversation, visible_conversation
from inbox.web.hub import WebHub as Hub
from inbox.web.keys import HUB

log = structlog.get_logger(__name__)
api = ApiRoutes(tag="messages")

INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})


@api.route(
    "GET",
    "/conversations/{conversation_id}/messages",
    summary="Messages, newest first; pass next_before to page back",
    query=MessageQuery,
    response=MessagePage,
)
async def list_messages(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    scope = await caller_scope(request)
    query = read_query(request, MessageQuery)
    conversation = await visible_conversation(hub, scope, request.match_info["conversation_id"])
    items = await hub.messages.list_for_conversation(
        conversation.id, before=query.before, limit=query.limit + 1
    )
    more = len(items) > query.limit
    items = items[: query.limit]
    return respond(MessagePage(items=items, next_before=items[-1].id if more else None))


def kind_of(mime_type: str) -> AttachmentKind:
    major = mime_type.split("/", 1)[0]
    return {
        "image": AttachmentKind.IMAGE,
        "audio": AttachmentKind.AUDIO,
        "video": AttachmentKind.VIDEO,
    }.get(major, AttachmentKind.DOCUMENT)


async def _read_part(part: BodyPartReader, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := await part.read_chunk(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the file is larger than {limit} bytes", code="file_too_large")
        chunks.append(chunk)
    return b"".join(chunks)


async def _multipart_reply(hub: Hub, request: web.Request) -> tuple[str | None, list[Attachment]]:
    try:
        return await _read_multipart(hub, request)
    except (ValueError, LookupError, AssertionError, HttpProcessingError) as e:
        # aiohttp's reader raises these for a missing or broken boundary, a body cut short,
        # a broken part header, an unknown charset or undecodable text: the client's fault
        raise ValidationFailed(
            "the upload is not valid multipart form data", code="invalid_upload"
        ) from e


async def _read_multipart(hub: Hub, request: web.Request) -> tuple[str | None, list[Attachment]]:
    settings = hub.settings.ui
    if (
        request.content_length is not None
        and request.content_length > settings.max_upload_bytes + 65_536
    ):
        raise PayloadTooLarge("the upload is too large", code="file_too_large")
    text: str | None = None
    attachments: list[Attachment] = []
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            raise ValidationFailed("nested multipart is not supported", code="invalid_upload")
        if part.name == "text":
            text = (await part.text())[:65_536] or None
        elif part.name == "file":
            mime = (part.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if mime not in settings.upload_types:
                raise ValidationFailed(
                    f"files of type {mime or 'unknown'} are not allowed",
                    code="file_type_not_allowed",
                )
            if attachments:
                raise ValidationFailed("one file per reply", code="too_many_files")
            data = await _read_part(part, settings.max_upload_bytes)
            if not data:
                raise ValidationFailed("the file is empty", code="empty_file")
            name = safe_filename(part.filename)
            file_id = await hub.files.put(data, name=name, mime_type=mime)
            attachments.append(
                Attachment(
                    kind=kind_of(mime), name=name, mime_type=mime, size=len(data), file_id=file_id
                )
            )
        else:
            raise ValidationFailed(f"unknown form field {part.name!r}", code="invalid_upload")
    return text, attachments


def idempotency_key(request: web.Request) -> str | None:
    """The ``Idempotency-Key`` header: a retry with the same key never sends twice (24 h)."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not 1 <= len(key) <= 200 or not all(" " < c <= "~" for c in key):
        raise ValidationFailed(
            "Idempotency-Key must be 1 to 200 visible ASCII characters",
            code="bad_idempotency_key",
        )
    return key


@api.route(
    "POST",
    "/conversations/{conversation_id}/messages",
    summary="Reply to the customer: JSON {text}, or multipart with text and one file",
    body=ReplyIn,
    response=MessageOut,
    multipart=True,
)
async def reply(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    scope = await caller_scope(request)
    conversation = await actionable_conversation(hub, scope, request.match_info["conversation_id"])
    if request.content_type.startswith("multipart/"):
        text, attachments = await _multipart_reply(hub, request)
        quick: tuple[str, ...] = ()
    else:
        body = await read_body(request, ReplyIn)
        text, attachments, quick = body.text, [], tuple(body.quick_replies)
    draft = Draft(text, tuple(attachments), quick_replies=quick)
    message = await hub.answer().reply(
        conversation.id, scope.operator.id, draft, idempotency_key(request)
    )
    return respond(MessageOut(message=message), status=201)


@api.route(
    "POST",
    "/conversations/{conversation_id}/notes",
    summary="Add an internal note (never sent to the customer)",
    body=ReplyIn,
    response=MessageOut,
)
async def note(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    scope = await caller_scope(request)
    body = await read_body(request, ReplyIn)
    conversation = await visible_conversation(hub, scope, request.match_info["conversation_id"])
    message = await hub.answer().note(conversation.id, scope.operator.id, body.text)
    return respond(MessageOut(message=message), status=201)


def content_disposition(kind: str, name: str) -> str:
    """An ASCII ``filename`` for old clients and the exact name as RFC 5987 ``filename*``."""
    fallback = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


async def _file_message(hub: Hub, file_id: str) -> Message:
    message = await hub.inbox.message_with_file(file_id)
    if message is None:
        raise NotFound("file not found", code="file_not_found")
    return message


@api.route("GET", "/files/{file_id}", summary="Download an attachment")
async def download(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    scope = await caller_scope(request)
    file_id = request.match_info["file_id"]
    message = await _file_message(hub, file_id)
    try:
        await visible_conversation(hub, scope, message.conversation_id)
    except NotFound:
        raise NotFound("file not found", code="file_not_found") from None
    data, meta = await hub.files.get(file_id)
    mime = str(meta.get("mime_type") or "application/octet-stream")
    inline = mime in INLINE_TYPES
    name = safe_filename(str(meta.get("name") or ""))  # also names stored before uploads were
    return web.Response(
        body=data,
        content_type=mime if inline else "application/octet-stream",
        headers={
            "Content-Disposition": content_disposition("inline" if inline else "attachment", name),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, max-age=3600",
        },
    )
