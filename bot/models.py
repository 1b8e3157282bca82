"""Typed SQLAlchemy 2 models: the first cut of the domain (see shared DESIGN.md).

Privacy by construction: platform user and chat ids are kept only as a keyed digest (for
lookups) plus an encrypted copy (for sending). Columns ending in `_enc` hold AES-GCM blobs
from `bot.crypto`; nothing in this module encrypts, the services do, naming the context.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bot.clock import utc

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC; always returns aware UTC datetimes (SQLite would hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        value = utc(value)
        return value.replace(tzinfo=None) if getattr(dialect, "name", "") == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        return None if value is None else utc(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), bytes: LargeBinary()}  # noqa: RUF012


class Role(StrEnum):
    """Roles are granted per area and never inherit tip access up or down the tree."""

    RESIDENT = "resident"
    GROUP_LEADER = "group_leader"
    SECURITY_MEMBER = "security_member"
    POLICE_OFFICER = "police_officer"
    POLICE_CHIEF = "police_chief"
    COMMUNE_ADMIN = "commune_admin"
    DISPATCHER = "dispatcher"
    PROVINCE_VIEWER = "province_viewer"


class ChatKind(StrEnum):
    PRIVATE = "private"
    GROUP = "group"


class InboxStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"
    MALFORMED = "malformed"  # not the shape its platform documents: kept, never handled


class OutboxStatus(StrEnum):
    QUEUED = "queued"
    IN_FLIGHT = "in_flight"
    SENT = "sent"
    FAILED = "failed"
    # refused because the person has been silent too long (Zalo's 48-hour window): not
    # retried, not failed; queued again, oldest first, the moment they next write
    WAITING = "waiting_contact"


class Lane(StrEnum):
    """Delivery priority: interactive traffic always goes before broadcasts.

    Answers to pressed buttons (`BUTTON`) go first of all. They are not messages, so they keep
    no order with a chat's messages and take no share of any pace (the chat's or the overall
    30 a second): the button stops spinning at once, even while the chat waits for its next
    one-a-second slot, and a hundred presses a second do not starve a broadcast."""

    BUTTON = "button"
    INTERACTIVE = "interactive"
    BROADCAST = "broadcast"


LANE_PRIORITY = {Lane.BUTTON: -1, Lane.INTERACTIVE: 0, Lane.BROADCAST: 1}


class Meta(Base):
    """Deployment facts: key fingerprint, key ids in use, schema notes."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class AreaLevel(Base):
    """Levels are data (province, district, commune, village, group), so depth is never assumed."""

    __tablename__ = "area_levels"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    rank: Mapped[int] = mapped_column(Integer)


