"""Mass-send and Moments tasks made for real in the sandbox, with the rows our executor would have left."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select

from app.store.models import Contact, Delivery, OutboxAction
from tests.world import World

STAFF = ("zhangsan", "lisi", "wangwu", "zhaoliu", "sunqi", "manager_li")
ROI = [{"msgtype": "link", "link": {"title": "线索培育 ROI 计算器", "url": "https://example.com/roi-calculator"}}]


def sandbox_now(world: World) -> datetime:
    """The sandbox clock as an aware UTC datetime."""
    return datetime.fromtimestamp(world.state.clock.now(), timezone.utc)


def prospects(world: World, userid: str, n: int) -> list[str]:
    """Add `n` prospects to a staff member in the sandbox (no callbacks)."""
    return [world.state.contacts.add_prospect(userid, emit=False)["external_userid"] for _ in range(n)]


def _contact_id(session, external_userid: str) -> int:
    found = session.execute(select(Contact.id).where(Contact.external_userid == external_userid)).scalar()
    if found is None:
        contact = Contact(external_userid=external_userid, stage="need_arises")
        session.add(contact)
        session.flush()
        found = contact.id
    return found


def mass_task(world: World, sender: str, recipients: list[str], created_at: datetime, text: str = "算一笔账",
              attachments: list | None = None) -> tuple[int, str]:
    """Create a real mass-send task through the gateway and the rows the executor would leave; return (id, msgid)."""
    attachments = ROI if attachments is None else attachments
    created = world.services.gateway.sends.add_msg_template(sender, recipients, text, attachments)
    payload = {"sender": sender, "recipients": recipients, "text": text, "attachments": attachments,
               "sequence_key": "saas_nurture_30d", "step_id": "p07_roi"}
    result = {"msgid": created.msgid, "fail_list": list(created.fail_list), "adopted": created.adopted,
              "created_at": created_at.isoformat()}
    with world.services.sessions() as session:
        action = OutboxAction(key=f"mass:{created.msgid}", kind="mass_send", queue="wecom", payload=payload,
                              status="done", result=result, created_at=created_at, done_at=created_at)
        session.add(action)
        session.flush()
        for ext in recipients:
            session.add(Delivery(action_id=action.id, contact_id=_contact_id(session, ext), external_userid=ext,
                                 sequence_key="saas_nurture_30d", step_id="p07_roi", touchpoint="private",
                                 sender=sender, local_date=created_at.date(),
                                 status="failed" if ext in created.fail_list else "unconfirmed"))
        session.commit()
        return action.id, created.msgid


def moment_task(world: World, senders: list[str], created_at: datetime, text: str = "【行业观察】") -> tuple[int, str]:
    """Create a real Moments task through the gateway and its done action; return (id, jobid)."""
    created = world.services.gateway.moments.add_moment_task(text, sender_userids=senders)
    payload = {"text": text, "attachments": [], "senders": senders, "tags": [], "sequence_key": "saas_nurture_30d",
               "step_id": "d00_am"}
    result = {"jobid": created.jobid, "moment_id": created.moment_id, "adopted": created.adopted,
              "created_at": created_at.isoformat()}
    with world.services.sessions() as session:
        action = OutboxAction(key=f"moment:{created.jobid}", kind="moment", queue="wecom", payload=payload,
                              status="done", result=result, created_at=created_at, done_at=created_at)
        session.add(action)
        session.commit()
        return action.id, created.jobid


def result_of(world: World, action_id: int) -> dict:
    """The stored result of an outbox action."""
    with world.services.sessions() as session:
        return dict(session.get(OutboxAction, action_id).result)
