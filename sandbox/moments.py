"""The moments part: Enterprise Moments tasks (add_moment_task) and the per-customer and per-staff daily limits."""
from __future__ import annotations

from typing import Any

from sandbox.contacts import Contacts
from sandbox.core import SandboxCore
from sandbox.errors import ApiError
from sandbox.records import MomentTask
from sandbox.rules import check_list, check_moment_attachments, check_text, page, same_day_count
from sandbox.tags import Tags

MOMENT_RANGE = 30 * 86400


class Moments:
    """Moments tasks, staff confirmations and what each customer sees per day."""

    def __init__(self, core: SandboxCore, contacts: Contacts, tags: Tags) -> None:
        self.core = core
        self.contacts = contacts
        self.tags = tags
        self.moment_tasks: dict[str, MomentTask] = {}
        self.moment_seen: dict[str, list[tuple[float, str]]] = {}
        self.staff_posts: dict[str, list[float]] = {}
        self._moment_due: list[tuple[float, str, str]] = []
        self.moment_interactions: dict[tuple[str, str], list[dict[str, Any]]] = {}

    def add_moment_task(self, body: dict[str, Any]) -> dict[str, Any]:
        """Answer add_moment_task: validate content and audience, create the job, publish nothing yet."""
        text = check_text((body.get("text") or {}).get("content"), 2000)
        attachments = check_moment_attachments(body.get("attachments"))
        if not text and not attachments:
            raise ApiError(44004)
        visible = body.get("visible_range") or {}
        sender_list = visible.get("sender_list") or {}
        users = check_list(sender_list.get("user_list"), 100_000, "user_list")
        departments = check_list(sender_list.get("department_list"), 100_000, "department_list")
        tag_list = check_list((visible.get("external_contact_list") or {}).get("tag_list"), 10_000, "tag_list")
        with self.core.lock:
            if users or departments:
                chosen = list(dict.fromkeys(users + (list(self.core.config.staff) if 1 in departments else [])))
            else:
                chosen = list(self.core.config.staff)
            valid = [u for u in chosen if u in self.core.config.staff]
            now = self.core.clock.now()
            job = MomentTask(self.core.new_id("job", 40), self.core.new_id("mom", 40), now, text, attachments,
                             {u: {"publish_status": 0, "publish_time": 0} for u in valid},
                             [t for t in tag_list if t in self.tags.tags],
                             [u for u in chosen if u not in self.core.config.staff],
                             [t for t in tag_list if t not in self.tags.tags])
            self.moment_tasks[job.jobid] = job
            for userid in valid:
                if self.core.rng.random() < self.core.config.auto_confirm_rate:
                    self._moment_due.append((now + self.core.config.auto_confirm_delay, job.jobid, userid))
            self.run_due_moment_confirmations(now)
            return {"jobid": job.jobid}

    def _moment_by_id(self, moment_id: object) -> MomentTask:
        job = next((j for j in self.moment_tasks.values() if j.moment_id == moment_id), None)
        if job is None:
            raise ApiError(41060)
        return job

    def moment_task_result(self, jobid: str | None) -> dict[str, Any]:
        """Answer get_moment_task_result: status 2 while the job runs, 3 with the result when done."""
        with self.core.lock:
            job = self.moment_tasks.get(jobid or "")
            if job is None:
                raise ApiError(40058, "invalid jobid")
            if self.core.clock.now() - job.create_time < self.core.config.moment_job_seconds:
                return {"status": 2, "type": "add_moment_task", "result": {}}
            return {"status": 3, "type": "add_moment_task",
                    "result": {"errcode": 0, "errmsg": "ok", "moment_id": job.moment_id,
                               "invalid_sender_list": {"user_list": job.invalid_senders},
                               "invalid_external_contact_list": {"tag_list": job.invalid_tags}}}

    def confirm_moment_task(self, jobid: str, userid: str) -> dict[str, Any]:
        """Simulate a staff member publishing the post; apply the staff and customer daily limits."""
        with self.core.lock:
            job = self.moment_tasks.get(jobid)
            if job is None or userid not in job.senders:
                raise KeyError(f"no moment task {jobid!r} for {userid!r}")
            result: dict[str, Any] = {"jobid": jobid, "userid": userid, "published": False, "visible_to": 0,
                                      "over_limit": 0}
            if job.cancelled or job.senders[userid]["publish_status"] != 0:
                return result
            now = self.core.clock.now()
            posts = self.staff_posts.setdefault(userid, [])
            if same_day_count(posts, now) >= self.core.config.moments_per_staff_per_day:
                self.core.violate("moment_staff_cap", jobid=jobid, userid=userid)
                return result
            posts.append(now)
            job.senders[userid] = {"publish_status": 1, "publish_time": int(now)}
            result["published"] = True
            for ext in self.contacts.customers_of(userid):
                if job.tag_list and not self.contacts.follows[(userid, ext)].tags & set(job.tag_list):
                    continue
                seen = self.moment_seen.setdefault(ext, [])
                if any(m == job.moment_id for _, m in seen):
                    continue
                if same_day_count((t for t, _ in seen), now) >= self.core.config.moments_visible_per_day:
                    self.core.violate("moment_visibility", moment_id=job.moment_id, external_userid=ext)
                    result["over_limit"] += 1
                    continue
                seen.append((now, job.moment_id))
                result["visible_to"] += 1
            return result

    def run_due_moment_confirmations(self, now: float) -> None:
        """Let simulated staff publish the posts whose auto-confirm time has come."""
        with self.core.lock:
            due = [d for d in self._moment_due if d[0] <= now]
            self._moment_due = [d for d in self._moment_due if d[0] > now]
            for _, jobid, userid in due:
                self.confirm_moment_task(jobid, userid)

    def moment_tasks_for(self, userid: str) -> list[dict[str, Any]]:
        """Return the Moments tasks assigned to a staff member, oldest first."""
        with self.core.lock:
            return [{"jobid": j.jobid, "moment_id": j.moment_id, "create_time": int(j.create_time),
                     "text": j.text, "attachments": j.attachments, "tag_list": j.tag_list,
                     "publish_status": j.senders[userid]["publish_status"], "cancelled": j.cancelled}
                    for j in self.moment_tasks.values() if userid in j.senders]

    def moments_seen_by(self, external_userid: str) -> list[str]:
        """Return the moment_ids a customer was shown."""
        with self.core.lock:
            return [m for _, m in self.moment_seen.get(external_userid, [])]

    def moment_list(self, body: dict[str, Any]) -> dict[str, Any]:
        """Answer get_moment_list: posts created in a range of at most 30 days."""
        try:
            start, end = int(body["start_time"]), int(body["end_time"])
        except (KeyError, TypeError, ValueError):
            raise ApiError(40058, "start_time and end_time are required") from None
        if end < start or end - start > MOMENT_RANGE:
            raise ApiError(40058, "the time range must be within 30 days")
        creator = body.get("creator")
        with self.core.lock:
            rows = [j for j in self.moment_tasks.values() if start <= j.create_time <= end
                    and body.get("filter_type", 2) != 1 and (not creator or creator in j.senders)]
            items, cursor = page(rows, body.get("cursor"), body.get("limit"), default=20, maximum=20)
            return {"moment_list": [self._moment_json(j) for j in items], "next_cursor": cursor}

    @staticmethod
    def _moment_json(job: MomentTask) -> dict[str, Any]:
        return {"moment_id": job.moment_id, "creator": next(iter(job.senders), ""),
                "create_time": int(job.create_time), "create_type": 0,
                "visible_type": 0 if job.tag_list else 1, "text": {"content": job.text},
                "image": [a["image"] for a in job.attachments if a["msgtype"] == "image"],
                "video": next((a["video"] for a in job.attachments if a["msgtype"] == "video"), {}),
                "link": next((a["link"] for a in job.attachments if a["msgtype"] == "link"), {}),
                "location": {}}

    def moment_task(self, body: dict[str, Any]) -> dict[str, Any]:
        """Answer get_moment_task: each executor's publish_status (0 not yet, 1 published)."""
        with self.core.lock:
            job = self._moment_by_id(body.get("moment_id"))
            rows = [{"userid": u, "publish_status": s["publish_status"]} for u, s in job.senders.items()]
            items, cursor = page(rows, body.get("cursor"), body.get("limit"), default=500, maximum=1000)
            return {"task_list": items, "next_cursor": cursor}

    def interact_moment(self, moment_id: str, external_userid: str, kind: str = "like") -> str:
        """Simulate a customer liking or commenting on a post they were shown; return the publisher it counts under."""
        if kind not in ("like", "comment"):
            raise ValueError("kind must be 'like' or 'comment'")
        with self.core.lock:
            if moment_id not in [m for _, m in self.moment_seen.get(external_userid, [])]:
                raise KeyError(f"{external_userid!r} was never shown moment {moment_id!r}")
            job = self._moment_by_id(moment_id)
            userid = next(u for u, s in job.senders.items()
                          if s["publish_status"] == 1 and (u, external_userid) in self.contacts.follows)
            self.moment_interactions.setdefault((moment_id, userid), []).append(
                {"kind": kind, "external_userid": external_userid, "create_time": int(self.core.clock.now())})
            return userid

    def moment_comments(self, body: dict[str, Any]) -> dict[str, Any]:
        """Answer get_moment_comments: who commented on and liked one publisher's copy of a post."""
        userid = body.get("userid")
        if not isinstance(userid, str) or not userid:
            raise ApiError(40003, "userid is required")
        with self.core.lock:
            self._moment_by_id(body.get("moment_id"))
            rows = self.moment_interactions.get((body["moment_id"], userid), [])
            return {"comment_list": _who(rows, "comment"), "like_list": _who(rows, "like")}

    def cancel_moment(self, body: dict[str, Any]) -> None:
        """Answer cancel_moment_task: executors who have not published can no longer publish."""
        with self.core.lock:
            self._moment_by_id(body.get("moment_id")).cancelled = True


def _who(rows: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [{"external_userid": r["external_userid"], "create_time": r["create_time"]}
            for r in rows if r["kind"] == kind]
