"""Which inbound attachments name a platform file we still have to download."""

from __future__ import annotations

from inbox.domain.models import Attachment, AttachmentKind

NO_FILE = frozenset({AttachmentKind.LOCATION, AttachmentKind.CONTACT, AttachmentKind.LINK})


def needs_download(attachment: Attachment) -> bool:
    """A file kind, not stored yet, and the platform named it (a file id or a URL)."""
    return (
        attachment.kind not in NO_FILE
        and attachment.file_id is None
        and bool(attachment.external_id or attachment.url)
    )
