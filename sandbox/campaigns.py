"""The campaigns part: 1:1 mass-send tasks (add_msg_template), created by the API, executed only when staff
confirm."""
from __future__ import annotations

from typing import Any

from sandbox.contacts import Contacts
from sandbox.core import SandboxCore
from sandbox.errors import ApiError
from sandbox.records import MassTask
from sandbox.rules import check_attachments, check_list, check_text, over_cap, page

MONTH = 31 * 86400
DAY = 86400


class Campaigns:
    """Mass-send tasks, their confirmations, results, reminders and the per-customer cap."""

    def __init__(self, core: SandboxCore, contacts: Contacts) -> None:
        self.core = core
        self.contacts = contacts
        self.mass_tasks: dict[str, MassTask] = {}
        self.mass_received: dict[str, list[float]] = {}
        self._mass_due: list[tuple[float, str, str]] = []

    def add_msg_template(self, body: dict[str, Any]) -> dict[str, Any]:
        """Answer add_msg_template: create a task per sender; deliver nothing yet."""
        if (body.get("chat_type") or "single") != "single":
            raise ApiError(40058, "the sandbox simulates chat_type single only")
        ext_ids = check_list(body.get("external_userid"), 10000, "external_userid")
        sender = body.get("sender") or None
        if sender is not None:
            self.contacts.require_staff(sender)
        if not ext_ids and not sender:
            raise ApiError(40058, "external_userid and sender cannot both be empty")
        text = check_text((body.get("text") or {}).get("content"), 4000, by_bytes=True)
        attachments = check_attachments(body.get("attachments"))
        if not text and not attachments:
            raise ApiError(44004)
        wanted = {t for g in ((body.get("tag_filter") or {}).get("group_list") or []) for t in g.get("tag_list", [])}
        with self.core.lock:
            now = self.core.clock.now()
            fail_list, recipients = [], {}
            if not ext_ids:
                assert sender is not None  # checked above: external_userid or sender is given
                ext_ids = self.contacts.customers_of(sender)
            for ext in dict.fromkeys(ext_ids):
                owner = self._mass_owner(ext, sender)
                if owner is None:
                    fail_list.append(ext)
                elif not wanted or self.contacts.follows[(owner, ext)].tags & wanted:
                    recipients[(owner, ext)] = {"status": 0, "send_time": 0}
            if not recipients:
                raise ApiError(41048)
            msgid = self.core.new_id("msg", 30)
            senders = {u: {"status": 0, "send_time": 0} for u, _ in recipients}
            self.mass_tasks[msgid] = MassTask(msgid, sender or "", int(now), text, attachments, senders, recipients)
            for userid in senders:
                if self.core.rng.random() < self.core.config.auto_confirm_rate:
                    self._mass_due.append((now + self.core.config.auto_confirm_delay, msgid, userid))
            self.run_due_mass_confirmations(now)
            return {"fail_list": fail_list, "msgid": msgid}

    def _mass_owner(self, ext: str, sender: str | None) -> str | None:
        """Pick the executor: the given sender, else the staff member who last chatted with the contact."""
        if sender is not None:
            return sender if (sender, ext) in self.contacts.follows else None
        friends = self.contacts.follows_of_contact(ext)
        if not friends:
            return None
        last_chat = {u: m["msgtime"] for m in self.contacts.messages_of(ext)
                     for u in (m["from"], *m["tolist"]) if u != ext}
        return max(friends, key=lambda f: (last_chat.get(f.userid, 0), -f.createtime)).userid

    def confirm_mass_task(self, msgid: str, userid: str) -> dict[str, Any]:
        """Simulate the sender confirming the task in the client: deliver, or record why not."""
        with self.core.lock:
            task = self.mass_tasks.get(msgid)
            if task is None or userid not in task.senders:
                raise KeyError(f"no mass task {msgid!r} for {userid!r}")
            result: dict[str, Any] = {"msgid": msgid, "userid": userid, "confirmed": False, "sent": 0,
                                      "not_friend": 0, "over_cap": 0}
            if task.cancelled or task.senders[userid]["status"] != 0:
                return result
            now = self.core.clock.now()
            for (owner, ext), rec in task.recipients.items():
                if owner != userid:
                    continue
                received = self.mass_received.setdefault(ext, [])
                if (owner, ext) not in self.contacts.follows:
                    rec["status"], key = 2, "not_friend"
                elif over_cap(self.core.config.mass_send_cap, received, now):
                    rec["status"], key = 3, "over_cap"
                    self.core.violate("mass_send_cap", msgid=msgid, external_userid=ext)
                else:
                    rec["status"], key = 1, "sent"
                    received.append(now)
                rec["send_time"] = int(now)
                result[key] += 1
            task.senders[userid] = {"status": 2, "send_time": int(now)}
            result["confirmed"] = True
            return result

    def run_due_mass_confirmations(self, now: float) -> None:
        """Let simulated staff confirm the tasks whose auto-confirm time has come."""
        with self.core.lock:
            due = [d for d in self._mass_due if d[0] <= now]
            self._mass_due = [d for d in self._mass_due if d[0] > now]
            for _, msgid, userid in due:
                self.confirm_mass_task(msgid, userid)

    def _task(self, body: dict[str, Any]) -> MassTask:
        msgid = body.get("msgid")
        if not msgid:
            raise ApiError(41046)
        task = self.mass_tasks.get(msgid)
        if task is None:
            raise ApiError(41047)
        return task

    def mass_tasks_for(self, userid: str) -> list[dict[str, Any]]:
        """Return the mass-send tasks waiting for or done by a staff member, oldest first."""
        with self.core.lock:
            return [{"msgid": t.msgid, "create_time": t.create_time, "text": t.text,
                     "attachments": t.attachments, "status": t.senders[userid]["status"], "cancelled": t.cancelled,
                     "external_userid": [e for (u, e) in t.recipients if u == userid]}
                    for t in self.mass_tasks.values() if userid in t.senders]

    def groupmsg_list(self, body: dict[str, Any]) -> dict[str, Any]:
        """Answer get_groupmsg_list_v2: tasks created in a time range (at most one month)."""
        try:
            start, end = int(body["start_time"]), int(body["end_time"])
        except (KeyError, TypeError, ValueError):
            raise ApiError(40058, "start_time and end_time are required") from None
        if end < start or end - start > MONTH:
            raise ApiError(40058, "the time range must be within one month")
        if (body.get("chat_type") or "single") != "single" or body.get("filter_type", 2) == 1:
            return {"group_msg_list": [], "next_cursor": ""}
        creator = body.get("creator")
        with self.core.lock:
            rows = [t for t in self.mass_tasks.values() if start <= t.create_time <= end
                    and (not creator or creator in t.senders)]
            items, cursor = page(rows, body.get("cursor"), body.get("limit"), default=50, maximum=100)
            return {"group_msg_list": [{"msgid": t.msgid, "creator": t.creator, "create_time": t.create_time,
                                        "create_type": 0, "text": {"content": t.text},
                                        "attachments": t.attachments} for t in items],
                    "next_cursor": cursor}

    def groupmsg_task(self, body: dict[str, Any]) -> dict[str, Any]:
        """Answer get_groupmsg_task: each sender's status (0 not sent, 2 sent)."""
        with self.core.lock:
            task = self._task(body)
            rows = [{"userid": u, **s} for u, s in task.senders.items()]
            items, cursor = page(rows, body.get("cursor"), body.get("limit"), default=500, maximum=1000)
            return {"task_list": items, "next_cursor": cursor}

    def groupmsg_send_result(self, body: dict[str, Any]) -> dict[str, Any]:
        """Answer get_groupmsg_send_result: per-contact status 0/1/2/3 for one sender."""
        userid = self.contacts.require_staff(body.get("userid"))
        with self.core.lock:
            task = self._task(body)
            rows = [{"external_userid": e, "chat_id": "", "userid": u, **r}
                    for (u, e), r in task.recipients.items() if u == userid]
            items, cursor = page(rows, body.get("cursor"), body.get("limit"), default=500, maximum=1000)
            return {"send_list": items, "next_cursor": cursor}

    def remind_groupmsg(self, body: dict[str, Any]) -> None:
        """Answer remind_groupmsg_send: at most remind_per_day reminders per task in 24 hours."""
        with self.core.lock:
            task = self._task(body)
            now = self.core.clock.now()
            recent = [t for t in task.reminders if t > now - DAY]
            if len(recent) >= self.core.config.remind_per_day:
                self.core.violate("remind_limit", msgid=task.msgid)
                raise ApiError(45009, f"remind limit: at most {self.core.config.remind_per_day} reminders per task "
                                      "in 24 hours")
            task.reminders.append(now)

    def cancel_groupmsg(self, body: dict[str, Any]) -> None:
        """Answer cancel_groupmsg_send: senders who have not confirmed can no longer send."""
        with self.core.lock:
            self._task(body).cancelled = True
