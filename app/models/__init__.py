"""SQLAlchemy 2.0 typed models: the tables that are the source of truth."""
from app.models.archive import ArchiveCursor, ArchivedMessage
from app.models.base import Base, utcnow
from app.models.console import ApiToken, ConsoleUser
from app.models.contacts import Activity, Channel, Contact, Follow, Staff, StageChange, Tag
from app.models.inbox import InboxEvent
from app.models.leads import LeadAlert
from app.models.links import LinkOpen, ScoreEventRow, TrackedLink
from app.models.nurture import ContentVersion, Delivery, Enrollment, MomentPlan
from app.models.outbox import OutboxAction
from app.models.schedule import ScheduleRun
from app.models.secrets import StoredSecret

__all__ = [
    "Activity", "ApiToken", "ConsoleUser", "ArchiveCursor", "ArchivedMessage", "Base", "Channel", "Contact",
    "ContentVersion", "Delivery", "Enrollment", "Follow", "InboxEvent", "LeadAlert", "LinkOpen", "MomentPlan",
    "OutboxAction", "ScheduleRun", "ScoreEventRow", "StageChange", "Staff", "StoredSecret", "Tag", "TrackedLink",
    "utcnow",
]
