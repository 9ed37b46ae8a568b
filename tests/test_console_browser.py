"""The console in headless Chromium over real HTTP: sign in, upload the default calendar and see every error and the
preview, open the scenario's hot lead and mark it contacted; screenshots at phone and laptop widths; no JS errors."""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import select

from app.store.models import LeadAlert
from tests.console_world import PASSWORD
from tests.settings import FIXTURES

ROOT = Path(__file__).parents[1]
CALENDAR = ROOT / "content" / "sequences" / "saas_nurture_30d.yaml"
SHOTS = ROOT / "var" / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1366, "height": 768}}



@pytest.fixture
def browser():
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield launched
        launched.close()


def watch(page, problems: list[str]) -> None:
    """Collect every console error and uncaught page error."""
    page.on("console", lambda msg: problems.append(f"console: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda err: problems.append(f"pageerror: {err}"))


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/console/")
    expect(page.locator("h1")).to_have_text("登录控制台")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form:not(.logout) button[type=submit]")
    expect(page.locator("h1")).to_have_text("仪表盘")


def test_console_in_chromium(cw, browser, database_url):
    problems: list[str] = []
    base = cw.base_url
    laptop = browser.new_context(viewport=VIEWPORTS["laptop"], locale="zh-CN")
    page = laptop.new_page()
    watch(page, problems)

    sign_in(page, base, "marketer")
    page.goto(f"{base}/console/content")
    page.set_input_files("input[name=files]", str(FIXTURES / "calendars" / "five_errors.csv"))
    page.click("#upload button[type=submit]")
    expect(page.locator("tr.problem")).to_have_count(5)
    expect(page.locator(".problems h3")).to_contain_text("5 个问题")
    page.set_input_files("input[name=files]", str(CALENDAR))
    page.check("input[name=activate]")
    page.click("#upload button[type=submit]")
    expect(page.locator(".flash.ok")).to_contain_text("已保存为版本")
    expect(page.locator("#preview h2")).to_contain_text("未来 14 天预览")
    expect(page.locator("#preview details.day")).to_have_count(14)
    assert page.locator("#preview table.preview tr").count() > 0
    page.click("button.link")
    expect(page.locator("h1")).to_have_text("登录控制台")

    sign_in(page, base, "zhangsan")
    page.goto(f"{base}/console/leads")
    lead = page.locator(f"#lead-{cw.alert}")
    expect(lead).to_contain_text("询价")
    lead.locator("h2 a").click()
    expect(page).to_have_url(f"{base}/console/contacts/{cw.hot_lead}")
    expect(page.locator(".card.alert")).to_contain_text("热线索")
    page.click("button[data-action=contacted]")
    expect(page.locator(".flash.ok")).to_have_text("已标记为已联系")
    expect(page.locator(".card.alert")).to_have_count(0)
    with cw.services.sessions() as session:
        alert = session.get(LeadAlert, cw.alert)
        assert alert.acked_by == "zhangsan"
        assert alert.acked_at is not None
        assert session.execute(select(LeadAlert).where(LeadAlert.id == cw.other_alert)).scalar_one().acked_at is None

    SHOTS.mkdir(parents=True, exist_ok=True)
    state = laptop.storage_state()
    pages = {"dashboard": f"{base}/console/?days=30", "contact": f"{base}/console/contacts/{cw.hot_lead}",
             "sidebar": f"{base}/console/sidebar/{cw.hot_lead}"}
    for size, viewport in VIEWPORTS.items():
        context = browser.new_context(viewport=viewport, locale="zh-CN", storage_state=state)
        shot = context.new_page()
        watch(shot, problems)
        for name, url in pages.items():
            shot.goto(url)
            expect(shot.locator("h1")).to_be_visible()
            width = shot.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport["width"], f"{name} overflows the {size} width: {width}px"
            shot.screenshot(path=str(SHOTS / f"{name}-{size}.png"), full_page=True)
        context.close()
    laptop.close()
    assert problems == []
    assert {p.name for p in SHOTS.glob("*.png")} >= {f"{n}-{s}.png" for n in pages for s in VIEWPORTS}
