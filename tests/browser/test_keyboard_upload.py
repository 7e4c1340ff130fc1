"""Uploading with the keyboard alone: Tab to the drop zone, Enter opens the picker, Enter on Colorize sends it,
and the page's live regions say what happened."""
from pathlib import Path

import pytest
from django.urls import reverse
from PIL import Image

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FOCUSED_ID = "() => document.activeElement && document.activeElement.id"


def tab_to(page, element_id: str, key: str = "Tab", most: int = 60) -> None:
    """Press Tab (or Shift+Tab) until the element with `element_id` has the focus, as a keyboard user would."""
    for _ in range(most):
        page.keyboard.press(key)
        if page.evaluate(FOCUSED_ID) == element_id:
            return
    raise AssertionError(f"#{element_id} is never reached with Tab")


def keyboard_page(chromium):
    page = chromium.new_page(viewport={"width": 1200, "height": 900})
    # Pickers are caught from the start: Playwright turns the interception on asynchronously
    # when a listener is added, and a picker opened before that is a real one, never reported.
    page.on("filechooser", lambda chooser: None)
    return page


def grey_photo(path: Path) -> Path:
    Image.linear_gradient("L").resize((96, 96)).save(path)
    return path


def test_a_photo_is_uploaded_and_rendered_with_the_keyboard_alone(chromium, daphne_server, tmp_path):
    page = keyboard_page(chromium)
    page.goto(daphne_server + reverse("tool", args=["colorize"]))
    page.wait_for_selector("#socket-state[data-state=live]")
    zone = page.locator("#drop-zone")
    assert zone.get_attribute("role") == "button" and zone.get_attribute("aria-label")

    # Sending nothing: the reason is written in a live region, so a screen reader says it.
    tab_to(page, "submit-button")
    page.keyboard.press("Enter")
    page.wait_for_selector("#upload-errors li")
    assert page.get_attribute("#upload-errors", "aria-live") == "assertive"
    assert "Choose at least one image" in page.inner_text("#upload-errors")

    tab_to(page, "drop-zone", key="Shift+Tab")
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Enter")
    assert chooser.value.is_multiple()
    chooser.value.set_files(str(grey_photo(tmp_path / "gradient.png")))
    page.wait_for_selector("#chosen-files li")
    assert "gradient.png" in page.inner_text("#chosen-files")

    tab_to(page, "submit-button")
    page.keyboard.press("Enter")
    page.wait_for_selector(".job")
    # Each change of state is announced (polite), the last one when the job is done.
    page.wait_for_selector(".job[data-status=done] .compare-result", timeout=90_000)
    page.wait_for_function("() => document.getElementById('jobs-announcer').textContent.includes('done')")
    announcer = page.locator("#jobs-announcer")
    assert announcer.get_attribute("aria-live") == "polite" and announcer.inner_text() == "gradient.png: done."
    assert page.inner_text("#upload-errors") == ""
    page.close()


def test_file_inputs_outside_a_drop_zone_are_reached_with_tab(chromium, daphne_server):
    """Edit's "Start from a photo": the input is out of sight but the keyboard still reaches it."""
    page = keyboard_page(chromium)
    page.goto(daphne_server + reverse("tool", args=["edit"]))
    tab_to(page, "photo")
    with page.expect_file_chooser():
        page.keyboard.press("Space")
    page.close()
