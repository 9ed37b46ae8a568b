"""The console pages (Chinese): sign-in, dashboard, contacts, contact page, leads, content and the chat sidebar."""
from __future__ import annotations

import secrets
from urllib.parse import quote, urlencode

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import logout_user
from sqlalchemy import select

from app.store.contact_json import contact_json
from app.store.models import Contact, ContentVersion, LeadAlert, utcnow
from app.store.models.base import as_utc
from app.web.console.access import page, start_session
from app.web.console.actions import set_stage
from app.web.console.contacts_query import (
    FilterError,
    contact_tags,
    parse_filters,
    search_contacts,
    sidebar_view,
    stage_choices,
)
from app.web.console.content_upload import (
    Upload,
    activate_version,
    compare_versions,
    list_versions,
    store_upload,
    version_json,
)
from app.web.console.dashboard import PERIOD_DAYS, PeriodError, parse_period
from app.web.console.dashboard import dashboard as dashboard_data
from app.web.console.leads import ack_alert, ack_contact, lead_alerts
from app.web.console.nurture_control import NurtureRefused, restart_nurture, stop_nurture
from app.web.console.scope import get_contact, principal_for, staff_book, visible_alerts, visible_contacts
from app.web.console.users import check_login, wecom_member_user
from app.web.throttle import allowed
from app.wecom.errors import WeComError
from content.errors import ContentError

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates", static_folder="static",
               static_url_path="/static")
root = Blueprint("console_root", __name__)
WECOM_SSO = "https://login.work.weixin.qq.com/wwlogin/sso/login"
LOGIN_RATE = "10/minute"  # sign-in attempts per client address and user name
WECOM_OAUTH = "https://open.weixin.qq.com/connect/oauth2/authorize"
STOP_NAMES = {"hot_lead": "热线索，交由销售", "opted_out": "客户退订", "lost": "已流失", "by_staff": "手动停止"}


def _services():
    return current_app.extensions["scrm"]


@root.get("/")
def home():
    """The console lives under /console."""
    return redirect(url_for("console.dashboard"))


def _safe_next(target: str | None) -> str:
    """Only local console paths are followed after sign-in."""
    return target if target and target.startswith("/console") and "//" not in target and "\\" not in target \
        else url_for("console.dashboard")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with a local account (demo, tests, admins), or go to WeCom's member login."""
    error = None
    if request.method == "POST":
        services = _services()
        username = (request.form.get("username") or "").strip()[:64]
        if not allowed(services, "login", LOGIN_RATE, request.remote_addr or "-", username):
            return render_template("console/login.html", error="尝试次数过多，请一分钟后再试"), 429
        with services.sessions() as db:
            user = check_login(db, username, request.form.get("password") or "")
            if user is not None:
                db.commit()
                start_session(user, principal_for(user, staff_book(services)))
                return redirect(_safe_next(request.args.get("next")))
        error = "用户名或密码不正确"
    return render_template("console/login.html", error=error)


@bp.post("/logout")
def logout():
    """End the session."""
    logout_user()
    session.clear()
    return redirect(url_for("console.login"))


@bp.get("/wecom/login")
def wecom_login():
    """Send a member to WeCom's web login (QR code on a laptop, silent OAuth inside the WeCom client)."""
    settings = _services().settings
    state = session["wecom_state"] = secrets.token_urlsafe(16)
    session["wecom_next"] = _safe_next(request.args.get("next"))
    callback = (settings.wecom_login_redirect
                or f"{settings.public_base_url.rstrip('/')}{url_for('console.wecom_callback')}")
    if "wxwork" in request.headers.get("User-Agent", "").lower():
        query = urlencode({"appid": settings.wecom_corp_id, "redirect_uri": callback, "response_type": "code",
                           "scope": "snsapi_base", "state": state, "agentid": settings.wecom_agent_id}, quote_via=quote)
        return redirect(f"{WECOM_OAUTH}?{query}#wechat_redirect")
    query = urlencode({"login_type": "CorpApp", "appid": settings.wecom_corp_id, "agentid": settings.wecom_agent_id,
                       "redirect_uri": callback, "state": state}, quote_via=quote)
    return redirect(f"{WECOM_SSO}?{query}")


@bp.get("/wecom/callback")
def wecom_callback():
    """WeCom redirects here with a code: resolve it to a member userid (auth/getuserinfo) and sign them in."""
    expected, code = session.pop("wecom_state", None), request.args.get("code", "")
    if (not expected or not secrets.compare_digest(expected, request.args.get("state", ""))
            or not code or len(code) > 512):
        return _error(400, "登录已失效", "企业微信登录请求无效或已过期，请重新登录。")
    services = _services()
    try:
        userid = services.gateway.oauth.member_of_code(code)
    except WeComError:
        return _error(401, "登录失败", "企业微信未能确认您的身份，请重新登录。")
    book = staff_book(services)
    with services.sessions() as db:
        user = wecom_member_user(db, userid, set(book.members)) if userid else None
        if user is None:
            return _error(403, "没有权限", "您的企业微信账号还没有开通控制台，请联系管理员。")
        db.commit()
        target = session.pop("wecom_next", None)
        start_session(user, principal_for(user, book))
    return redirect(target or url_for("console.dashboard"))


