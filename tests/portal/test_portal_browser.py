"""The public portal in a real browser (issue 11 point 1): headless Chromium (the Debian `chromium`
package's executable, driven by Playwright; no browser is downloaded) against the API served on a
real port, on the time-skipping server with production rules.

One run of the award as the public sees it: the home page and the notices, the committee roster,
the preliminary list during its 7-day notice; objections filed through the form (a refused one
shown at its field, a named and an anonymous one confirmed with their ids, stored and investigated
like the API's), a post with a forged CSRF token and one without the cookie refused with nothing
stored (R14.7); after publication the results and the certificate check: valid, unknown and revoked
(R15.1). Every page is photographed at a desktop and a mobile width; the screenshots are kept under
.data/test-artifacts/portal/ (the path is printed)."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import ROOT
from playwright.async_api import Browser, Page, async_playwright
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from support import expect_list
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from timeskip import env, served_award_api, to_public_notice

from config.settings import RateLimit, Settings
from db import models as m
from devstack.scenario import Scenario, eventually, expect

__all__ = ["env"]  # the time-skipping server fixture (tests/timeskip.py)

CHROMIUM = os.environ.get("AWARD_TEST_CHROMIUM", "/usr/bin/chromium")
SHOTS = ROOT / ".data" / "test-artifacts" / "portal"
DESKTOP = {"width": 1280, "height": 900}
MOBILE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    """One headless Chromium for the module: the system's, never a downloaded one."""
    if not os.path.exists(CHROMIUM):  # noqa: ASYNC240 (once, before the browser starts)
        pytest.fail(
            f"{CHROMIUM} is missing: install the Debian package (apt-get install chromium; .ci/run does)"
        )
    async with async_playwright() as p:
        b = await p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        try:
            yield b
        finally:
            await b.close()


@pytest.fixture(scope="module")
def shots() -> Path:
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    print(f"\nportal screenshots: {SHOTS}")
    return SHOTS


