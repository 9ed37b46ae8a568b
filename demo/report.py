"""What `scrm demo` prints about contacts, welcomes and stage tags, checked against the sandbox's own state."""
from __future__ import annotations

import statistics
from collections import Counter

import click
from sqlalchemy import func, select

from app.services import Services
from app.store.models import Contact, Follow, OutboxAction


def welcome_latencies(state) -> list[float]:
    """Seconds from each add event (code issued) to the welcome message reaching the sandbox."""
    with state.core.lock:
        issued = {(c.userid, c.external_userid): c.issued_at for c in state.contacts.welcome_codes.values()}
        return [m["at"] - issued[(m["userid"], ext)] for ext, sent in state.contacts.welcome_log.items() for m in sent
                if (m["userid"], ext) in issued]


def stage_tag_counts(services: Services, state) -> Counter:
    """For every live relation in the sandbox: how many journey-stage tags it carries."""
    journey = services.content.journey
    with services.sessions() as session:
        from app.store.models import Tag

        stage_ids = set(session.execute(select(Tag.tag_id).where(Tag.group_name == journey.tag_group)).scalars())
    with state.core.lock:
        relations = [(userid, ext) for (userid, ext), follow in state.contacts.follows.items() if not follow.half]
    return Counter(len(state.contacts.tags_of(ext, userid) & stage_ids) for userid, ext in relations)


def report_journey(services: Services, sandbox, since_action: int, actions: dict[str, int]) -> bool:
    """Print contacts by stage and channel, welcome latency and stage tags; return whether all is well."""
    journey = services.content.journey
    with services.sessions() as session:
        stages = dict(session.execute(select(Contact.stage, func.count()).group_by(Contact.stage)).all())
        channels = dict(session.execute(select(Contact.channel_state, func.count())
                                        .group_by(Contact.channel_state)).all())
        statuses = dict(session.execute(select(Follow.status, func.count()).group_by(Follow.status)).all())
        welcomes = dict(session.execute(
            select(OutboxAction.status, func.count())
            .where(OutboxAction.kind == "welcome", OutboxAction.id > since_action)
            .group_by(OutboxAction.status)).all())
    book = services.content.channels()
    click.echo("\ncontacts by journey stage: " + ", ".join(f"{journey.stage(k).name} {n}" for k, n in stages.items()))
    click.echo("contacts by channel: " + ", ".join(f"{book.for_state(k).name} {n}" for k, n in channels.items()))
    click.echo(f"relations: {statuses}")
    click.echo(f"outbox actions this run: {actions}; welcome messages: {welcomes}")
    latencies = welcome_latencies(sandbox.state)
    if latencies:
        ordered = sorted(latencies)
        p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
        click.echo(f"welcome latency (add event -> send_welcome_msg): p50 {statistics.median(ordered):.2f} s, "
                   f"p99 {p99:.2f} s, window 20 s")
    tags = stage_tag_counts(services, sandbox.state)
    click.echo(f"live relations by number of stage tags in WeCom (sandbox): {dict(tags)}")
    return set(tags) <= {1} and actions.get("failed", 0) == 0 and not actions.get("pending")


def report_inquiries(services: Services, sandbox) -> bool:
    """Print what prospects said, who became a hot lead, and one alert as sales saw it."""
    from app.store.models import ArchivedMessage, LeadAlert

    with services.sessions() as session:
        messages = session.scalar(select(func.count()).select_from(ArchivedMessage)) or 0
        alerts = session.execute(select(LeadAlert).order_by(LeadAlert.id)).scalars().all()
        opted = session.scalar(select(func.count()).select_from(Contact).where(Contact.nurture_stopped == "opted_out"))
    robot = sandbox.state.messaging.robot_messages(services.settings.sales_robot_key or "")
    click.echo(f"\nprospect messages read from the session archive: {messages}; hot leads alerted: {len(alerts)} "
               f"(robot posts {len(robot)}); opted out: {opted}")
    if alerts:
        facts = alerts[0].explanation
        click.echo(f"example alert to {alerts[0].owner_userid}: "
                   f"{facts['who']}（{facts['company']}）{facts['intent']} — "
                   f"渠道 {facts['channel']}，阶段 {facts['stage']}，客户说 {facts['messages']}，"
                   f"建议：{facts['next_step']}")
    return messages > 0 and bool(alerts)