class Area(Base):
    __tablename__ = "areas"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(ForeignKey("area_levels.code"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    police_phone: Mapped[str | None] = mapped_column(String(32))
    is_remote: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]

    parent: Mapped[Area | None] = relationship(remote_side=[id], lazy="raise")
    aliases: Mapped[list[AreaAlias]] = relationship(
        back_populates="area", cascade="all, delete-orphan", lazy="raise"
    )


class AreaAlias(Base):
    """Old names (before the 2025 mergers) and other spellings residents still use."""

    __tablename__ = "area_aliases"
    __table_args__ = (UniqueConstraint("area_id", "folded"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"))
    alias: Mapped[str] = mapped_column(String(200))
    folded: Mapped[str] = mapped_column(String(200), index=True)
    area: Mapped[Area] = relationship(back_populates="aliases", lazy="raise")


class Household(Base):
    """A household of one group (`area_id` is the group's area), from the leader's roster.

    `code` is the household's code in that roster (re-import updates by it); the head's name,
    the address and the phone are personal data, encrypted. `added_on`/`left_on` bound the
    periods it counts in, so a later import never rewrites a past period. `reg_code` is the
    short code a member types (/dangky) to link themselves to it: no roster is ever browsed."""

    __tablename__ = "households"
    __table_args__ = (
        UniqueConstraint("area_id", "code"),
        Index("ix_households_area_span", "area_id", "added_on", "left_on", "linked"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    label: Mapped[str] = mapped_column(String(200))  # what the leader's numbered list shows
    code: Mapped[str | None] = mapped_column(String(32))
    head_enc: Mapped[bytes | None]
    address_enc: Mapped[bytes | None]
    phone_enc: Mapped[bytes | None]
    members: Mapped[int | None] = mapped_column(Integer)
    reg_code: Mapped[str | None] = mapped_column(String(16), unique=True)
    # members linked to it (Person.household_id), kept by `coverage.reach.count_linked`: the
    # group-chat connectivity figure counts households with one, without joining persons
    linked: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    added_on: Mapped[date | None] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]


POLICE_TEAM = "police_team"  # Chat.purpose of a commune police team group (bound by /setup)


class Chat(Base):
    """A conversation on one messenger: a person's private chat or a group's chat."""

    __tablename__ = "chats"
    __table_args__ = (UniqueConstraint("channel", "chat_ref"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_ref: Mapped[str] = mapped_column(String(64))
    external_id_enc: Mapped[bytes]
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str | None] = mapped_column(String(255))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    purpose: Mapped[str | None] = mapped_column(String(32))  # POLICE_TEAM for a bound team
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    inactive_reason: Mapped[str | None] = mapped_column(String(200))
    # some of its outbox rows wait for the person to write (OutboxStatus.WAITING): the next
    # update from them releases those rows, with no query when there is nothing to release
    waiting_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class Person(Base):
    """A user of one messenger. The platform id is a digest plus an encrypted copy."""

    __tablename__ = "persons"
    __table_args__ = (UniqueConstraint("channel", "user_ref"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    user_ref: Mapped[str] = mapped_column(String(64))
    external_id_enc: Mapped[bytes]
    name_enc: Mapped[bytes | None]
    private_chat_id: Mapped[int | None] = mapped_column(ForeignKey("chats.id"))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    # campaign messages in private: None until asked (when joining a group), then their answer
    campaign_consent: Mapped[bool | None] = mapped_column(Boolean)


class RoleGrant(Base):
    __tablename__ = "role_grants"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    granted_at: Mapped[datetime]
    granted_by: Mapped[str] = mapped_column(String(64))
    invite_id: Mapped[int | None] = mapped_column(ForeignKey("invites.id"))
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(String(64))


class Invite(Base):
    """A one-time token that grants a role in an area; only its keyed hash is stored."""

    __tablename__ = "invites"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    revoked_at: Mapped[datetime | None]


class InboxUpdate(Base):
    """Every update as received, stored before the platform is told it arrived."""

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("channel", "update_key"),
        Index("ix_inbox_pending", "status", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    update_key: Mapped[str] = mapped_column(String(64))
    sender_ref: Mapped[str] = mapped_column(String(64))
    payload_enc: Mapped[bytes | None]
    status: Mapped[str] = mapped_column(String(16), default=InboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[datetime]
    processed_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(String(500))


class OutboxMessage(Base):
    """One platform request for one chat, written in the transaction that caused it."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "channel", "status", "priority", "id"),
        # "has this chat a row in flight?" (scheduler.delivery), and a chat's rows
        Index("ix_outbox_chat_status", "chat_id", "status"),
        UniqueConstraint("broadcast_id", "chat_id", "part", name="uq_outbox_broadcast_chat_part"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id"))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    payload_enc: Mapped[bytes | None]
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.QUEUED)
    created_at: Mapped[datetime]
    not_before: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_epoch: Mapped[int | None] = mapped_column(Integer)
    platform_message_id: Mapped[str | None] = mapped_column(String(64))
    reply_to_outbox_id: Mapped[int | None] = mapped_column(Integer)
    broadcast_id: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id"), index=True)
    part: Mapped[int] = mapped_column(Integer, default=0)
    resent: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(String(500))


class Broadcast(Base):
    """One message to many chats; its rows in the outbox carry its id."""

    __tablename__ = "broadcasts"
    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    author_person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    total_chats: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    reported_at: Mapped[datetime | None]
    # campaign messages: to someone the messenger would not reach (Zalo's window), only the
    # newest such message goes when they next write, not a backlog of them
    latest_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")


class Acknowledgement(Base):
    """«Nhà tôi đã nhận»: a person saying a broadcast (a campaign message, an author's own
    message) reached them — by its button, in a private chat or a group chat, or by writing
    «đã nhận». Stored raw, once per (broadcast, person): a repeat changes nothing. Kept whether
    or not the person is linked to a household yet; coverage links them and counts households.
    """

    __tablename__ = "acknowledgements"
    __table_args__ = (UniqueConstraint("broadcast_id", "person_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_kind: Mapped[str] = mapped_column(String(16))  # ChatKind: where it was said
    at: Mapped[datetime]


class ScheduledStatus(StrEnum):
    SCHEDULED = "scheduled"
    SENT = "sent"
    MISSED = "missed"
    CANCELLED = "cancelled"


class ScheduledMessage(Base):
    """A broadcast to send at `next_due`; the scheduler's tick sends it (or reports it missed)."""

    __tablename__ = "scheduled_messages"
    __table_args__ = (Index("ix_scheduled_due", "status", "next_due"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    author_person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    content_enc: Mapped[bytes]
    chat_ids: Mapped[str] = mapped_column(Text)
    lane: Mapped[str] = mapped_column(String(16), default=Lane.BROADCAST)
    next_due: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default=ScheduledStatus.SCHEDULED)
    broadcast_id: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id"))
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    # a leader's own broadcast (`leader_broadcasts`): the area it reaches the way a campaign
    # message does (its chats are found when it goes, not when it was written), and whether it
    # comes back weekly, monthly or yearly
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    repeat: Mapped[str] = mapped_column(String(8), default="none", server_default="none")


class FlowState(Base):
    """Where one user is in a conversation, per chat; `data_enc` may hold report content."""

    __tablename__ = "flow_states"
    __table_args__ = (UniqueConstraint("chat_id", "person_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    flow: Mapped[str] = mapped_column(String(64))
    step: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=0)
    data_enc: Mapped[bytes]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime]


class Lease(Base):
    """Who may act alone (one sender per channel, one scheduler tick), until when."""

    __tablename__ = "leases"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    epoch: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime]


# ---- tip-offs ----------------------------------------------------------------------------------

class TipStatus(StrEnum):
    RECEIVED = "received"
    ACCEPTED = "accepted"
    VERIFYING = "verifying"
    FORWARDED = "forwarded"
    HANDLED_HERE = "handled_here"
    CLOSED = "closed"


class IdentityMode(StrEnum):
    """How much of the reporter the system keeps."""

    LINKED = "linked"  # officers never see who; the bot can still notify them
    ANONYMOUS = "anonymous"  # no link to any account: follow-up only with code + PIN
    PHONE = "phone"  # officers see a phone number they may call


class Tip(Base):
    """A crime tip-off. Content is encrypted; the reporter link lives apart in `tip_reporters`."""

    __tablename__ = "tips"
    __table_args__ = (Index("ix_tips_commune_status", "commune_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_hash: Mapped[str] = mapped_column(String(64), unique=True)
    pin_hash: Mapped[str | None] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(32))
    content_enc: Mapped[bytes | None]
    incident_area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    commune_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    routed_to_fallback: Mapped[bool] = mapped_column(Boolean, default=False)
    fallback_reason: Mapped[str | None] = mapped_column(String(32))
    identity_mode: Mapped[str] = mapped_column(String(16))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default=TipStatus.RECEIVED)
    outcome: Mapped[str | None] = mapped_column(String(32))
    assigned_officer_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    forwarded_to: Mapped[str | None] = mapped_column(String(200))
    complex_case: Mapped[bool] = mapped_column(Boolean, default=False)
    extended: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    routed_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    forwarded_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    deadline_at: Mapped[datetime | None]
    next_due: Mapped[datetime | None] = mapped_column(index=True)
    reminder_stage: Mapped[int] = mapped_column(Integer, default=0)
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    content_purged_at: Mapped[datetime | None]
    cards_sent_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=0)


class TipReporter(Base):
    """Who reported, kept apart from the tip and encrypted; absent for full anonymity."""

    __tablename__ = "tip_reporters"
    tip_id: Mapped[int] = mapped_column(ForeignKey("tips.id", ondelete="CASCADE"),
                                        primary_key=True)
    person_ref: Mapped[str | None] = mapped_column(String(64), index=True)
    person_enc: Mapped[bytes | None]
    phone_enc: Mapped[bytes | None]


class TipEvent(Base):
    """Every change, note, relayed message and officer view of a tip."""

    __tablename__ = "tip_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    tip_id: Mapped[int] = mapped_column(ForeignKey("tips.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    actor_person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    actor_role: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    body_enc: Mapped[bytes | None]
    answered: Mapped[bool] = mapped_column(Boolean, default=False)


class TipCard(Base):
    """A card about a tip sent to an officer or a police team group, so it can be updated.

    `part` 0 is the card itself: the message with the buttons, edited when the tip changes.
    A story too long to share a message with the card goes before it as parts 1, 2, …, which
    are edited only to withdraw them. `withdrawn` once its chat no longer holds the tip (role
    revoked, tip transferred): the card is closed then (a card not yet delivered never goes),
    and nothing more about the tip goes to that chat."""

    __tablename__ = "tip_cards"
    id: Mapped[int] = mapped_column(primary_key=True)
    tip_id: Mapped[int] = mapped_column(ForeignKey("tips.id", ondelete="CASCADE"), index=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id"))
    # indexed: the delivery worker asks "is this row a card?" for every row it delivers
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"), index=True)
    bare: Mapped[bool] = mapped_column(Boolean, default=False)
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)
    part: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Evidence(Base):
    """An attachment: metadata stripped, bytes encrypted. `tip_id` is empty while drafting."""

    __tablename__ = "evidence"
    id: Mapped[int] = mapped_column(primary_key=True)
    tip_id: Mapped[int | None] = mapped_column(ForeignKey("tips.id", ondelete="CASCADE"),
                                               index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("tip_events.id", ondelete="SET NULL"))
    owner_ref: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    size: Mapped[int] = mapped_column(Integer)
    meta_enc: Mapped[bytes]
    data_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]


class GuardCounter(Base):
    """Expiring counters keyed by a keyed hash: report limits, lock-outs, guessing guards."""

    __tablename__ = "guard_counters"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    locked_until: Mapped[datetime | None]


# ---- Zalo: evidence links and group join codes ---------------------------------------------

class EvidenceLink(Base):
    """A one-time, expiring link to a tip's evidence page, for one officer (token hashed)."""

    __tablename__ = "evidence_links"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    tip_id: Mapped[int] = mapped_column(ForeignKey("tips.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class FileLink(Base):
    """A one-time, expiring link to a file the bot made (a coverage chart, a report) for one
    person, on messengers that cannot carry files (token hashed). The file is a row of
    `evidence` owned by no one (`file_links.GENERATED`): encrypted like every file, and
    purged after a day like every file no tip took."""

    __tablename__ = "file_links"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class JoinCode(Base):
    """A code a group leader pastes into the group's Zalo chat; residents send it to the bot
    to join the group (Zalo bots cannot see group chats)."""

    __tablename__ = "join_codes"
    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


# ---- awareness campaigns -----------------------------------------------------------------------

class CampaignChoice(Base):
    """A commune's choice about one day of the calendar (`message_key` empty) or one of its
    messages: switched off (or an optional day on), sent at another time, or in its own words.
    Campaign texts are public by nature: kept in clear."""

    __tablename__ = "campaign_choices"
    __table_args__ = (UniqueConstraint("commune_id", "day_id", "message_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    day_id: Mapped[str] = mapped_column(String(40))
    message_key: Mapped[str] = mapped_column(String(32), default="")
    switch: Mapped[str | None] = mapped_column(String(8))  # "off", or "on" for an optional day
    send_time: Mapped[str | None] = mapped_column(String(5))  # "19:30"
    text: Mapped[str | None] = mapped_column(Text)
    changed_by: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[datetime]


class CampaignLocalDate(Base):
    """A village's own date, time and place for a day with a local rule (the festival around
    19 August), for one year."""

    __tablename__ = "campaign_local_dates"
    __table_args__ = (UniqueConstraint("area_id", "day_id", "year"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    day_id: Mapped[str] = mapped_column(String(40))
    year: Mapped[int] = mapped_column(Integer)
    on: Mapped[str] = mapped_column(String(10))  # ISO date, "2027-08-17"
    when_text: Mapped[str | None] = mapped_column(String(60))  # "sáng Chủ nhật 17/8, 7 giờ 30"
    place: Mapped[str | None] = mapped_column(String(200))
    changed_by: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[datetime]


class CampaignSendStatus(StrEnum):
    PLANNED = "planned"
    SENDING = "sending"  # taken: its fan-out is under way (resumed after a crash, never twice)
    SENT = "sent"
    MISSED = "missed"  # due while the bot was down, later than the grace period


class CampaignSend(Base):
    """One entry of a commune's plan on its day (for one village when the day is local): taken
    once, planned → sending → sent, and fanned out as one broadcast into every group."""

    __tablename__ = "campaign_sends"
    __table_args__ = (
        # one entry a day per place: `scope` is the village's id, 0 for the whole commune (a
        # NULL would never collide, and the entry could be planned twice)
        UniqueConstraint("commune_id", "scope", "on", "parts"),
        Index("ix_campaign_sends_due", "status", "send_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    village_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    scope: Mapped[int] = mapped_column(Integer, default=0)
    year: Mapped[int] = mapped_column(Integer)
    on: Mapped[str] = mapped_column(String(10))  # local date, ISO
    send_at: Mapped[datetime]
    parts: Mapped[str] = mapped_column(String(200))  # "drugs-day/day+drugs-month/mid_2"
    text: Mapped[str] = mapped_column(Text)  # the template, placeholders not yet filled
    to_persons: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(16), default=CampaignSendStatus.PLANNED)
    broadcast_id: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id"))
    groups_done: Mapped[int] = mapped_column(Integer, default=0)  # fan-out progress
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]


class CampaignRelay(Base):
    """A campaign message's relay copy for one group's Zalo chat, sent to its leader (no bot
    can post in a Zalo group): confirmed when the leader says «đã chuyển», chased once."""

    __tablename__ = "campaign_relays"
    __table_args__ = (UniqueConstraint("send_id", "group_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    send_id: Mapped[int] = mapped_column(ForeignKey("campaign_sends.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    leader_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    created_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    chased_at: Mapped[datetime | None]


# ---- outreach coverage --------------------------------------------------------------------------

class GroupFigures(Base):
    """What a group's leader says when the bot cannot count: the number of households (no
    roster yet, `/sohodan 48`) and how many are in the group's chat (the Bot API cannot list a
    group's members). Shown as entered by the leader, never as measured."""

    __tablename__ = "group_figures"
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), primary_key=True)
    households: Mapped[int | None] = mapped_column(Integer)
    households_set_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    households_set_at: Mapped[datetime | None]
    connected: Mapped[int | None] = mapped_column(Integer)
    connected_set_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    connected_set_at: Mapped[datetime | None]


class ReachSource(StrEnum):
    ACK = "ack"  # a member acknowledged a campaign message or a broadcast
    ACTIVITY = "activity"  # the household was at an in-person activity a leader logged


class HouseholdReach(Base):
    """The anonymous fact that a household was reached on a day, and how: no person in it, so
    forgetting a resident keeps it (FACTS: coverage keeps only that fact)."""

    __tablename__ = "household_reach"
    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), primary_key=True)
    on: Mapped[date] = mapped_column(Date, primary_key=True)
    source: Mapped[str] = mapped_column(String(16), primary_key=True)


class PeriodReach(Base):
    """A household reached at least once in a report period ("2026", "2026H1"): kept up to date
    as reach arrives, so coverage counts rows per group instead of recounting acknowledgements.
    `area_id` (the household's group) is copied here for that count."""

    __tablename__ = "period_reach"
    __table_args__ = (Index("ix_period_reach_period_area", "period", "area_id"),)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), primary_key=True)
    period: Mapped[str] = mapped_column(String(16), primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))


class GroupTally(Base):
    """A group's figures for one report period, kept up to date instead of recounted: `reached`
    grows as `PeriodReach` rows are first written (and is recounted for the groups an activity
    edit touched); `households` (present in the period) and `linked` (with a member linked) are
    recounted for a group when its roster or its links change, and for every group by a daily
    job (a new period needs its rows). NULL households: not counted yet, coverage counts them
    itself."""

    __tablename__ = "group_tallies"
    __table_args__ = (Index("ix_group_tallies_period_area", "period", "area_id"),)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), primary_key=True)
    period: Mapped[str] = mapped_column(String(16), primary_key=True)
    households: Mapped[int | None] = mapped_column(Integer)
    linked: Mapped[int] = mapped_column(Integer, default=0)
    reached: Mapped[int] = mapped_column(Integer, default=0)


class ActivityKind(StrEnum):
    MEETING = "meeting"
    DOOR_TO_DOOR = "door_to_door"
    LOUDSPEAKER = "loudspeaker"
    OTHER = "other"


class Activity(Base):
    """An in-person activity a leader logged (/hoatdong): the households reached are chosen
    from the group's list (`ActivityHousehold`), or, for a group with no list, a count as the
    leader entered it. Editable for a week after it was logged, then locked."""

    __tablename__ = "activities"
    __table_args__ = (Index("ix_activities_area_on", "area_id", "on"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    author_person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    kind: Mapped[str] = mapped_column(String(16))
    on: Mapped[date] = mapped_column(Date)
    topic: Mapped[str] = mapped_column(String(200))
    counted: Mapped[int | None] = mapped_column(Integer)  # households, when there is no list
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]


class ActivityHousehold(Base):
    __tablename__ = "activity_households"
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), primary_key=True, index=True)


class CoverageSnapshot(Base):
    """An area's coverage for a report period, frozen at the period's cut-off (or when its
    report is first produced after it): a report already sent never changes."""

    __tablename__ = "coverage_snapshots"
    __table_args__ = (UniqueConstraint("area_id", "period"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, … per area
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    period: Mapped[str] = mapped_column(String(16))
    taken_at: Mapped[datetime]
    figures: Mapped[str] = mapped_column(Text)  # JSON of the computed tree


class CoverageReminder(Base):
    """One reminder a month before a report deadline to the leader of a village below target:
    taken once per (village, period) by inserting this row."""

    __tablename__ = "coverage_reminders"
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), primary_key=True)
    period: Mapped[str] = mapped_column(String(16), primary_key=True)
    sent_at: Mapped[datetime]


# ---- residents' data rights --------------------------------------------------------------------

class PrivacyKind(StrEnum):
    EXPORT = "export"  # a person asked what the bot holds about them (/dulieu, `person export`)
    FORGET = "forget"  # a person's data was erased (their choice in /dulieu, `person forget`)


class PrivacyRequest(Base):
    """That a data-rights request was made and answered: its kind, the messenger, how it came
    (`via`: "chat" or "cli") and the day. Nothing about the person and nothing of what was
    shown or erased: the record proves the request was honoured without keeping what it was
    about (kept to the day, so it cannot be paired with the time a row disappeared)."""

    __tablename__ = "privacy_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    via: Mapped[str] = mapped_column(String(8))
    on: Mapped[date] = mapped_column(Date)
