"""Ports: every boundary the services and plugins depend on, as ``typing.Protocol``, split
by area (one module each). Concrete parts live in ``inbox.store`` (MongoDB, Redis),
``connectors/*``, ``routing`` and ``crm_sync``; ``inbox.wiring`` picks and injects them.

    conversations  lines, contacts, conversations (threading, snooze, read marks)
    messages       messages, marks, reply keys
    people         operators, teams, presence, account owners
    channels       connectors, files, the live publisher, ingest hooks
    routing        the router
    crm            the CRM side
    mail           mail threads, mailbox states
"""

from inbox.domain.ports.channels import (
    Connector,
    ConnectorRegistry,
    EventPublisher,
    FileSource,
    FileStore,
    IngestHook,
    OutboundTarget,
    ProfileSource,
    RejectedWebhookLog,
    SendReceipt,
    TokenRefresher,
)
from inbox.domain.ports.conversations import (
    ContactRepository,
    ConversationRepository,
    LineRepository,
    ReadMarks,
    SnoozedConversations,
    ThreadResult,
)
from inbox.domain.ports.crm import (
    CompanyRepository,
    CredentialStore,
    CrmContactStore,
    CrmView,
    DealRepository,
    ExternalCrm,
    LeadRepository,
    MergeRepository,
    NoteRepository,
    OutboxRepository,
    PipelineRepository,
    PushCommand,
    PushResult,
    RemoteRefRepository,
    TaskRepository,
)
from inbox.domain.ports.mail import (
    MailboxStates,
    MailThreads,
)
from inbox.domain.ports.messages import (
    MessageMarks,
    MessageRepository,
    ReplyKeys,
)
from inbox.domain.ports.people import (
    AccountOwners,
    OperatorRepository,
    PresenceRepository,
    TeamRepository,
)
from inbox.domain.ports.routing import (
    Assigner,
    PresenceTracker,
    Router,
    RoutingReactions,
    RoutingUpkeep,
)

__all__ = [
    "AccountOwners",
    "Assigner",
    "CompanyRepository",
    "Connector",
    "ConnectorRegistry",
    "ContactRepository",
    "ConversationRepository",
    "CredentialStore",
    "CrmContactStore",
    "CrmView",
    "DealRepository",
    "EventPublisher",
    "ExternalCrm",
    "FileSource",
    "FileStore",
    "IngestHook",
    "LeadRepository",
    "LineRepository",
    "MailThreads",
    "MailboxStates",
    "MergeRepository",
    "MessageMarks",
    "MessageRepository",
    "NoteRepository",
    "OperatorRepository",
    "OutboundTarget",
    "OutboxRepository",
    "PipelineRepository",
    "PresenceRepository",
    "PresenceTracker",
    "ProfileSource",
    "PushCommand",
    "PushResult",
    "ReadMarks",
    "RejectedWebhookLog",
    "RemoteRefRepository",
    "ReplyKeys",
    "Router",
    "RoutingReactions",
    "RoutingUpkeep",
    "SendReceipt",
    "SnoozedConversations",
    "TaskRepository",
    "TeamRepository",
    "ThreadResult",
    "TokenRefresher",
]