def _error(status: int, title: str, message: str):
    return render_template("console/error.html", title=title, message=message), status


@bp.app_errorhandler(403)
def forbidden(err):
    """A page the role may not open."""
    return _error(403, "没有权限", "您的角色无权访问这个页面。") if request.path.startswith("/console") else err


@bp.app_errorhandler(404)
def not_found(err):
    """A console page that does not exist or is not visible to the user."""
    if request.path.startswith("/console"):
        return _error(404, "页面不存在", "没有找到这个页面，或者您无权查看。")
    return err


@bp.get("/")
@page("dashboard")
def dashboard():
    """The journey funnel, conversion, hot leads, nurture today, staff confirmation and opt-outs."""
    try:
        days = parse_period(request.args.get("days"))
    except PeriodError:
        days = 7
    services = _services()
    channel = (request.args.get("channel") or "").strip()[:30] or None
    with services.sessions() as db:
        data = dashboard_data(db, services, g.principal, days, channel, utcnow())
    return render_template("console/dashboard.html", d=data, periods=PERIOD_DAYS,
                           channels=services.content.channels().channels)


@bp.get("/contacts")
@page("contacts")
def contacts():
    """Search and filter contacts."""
    services = _services()
    try:
        filters, error = parse_filters(request.args), None
    except FilterError as err:
        filters, error = parse_filters({}), str(err)
    with services.sessions() as db:
        result = search_contacts(db, g.principal, filters, services.content.journey, services.content.channels())
    return render_template("console/contacts.html", result=result, f=filters, error=error,
                           stages=stage_choices(services.content.journey),
                           channels=services.content.channels().channels)


@bp.get("/contacts/<int:contact_id>")
@page("contacts")
def contact(contact_id: int):
    """One contact with the full timeline and the actions staff take."""
    services = _services()
    with services.sessions() as db:
        row = get_contact(db, g.principal, contact_id)
        if row is None:
            abort(404)
        data = contact_json(db, row, services.content.journey)
        alerts = lead_alerts(db, g.principal, contact_id=contact_id)
        tags = contact_tags(row, services.content.journey, services.content.channels())
    return render_template("console/contact.html", c=data, alerts=alerts, tags=tags,
                           channel_name=services.content.channels().for_state(data["channel"]).name,
                           stages=stage_choices(services.content.journey))


@bp.post("/contacts/<int:contact_id>/stage")
@page("act")
def contact_stage(contact_id: int):
    """Set the stage by hand."""
    services = _services()
    stage = request.form.get("stage", "")
    if stage not in {s.key for s in services.content.journey.stages}:
        flash("请选择一个有效的阶段", "error")
    elif set_stage(services, g.principal, contact_id, stage, request.form.get("note", "")) is None:
        abort(404)
    else:
        flash("阶段已更新", "ok")
    return redirect(_back(contact_id))


@bp.post("/contacts/<int:contact_id>/contacted")
@page("act")
def contact_contacted(contact_id: int):
    """Mark the contact's open hot-lead alerts contacted."""
    services = _services()
    with services.sessions() as db:
        if get_contact(db, g.principal, contact_id) is None:
            abort(404)
        acked = ack_contact(db, contact_id, g.principal.actor)
        db.commit()
    flash("已标记为已联系" if acked else "没有待联系的热线索提醒", "ok")
    return redirect(_back(contact_id))


@bp.post("/contacts/<int:contact_id>/nurture")
@page("act")
def contact_nurture(contact_id: int):
    """Stop or restart nurture."""
    action = request.form.get("action")
    if action not in ("stop", "restart"):
        abort(400)
    services = _services()
    with services.sessions() as db:
        row = get_contact(db, g.principal, contact_id)
        if row is None:
            abort(404)
        try:
            (stop_nurture if action == "stop" else restart_nurture)(db, row, g.principal.actor)
            db.commit()
            flash("已停止自动培育" if action == "stop" else "已恢复自动培育", "ok")
        except NurtureRefused as err:
            flash(f"无法恢复培育：{err}", "error")
    return redirect(_back(contact_id))


def _back(contact_id: int) -> str:
    """Return to the sidebar when the form came from it, else to the contact page."""
    if request.form.get("from") == "sidebar":
        return url_for("console.sidebar", contact_id=contact_id)
    return url_for("console.contact", contact_id=contact_id)


@bp.get("/leads")
@page("leads")
def leads():
    """The hot-lead queue with each alert's explanation."""
    services = _services()
    open_only = request.args.get("all") != "1"
    with services.sessions() as db:
        alerts = lead_alerts(db, g.principal, open_only=open_only)
        names = dict(db.execute(select(Contact.id, Contact.name).where(
            Contact.id.in_({a.contact_id for a in alerts}))).all()) if alerts else {}
    return render_template("console/leads.html", alerts=alerts, names=names, open_only=open_only)