class Camera:
    """Screenshots of what a page shows, at the desktop width and again at a phone's (the same page
    resized: a page that answered a post is not fetched again)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def both(self, page: Page, name: str) -> None:
        await self.one(page, name)
        await page.set_viewport_size(MOBILE)
        try:
            await page.screenshot(path=self.folder / f"{name}-mobile.png", full_page=True)
            # nothing is wider than the phone's screen (a wide table scrolls inside its own box)
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= MOBILE["width"], f"{name}: the page is {width}px wide on a phone"
        finally:
            await page.set_viewport_size(DESKTOP)

    async def one(self, page: Page, name: str) -> None:
        await page.screenshot(path=self.folder / f"{name}-desktop.png", full_page=True)


async def assert_accessible_page(page: Page) -> None:
    """What every page of the portal keeps: Chinese, the viewport, landmarks, one h1 and no skipped
    heading level, every form control labelled, the portal's own style sheet applied (the CSP lets
    it load) and no script at all."""
    assert await page.get_attribute("html", "lang") == "zh-CN"
    assert await page.locator('meta[name="viewport"]').count() == 1
    for landmark in ("header", "nav", "main#main", "footer"):
        assert await page.locator(landmark).count() >= 1, landmark
    levels = [
        int(tag[1]) for tag in await page.locator("h1, h2, h3, h4").evaluate_all("l => l.map(e => e.tagName)")
    ]
    assert levels and levels[0] == 1 and levels.count(1) == 1, levels
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), levels
    unlabelled = await page.locator("input:not([type=hidden]), select, textarea").evaluate_all(
        "l => l.filter(e => !e.labels || e.labels.length === 0).map(e => e.name)"
    )
    assert unlabelled == [], unlabelled
    assert await page.locator("script").count() == 0
    # the style sheet applied: the header's background is the portal's red, not the default
    red = await page.locator("header.site").evaluate("e => getComputedStyle(e).backgroundColor")
    assert red == "rgb(158, 27, 27)", red


async def objections(api: httpx.AsyncClient, sc: Scenario) -> list[dict[str, Any]]:
    return expect_list(await api.get("/objections", params={"year": sc.year}, headers=sc.office))


@pytest.mark.req("R14.7")
@pytest.mark.req("R15.1")
async def test_the_public_files_an_objection_and_checks_a_certificate_in_a_browser(
    env: WorkflowEnvironment,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    temporal_client: Client,
    browser: Browser,
    shots: Path,
) -> None:
    camera = Camera(shots)
    # a limit of 8 objections an hour per client IP, to see the form and the API share it
    limited = settings.model_copy(update={"rate_limit_objection_per_ip": RateLimit(8, 3600)})
    async with served_award_api(env, limited, sessions, temporal_client) as (base, api):
        n = await to_public_notice(env, api, settings)
        sc = n.scenario
        year = sc.year
        a1, a2 = sorted(n.listed)
        context = await browser.new_context(viewport=DESKTOP, base_url=base)
        page = await context.new_page()

        # --- the home page, the notices and the roster -----------------------------------------------
        async def delivered() -> bool | None:  # the outbox delivers the notice a moment after the step
            kinds = {x["kind"] for x in expect_list(await api.get("/public/notices"))}
            return True if "PRELIMINARY_LIST" in kinds else None

        await eventually(delivered, what="the preliminary list's public notice")
        r = await page.goto("/portal/")
        assert r is not None and r.status == 200
        csp = r.headers["content-security-policy"]
        assert "script-src" not in csp and "style-src 'self'" in csp and "default-src 'none'" in csp
        assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"
        await assert_accessible_page(page)
        assert await page.get_by_role("heading", name=f"{year}年度").count() == 1
        await camera.both(page, "01-home")
        # the keyboard: the first Tab reaches the skip link, shown with a visible focus ring
        await page.keyboard.press("Tab")
        focused = await page.evaluate(
            "(() => { const e = document.activeElement, s = getComputedStyle(e);"
            " return [e.textContent, s.outlineStyle, s.outlineWidth, e.getBoundingClientRect().left]; })()"
        )
        assert (
            focused[0] == "跳到正文" and focused[1] == "solid" and focused[2] == "3px" and focused[3] >= 0
        ), focused
        await camera.one(page, "01-home-keyboard-focus")

        await page.get_by_role("navigation", name="主导航").get_by_role("link", name="公告公示").click()
        assert await page.get_by_role("link", name=re.compile("初选")).count() >= 1
        await assert_accessible_page(page)
        await camera.both(page, "02-notices")
        await page.get_by_role("link", name=re.compile("初选")).first.click()
        await assert_accessible_page(page)
        assert "公示" in await page.locator("main .body").inner_text()
        await camera.one(page, "03-notice-preliminary")

        await page.goto(f"/portal/{year}/committee")
        await assert_accessible_page(page)
        table = await page.locator("table").inner_text()
        assert "主任" in table and "区政府分管副区长" in table
        await camera.both(page, "04-committee")

        # --- the preliminary list on notice, with its times and the form ----------------------------
        await page.goto(f"/portal/{year}/preliminary")
        await assert_accessible_page(page)
        main = await page.locator("main").inner_text()
        assert "公示中，受理异议" in main and "鹿城公示测试一号有限公司" in main
        assert "24:00" in await page.locator("dl.window").inner_text()  # the close as people say it
        cookie = next(c for c in await context.cookies() if c["name"] == "portal_csrf")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        await camera.both(page, "05-preliminary")

        # A named objection without a name and without facts: refused, shown at the fields, nothing stored.
        await page.get_by_label("异议对象").select_option(a1)
        await page.get_by_role("button", name="提交异议").click()
        assert await page.locator("#facts-error").text_content() == "错误：请填写此项"
        assert await page.get_attribute("#facts", "aria-invalid") == "true"
        await page.get_by_label("异议的事实和理由").fill("该企业申报材料中的获奖证明与实际不符，请核查。")
        await page.get_by_role("button", name="提交异议").click()
        assert "实名反映须填写姓名和联系方式" in await page.locator("#name-error").inner_text()
        assert "异议未提交" in await page.locator(".error-summary").inner_text()
        # what was typed is kept
        assert await page.input_value("#facts") == "该企业申报材料中的获奖证明与实际不符，请核查。"
        assert await page.input_value("#application_id") == a1
        await assert_accessible_page(page)
        await camera.both(page, "06-form-errors")
        assert await objections(api, sc) == []

        # Named, complete: confirmed with its id, stored and investigated like an API objection.
        await page.get_by_label(re.compile("^姓名")).fill("张三")
        await page.get_by_label(re.compile("^联系方式")).fill("13800000000")
        await page.get_by_role("button", name="提交异议").click()
        assert await page.get_by_role("heading", name="异议已受理").count() == 1
        named_id = (await page.locator(".objection-id").inner_text()).strip()
        assert named_id == f"{year}-OBJ-1"
        await assert_accessible_page(page)
        await camera.both(page, "07-confirmation")
        stored = await objections(api, sc)
        assert [
            (o["id"], o["application_id"], o["anonymous"], o["name"], o["investigated"], o["state"])
            for o in stored
        ] == [(named_id, a1, False, "张三", True, "INVESTIGATING")]
        # the same objection again, from a fresh form: the API's rule, the API's words
        await page.goto(f"/portal/{year}/preliminary")
        await page.get_by_label("异议对象").select_option(a1)
        await page.get_by_label("异议的事实和理由").fill("该企业申报材料中的获奖证明与实际不符，请核查。")
        await page.get_by_label(re.compile("^姓名")).fill("张三")
        await page.get_by_label(re.compile("^联系方式")).fill("13800000000")
        await page.get_by_role("button", name="提交异议").click()
        assert "相同的异议已经受理" in await page.locator(".error-summary").inner_text()
        assert len(await objections(api, sc)) == 1

        # Anonymous, against the other candidate.
        await page.goto(f"/portal/{year}/preliminary")
        await page.get_by_label("异议对象").select_option(a2)
        await page.get_by_label("异议的事实和理由").fill("匿名反映：该企业存在违规宣传。")
        await page.get_by_label(re.compile("^匿名反映")).check()
        await page.get_by_role("button", name="提交异议").click()
        anon_id = (await page.locator(".objection-id").inner_text()).strip()
        assert anon_id == f"{year}-OBJ-2" and "匿名反映" in await page.locator("main").inner_text()

        # A forged token: refused, nothing stored.
        await page.goto(f"/portal/{year}/preliminary")
        await page.get_by_label("异议的事实和理由").fill("伪造令牌的异议")
        await page.locator('input[name="csrf_token"]').evaluate("e => e.value = 'forged.' + e.value")
        async with page.expect_response(lambda r: r.request.method == "POST") as posted:
            await page.get_by_role("button", name="提交异议").click()
        assert (await posted.value).status == 400
        assert await page.get_by_role("heading", name="提交未受理").count() == 1
        await assert_accessible_page(page)
        await camera.one(page, "08-csrf-refused")
        # and a post from elsewhere, with the page's token but without the cookie (a cross-site form)
        token = await browser_token(page, year)
        r2 = await api.post(
            f"/portal/{year}/objections",
            data={"csrf_token": token, "facts": "跨站提交", "anonymous": "true", "application_id": a1},
        )
        assert r2.status_code == 400 and "提交未受理" in r2.text
        assert [o["id"] for o in await objections(api, sc)] == [named_id, anon_id]
        # the form's address opened directly leads back to the notice
        r3 = await api.get(f"/portal/{year}/objections")
        assert r3.status_code == 303 and r3.headers["location"] == f"/portal/{year}/preliminary"

        # Garbage in the form with a good token: the form again, with the errors, nothing stored.
        token = await browser_token(page, year)
        jar = {c["name"]: c["value"] for c in await context.cookies() if c["name"] == "portal_csrf"}
        async with httpx.AsyncClient(base_url=base, cookies=jar, timeout=60) as form_client:
            garbage = {"csrf_token": token, "facts": "事" * 3001, "anonymous": "maybe", "name": "张\n三"}
            r4 = await form_client.post(f"/portal/{year}/objections", data=garbage)
            assert r4.status_code == 422 and r4.headers["content-type"].startswith("text/html"), r4.text[:300]
            for shown in (
                "不能超过3000个字",
                "请选择实名反映或匿名反映",
                'id="facts-error"',
                'id="anonymous-error"',
                'id="name-error"',
            ):
                assert shown in r4.text, shown
            # The API's rate limit, in the API's buckets: this client has filed 7 times through the form
            # (5 in the browser, the garbage above, the next one); the API route's 8th is refused, and
            # so is the form's 9th, shown on the form.
            r5 = await form_client.post(
                f"/portal/{year}/objections", data={"csrf_token": token, "facts": " "}
            )
            assert r5.status_code == 422 and 'id="facts-error"' in r5.text
            r6 = await api.post(f"/public/objections/{year}", json={"facts": ""})
            assert r6.status_code == 422, r6.text  # the 8th: counted, then refused as invalid
            r7 = await form_client.post(
                f"/portal/{year}/objections", data={"csrf_token": token, "facts": "第九次"}
            )
            assert r7.status_code == 429 and "请求过于频繁" in r7.text and int(r7.headers["retry-after"]) > 0
            r8 = await api.post(f"/public/objections/{year}", json={"facts": "第十次"})
            assert r8.status_code == 429 and r8.json()["code"] == "RATE_LIMITED", r8.text
        assert [o["id"] for o in await objections(api, sc)] == [named_id, anon_id]

        # --- investigated like any objection; the award goes on to publication -------------------------
        await sc.account("investigator1", "office", "investigator-pass-1", "调查人甲")
        investigator = await Scenario.login(api, "investigator1", "investigator-pass-1")
        for oid in (named_id, anon_id):
            expect(
                await api.post(
                    f"/objections/{oid}/investigator", headers=sc.office, json={"username": "investigator1"}
                ),
                200,
            )
            expect(
                await api.post(
                    f"/objections/{oid}/report",
                    headers=investigator,
                    json={"findings": "经调查核实，反映的问题不属实", "conclusion": "UNSUBSTANTIATED"},
                ),
                200,
            )
        await env.sleep(n.closes_at - await env.get_current_time() + timedelta(minutes=1))
        await sc.wait_cycle("FINAL_LIST")
        await page.goto(f"/portal/{year}/preliminary")
        assert "公示期已满，不再受理异议" in await page.locator("main").inner_text()
        assert await page.locator("form[method=post]").count() == 0
        expect(await api.post(f"/cycles/{year}/final-list", headers=sc.committee["chair"], json={}), 200)
        await sc.wait_cycle("GOVERNMENT_APPROVAL")
        approve = {"approved": True, "document_no": f"鹿政发〔{year}〕8号"}
        expect(await api.post(f"/cycles/{year}/approval", headers=sc.government, json=approve), 200)
        await sc.wait_cycle("COMPLETED")

        # --- results and the certificate check ------------------------------------------------------
        await page.goto(f"/portal/{year}/results")
        await assert_accessible_page(page)
        results = await page.locator("table").inner_text()
        assert f"鹿政发〔{year}〕8号" in await page.locator("main").inner_text()
        assert "鹿城公示测试一号有限公司" in results and "区政府质量奖" in results
        await camera.both(page, "09-results")
        numbers = expect(await api.get(f"/public/results/{year}"), 200)["winners"]
        first = numbers[0]["certificate_number"]
        await page.get_by_role("link", name=first).click()
        await assert_accessible_page(page)
        assert "有效" in await page.locator(".status").inner_text()
        assert numbers[0]["enterprise_name"] in await page.locator("dl.facts").inner_text()
        await camera.both(page, "10-certificate-valid")

        await page.get_by_label("证书编号").fill(f"鹿质奖证〔{year}〕Q99号")
        await page.get_by_role("button", name="查验").click()
        assert "未查到" in await page.locator(".status").inner_text()
        await camera.one(page, "11-certificate-unknown")

        # A revoked certificate as the page shows it (the revocation itself, proposed by the
        # committee and decided by the government, is tested in tests/workflows/test_workflow_after_award.py):
        # the record is marked here, the page reads it through the public check.
        async with sessions.begin() as s:
            await s.execute(
                update(m.Certificate)
                .where(m.Certificate.number == first)
                .values(
                    status="REVOKED",
                    revoked_at=datetime.now(UTC),
                    revocation_document_no=f"鹿政发〔{year}〕20号",
                )
            )
        await page.goto(f"/portal/certificates?number={first}")
        status = await page.locator(".status").inner_text()
        assert "已撤销" in status and f"鹿政发〔{year}〕20号" in status
        await camera.both(page, "12-certificate-revoked")
        await context.close()


async def browser_token(page: Page, year: int) -> str:
    await page.goto(f"/portal/{year}/preliminary")
    return await page.locator('input[name="csrf_token"]').get_attribute("value") or ""
