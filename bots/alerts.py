"""Hot-lead alerts that explain themselves: who, from where, how far along, what they said, what to do next."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from app.store.models import Contact, LeadAlert
from app.store.models.base import as_utc
from bots.context import ContactBook, Content
from bots.effects import Action
from content.channels import ChannelBook
from content.journey import Journey

if TYPE_CHECKING:
    from app.settings import Settings

FAST = "welcome"  # the fast lane every worker serves first
NEXT_STEP = {
    "pricing": "今天内电话沟通团队规模与预算，发送对应版本的报价方案",
    "purchase": "立即联系确认采购流程、合同主体与时间表",
    "demo": "约一次 30 分钟线上演示，演示前确认其业务场景",
    "trial": "开通试用账号并约定一次上手指导",
    "evaluation": "发送对接/部署资料与同行案例，约技术交流",
    "contact": "尽快电话联系，确认需求",
    "link": "客户正在看报价/价格页，可顺势询问是否需要方案",
    "score": "客户近期互动频繁、线索分已达销售阈值，尽快电话沟通需求",
}
INTENT_NAMES = {"pricing": "询价", "purchase": "采购", "demo": "要演示", "trial": "要试用", "evaluation": "选型评估",
                "contact": "要联系方式", "link": "查看报价", "score": "线索分达标"}


def explain(contact: Contact, touches: int, journey: Journey, channels: ChannelBook, intent: str, texts: list[str],
            reasons: list[str], now: datetime) -> dict:
    """The facts sales needs to act on an alert, in one dictionary."""
    created = as_utc(contact.created_at)
    return {
        "who": contact.name or contact.external_userid, "company": contact.corp_name or "未知公司",
        "channel": channels.for_state(contact.channel_state).name, "stage": journey.stage(contact.stage).name,
        "lead_status": journey.lead_statuses.get(contact.lead_status, contact.lead_status),
        "days_in_nurture": max(0, (now - created).days), "touches": touches,
        "messages": texts[-3:], "score": round(contact.score, 1), "reasons": reasons_zh(reasons),
        "intent": INTENT_NAMES.get(intent, intent), "next_step": NEXT_STEP.get(intent, NEXT_STEP["contact"]),
    }


def reasons_zh(reasons: list[str]) -> list[str]:
    """Say the classifier's reasons the way sales reads them: the words the prospect used, and that they asked."""
    words = [r.split("'")[1] for r in reasons if r.startswith("matched ") and r.count("'") >= 2]
    out = [f"提到「{'」「'.join(dict.fromkeys(words))}」"] if words else []
    if any("raises confidence" in r for r in reasons):
        out.append("是一个主动提问")
    return out or reasons[:2]


def raise_alert(book: ContactBook, settings: Settings, content: Content, contact: Contact, intent: str,
                trigger: str, message_ids: list[int], texts: list[str], reasons: list[str], message_at: datetime,
                now: datetime) -> list[Action]:
    """Record one alert (unless one is cooling down: a talkative prospect gets one alert, not ten) and the app
    message and robot post that carry it."""
    recent = book.recent_alert(contact.id, now - timedelta(minutes=settings.alert_cooldown_minutes))
    if recent is not None:
        recent.message_ids = [*recent.message_ids, *message_ids]
        return []
    facts = explain(contact, book.touches(contact.id), content.journey, content.channels(), intent, texts, reasons,
                    now)
    alert = book.add_alert(LeadAlert(contact_id=contact.id, owner_userid=contact.owner_userid or "", intent=intent,
                                     trigger=trigger, message_ids=message_ids, explanation=facts,
                                     summary=card_text(facts), message_at=message_at, created_at=now))
    url = f"{settings.public_base_url.rstrip('/')}/console/contacts/{contact.id}"
    card = {"title": f"🔥 热线索：{facts['who']}（{facts['company']}）{facts['intent']}", "description": alert.summary,
            "url": url, "btntxt": "查看客户"}
    actions = [Action("app_message", f"alert:{alert.id}:owner",
                      {"touser": contact.owner_userid or "", "msgtype": "textcard", "content": card},
                      queue=FAST, contact_id=contact.id)]
    if settings.sales_robot_key:
        markdown = robot_markdown(facts, contact.owner_userid)
        actions.append(Action("robot_alert", f"alert:{alert.id}:robot",
                              {"key": settings.sales_robot_key, "markdown": markdown},
                              queue=FAST, contact_id=contact.id))
    return actions


def card_text(facts: dict) -> str:
    """The app-message card body (WeCom shows about 512 bytes)."""
    said = "；".join(f"“{t[:40]}”" for t in facts["messages"]) or "—"
    return (f"渠道：{facts['channel']}｜阶段：{facts['stage']}｜"
            f"培育 {facts['days_in_nurture']} 天，触达 {facts['touches']} 次\n"
            f"客户说：{said}\n线索分：{facts['score']}｜依据：{'；'.join(facts['reasons'][:3])}\n"
            f"建议：{facts['next_step']}")[:500]


def robot_markdown(facts: dict, owner: str | None) -> str:
    """One lead's section of the sales group's robot post."""
    said = "；".join(f"“{t[:60]}”" for t in facts["messages"])
    return (f"### 🔥 {facts['who']}（{facts['company']}）{facts['intent']}\n"
            f"> 负责人：<@{owner}>｜渠道：{facts['channel']}｜阶段：{facts['stage']}\n"
            f"> 培育 {facts['days_in_nurture']} 天，触达 {facts['touches']} 次｜线索分 {facts['score']}\n"
            f"> 客户说：{said}\n> 建议：{facts['next_step']}\n")
