"""An official's first visit to the reports: sent to set up the authenticator app, in
Vietnamese, then straight on to the report; the next log-in asks for the app's code."""

import re
import time

import pyotp
import pytest
from playwright.sync_api import expect

from accounts.models import Role
from accounts.services import unit_role_grant
from tests.accounts.factories import PASSWORD, UserFactory
from tests.e2e.conftest import screenshot
from units.models import Unit

pytestmark = pytest.mark.e2e


@pytest.fixture
def official(units_tx):
    user = UserFactory(email="canbo.moi@example.com", full_name="Đỗ Văn Cán")
    unit_role_grant(user=user, role=Role.OFFICIAL, unit=Unit.objects.get(code="31"))
    return user


def submit(page):
    page.locator("main form button[type=submit]").first.click()


def test_an_official_sets_up_the_app_and_logs_in_with_its_code(page, official):
    page.goto("/accounts/login/?next=/reports/")
    page.fill("input[name=login]", official.email)
    page.fill("input[name=password]", PASSWORD)
    submit(page)

    # Sent on: confirm the password, then the set-up page, all in Vietnamese.
    expect(page.get_by_text("hãy cài đặt xác thực hai bước")).to_be_visible()
    page.fill("input[name=password]", PASSWORD)
    submit(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("ứng dụng xác thực"))
    screenshot(page, "second-factor-setup")
    secret = page.locator("#authenticator_secret").input_value()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    page.fill("input[name=code]", pyotp.TOTP(secret).now())
    submit(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("Mã khôi phục")
    codes = page.locator("#recovery_codes").input_value().split()
    assert len(codes) == 10
    page.get_by_role("link", name="Tôi đã lưu các mã: tiếp tục").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thành phố Hải Phòng")

    page.locator("form[action$='/logout/'] button").click()
    page.goto("/accounts/login/")
    page.fill("input[name=login]", official.email)
    page.fill("input[name=password]", PASSWORD)
    submit(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Xác thực hai bước")
    screenshot(page, "second-factor-code")
    page.fill("input[name=code]", pyotp.TOTP(secret).at(time.time() + 30))
    submit(page)
    page.goto("/reports/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Thành phố Hải Phòng")
