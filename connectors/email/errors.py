"""Errors of the email channel (all map onto the domain's tree)::

EmailConfigError (ValidationFailed)   a line's IMAP/SMTP settings are incomplete or unsafe
MailboxError (InboxError)             the IMAP server failed, refused or timed out
    MailboxTimeout                    one IMAP call took longer than its timeout
    UidValidityChanged                the mailbox was recreated: every stored UID is void
"""

from __future__ import annotations

from inbox.domain.errors import InboxError, ValidationFailed


class EmailConfigError(ValidationFailed):
    code = "invalid_email_config"


class MailboxError(InboxError):
    code = "mailbox_error"


class MailboxTimeout(MailboxError):
    code = "mailbox_timeout"


class UidValidityChanged(MailboxError):
    code = "uidvalidity_changed"
