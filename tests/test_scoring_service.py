"""Score events move a contact new → MQL → SQL with reasons; crossing SQL makes a hot lead and stops nurture."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from app.store.contacts import get_or_create_contact
from app.store.lead_scores import record_score_event, refresh_score
from app.store.models import Activity, ScoreEventRow, StageChange
from content.journey import load_journey

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)
JOURNEY = load_journey()


def test_events_raise_the_score_to_mql_then_sql_and_a_hot_lead(services):
    with services.sessions() as session:
        contact, _ = get_or_create_contact(session, "wmScore1", "need_arises")
        assert record_score_event(session, contact, "reply", None, None, NOW, event_id=1, journey=JOURNEY) == []
        assert contact.score == 5
        assert contact.lead_status == "new"
        changes = record_score_event(session, contact, "intent_pricing", None, {"message_id": 7}, NOW, event_id=2,
                                     journey=JOURNEY)
        assert [(c.from_value, c.to_value) for c in changes] == [("new", "mql")]
        assert changes[0].reason == "线索分 45（阈值 40）：询价 +40，回复消息 +5"
        assert contact.nurture_stopped is None
        changes = record_score_event(session, contact, "link_open_quote", None, None, NOW, journey=JOURNEY)
        assert changes == []
        assert contact.score == 60
        changes = record_score_event(session, contact, "intent_demo", None, None, NOW + timedelta(hours=1),
                                     journey=JOURNEY)
        assert [(c.axis, c.from_value, c.to_value, c.rule_id) for c in changes] == [
            ("lead_status", "mql", "sql", "lead_score")]
        assert changes[0].reason.startswith("线索分 90（阈值 80）：询价 +40，咨询演示 +30，查看报价单 +15，回复消息 +5")
        assert contact.nurture_stopped == "hot_lead"
        timeline = session.execute(select(Activity).where(Activity.contact_id == contact.id)).scalars().all()
        assert [a.kind for a in timeline] == ["nurture_stopped"]
        assert "成为热线索" in timeline[0].summary
        assert timeline[0].detail["score"] == 89.88
        session.commit()
        stored = session.execute(select(ScoreEventRow).order_by(ScoreEventRow.id)).scalars().all()
        assert [(r.kind, r.weight, r.detail["label"]) for r in stored][:2] == [
            ("reply", 5, "回复消息"), ("intent_pricing", 40, "询价")]
        assert stored[1].detail["message_id"] == 7


def test_a_repeated_event_id_is_scored_once(services):
    with services.sessions() as session:
        contact, _ = get_or_create_contact(session, "wmScore2", "need_arises")
        record_score_event(session, contact, "intent_purchase", None, None, NOW, event_id=9, journey=JOURNEY)
        assert record_score_event(session, contact, "intent_purchase", None, None, NOW, event_id=9,
                                  journey=JOURNEY) == []
        assert contact.score == 50
        assert len(session.execute(select(ScoreEventRow)).scalars().all()) == 1


def test_scores_decay_and_big_accounts_cross_earlier(services):
    with services.sessions() as session:
        contact, _ = get_or_create_contact(session, "wmScore3", "need_arises")
        record_score_event(session, contact, "intent_evaluation", None, None, NOW - timedelta(days=14), journey=JOURNEY)
        assert contact.score == 20
        refresh_score(session, contact, NOW, journey=JOURNEY)
        assert contact.score == 10
        assert contact.lead_status == "new"
        changes = record_score_event(session, contact, "intent_evaluation", None, None, NOW, journey=JOURNEY,
                                     employees=800)
        assert [c.to_value for c in changes] == ["mql"]
        assert changes[0].reason == "线索分 30（阈值 30）：选型评估 +30"


def test_status_never_drops_and_customers_stay(services):
    with services.sessions() as session:
        contact, _ = get_or_create_contact(session, "wmScore4", "need_arises")
        contact.lead_status = "customer"
        assert record_score_event(session, contact, "intent_purchase", 500, None, NOW, journey=JOURNEY) == []
        assert contact.lead_status == "customer"
        assert contact.nurture_stopped is None
        other, _ = get_or_create_contact(session, "wmScore5", "need_arises")
        record_score_event(session, other, "intent_purchase", 90, None, NOW, journey=JOURNEY)
        assert other.lead_status == "sql"
        assert refresh_score(session, other, NOW + timedelta(days=200), journey=JOURNEY) == []
        assert other.lead_status == "sql"
        assert other.score < 1
        assert session.execute(select(StageChange)
                               .where(StageChange.contact_id == other.id)).scalars().all()[-1].to_value == "sql"


def test_stage_and_channel_bonus_count_in_full(services):
    with services.sessions() as session:
        contact, _ = get_or_create_contact(session, "wmScore6", "product_selection")
        contact.channel_state = "site_qr_pricing"
        record_score_event(session, contact, "reply", None, None, NOW - timedelta(days=28), journey=JOURNEY)
        assert contact.score == 25
        refresh_score(session, contact, NOW, journey=JOURNEY)
        assert contact.score == 21.25