@bp.post("/leads/<int:alert_id>/ack")
@page("act")
def lead_ack(alert_id: int):
    """One-click 已联系 (the same as POST /api/leads/<id>/ack)."""
    services = _services()
    with services.sessions() as db:
        query = visible_alerts(select(LeadAlert).where(LeadAlert.id == alert_id), g.principal)
        alert = db.execute(query).scalar_one_or_none()
        if alert is None:
            abort(404)
        ack_alert(db, alert, g.principal.actor)
        db.commit()
    flash("已标记为已联系", "ok")
    back = request.form.get("back", "")
    return redirect(back if back.startswith("/console/") else url_for("console.leads"))


@bp.get("/content")
@page("content")
def content():
    """Versions, upload, the 14-day preview of a version and the comparison of two."""
    return _content_page()


def _content_page(problems=None):
    from app.store.content_versions import active_version
    from jobs.nurture.preview import preview as run_preview
    from jobs.nurture.sends import calendar_for

    services = _services()
    wanted = request.args.get("version", "")
    with services.sessions() as db:
        versions = [_version_row(v) for v in list_versions(db)]
        row = db.get(ContentVersion, int(wanted)) if wanted.isdigit() else active_version(db)
        shown = _version_row(row) if row else None
        preview_days = run_preview(db, services, calendar_for(services, row), row.id, 14, utcnow()) if row else []
        changes, pair = None, None
        old, new = request.args.get("from", ""), request.args.get("to", "")
        if old.isdigit() and new.isdigit():
            try:
                changes, pair = compare_versions(db, services, int(old), int(new)), (int(old), int(new))
            except LookupError:
                changes = None
    return render_template("console/content.html", versions=versions, shown=shown, days=preview_days,
                           problems=problems, changes=changes, pair=pair)


def _version_row(row: ContentVersion) -> dict:
    """A version for the page, with its load time in Asia/Shanghai."""
    from jobs.planner import SHANGHAI

    return {**version_json(row), "loaded_local": as_utc(row.loaded_at).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")}


@bp.post("/content/upload")
@page("content")
def content_upload():
    """Validate uploaded calendar files; on success store them as a version and show its preview."""
    services = _services()
    uploads = [Upload(f.filename or "", f.read()) for f in request.files.getlist("files") if f.filename]
    with services.sessions() as db:
        try:
            stored = store_upload(db, services, uploads, g.principal.actor, request.form.get("activate") == "1")
        except ContentError as err:
            return _content_page(err.problems)
        db.commit()
    flash(f"已保存为版本 {stored.id}" + ("" if stored.created else "（与已有版本相同）"), "ok")
    return redirect(url_for("console.content", version=stored.id))


@bp.post("/content/<int:version_id>/activate")
@page("content")
def content_activate(version_id: int):
    """Make a version active."""
    services = _services()
    with services.sessions() as db:
        try:
            activate_version(db, version_id)
        except LookupError:
            abort(404)
        db.commit()
    flash(f"版本 {version_id} 已启用", "ok")
    return redirect(url_for("console.content", version=version_id))


@bp.get("/sidebar")
@page("contacts")
def sidebar_lookup():
    """The chat sidebar opened with the WeCom external_userid of the current chat."""
    ext = (request.args.get("external_userid") or "")[:64]
    services = _services()
    with services.sessions() as db:
        query = visible_contacts(select(Contact.id).where(Contact.external_userid == ext), g.principal)
        contact_id = db.scalar(query) if ext else None
    if contact_id is None:
        return _error(404, "未找到客户", "这个聊天对象不是您能查看的客户。")
    return redirect(url_for("console.sidebar", contact_id=contact_id))


@bp.get("/sidebar/<int:contact_id>")
@page("contacts")
def sidebar(contact_id: int):
    """The compact chat-sidebar page: stage, score, recent activity, next touches, quick actions."""
    services = _services()
    with services.sessions() as db:
        row = get_contact(db, g.principal, contact_id)
        if row is None:
            abort(404)
        data = sidebar_view(db, services, row, utcnow())
    return render_template("console/sidebar.html", s=data, stages=stage_choices(services.content.journey))


@bp.app_template_filter("local")
def local_time(value) -> str:
    """An ISO time or datetime shown in Asia/Shanghai as MM-DD HH:MM."""
    from datetime import datetime

    from jobs.planner import SHANGHAI

    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return as_utc(moment).astimezone(SHANGHAI).strftime("%m-%d %H:%M")


@bp.app_context_processor
def _names():
    """Chinese names of lead statuses and nurture stops for the templates."""
    services = current_app.extensions.get("scrm")
    statuses = dict(services.content.journey.lead_statuses) if services else {}
    return {"lead_names": statuses, "stop_names": STOP_NAMES}
