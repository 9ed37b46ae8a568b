"""SQLAlchemy 2.0 typed models: the tables that are the source of truth."""
from app.store.models.archive import ArchiveCursor, ArchivedMessage
from app.store.models.base import Base, utcnow
from app.store.models.console import ApiToken, ConsoleUser
from app.store.models.contacts import Activity, Channel, Contact, Follow, Staff, StageChange, Tag
from app.store.models.inbox import InboxEvent
from app.store.models.leads import LeadAlert
from app.store.models.links import LinkOpen, ScoreEventRow, TrackedLink
from app.store.models.nurture import ContentVersion, Delivery, Enrollment, MomentPlan
from app.store.models.outbox import OutboxAction
from app.store.models.schedule import ScheduleRun
from app.store.models.secrets import StoredSecret

__all__ = [
    "Activity", "ApiToken", "ConsoleUser", "ArchiveCursor", "ArchivedMessage", "Base", "Channel", "Contact",
    "ContentVersion", "Delivery", "Enrollment", "Follow", "InboxEvent", "LeadAlert", "LinkOpen", "MomentPlan",
    "OutboxAction", "ScheduleRun", "ScoreEventRow", "StageChange", "Staff", "StoredSecret", "Tag", "TrackedLink",
    "utcnow",
]
