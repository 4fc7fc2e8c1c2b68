"""Screenshots of the browser pages for the README: ``python docs/screenshots.py URL`` against a running
``kg serve`` (the README's were taken over seeds/ and ../shared/corpus, 92 articles).  Uses the
same headless Chromium and driver as tests/test_pages.py."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

PAGES = {
    "home.png": "/",
    "entity.png": "/entities/north-korea",
    "article.png": "/articles/seed-001",
    "query.png": "/query",
}


def main(base: str, out: Path = Path(__file__).parent) -> None:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    with tempfile.TemporaryDirectory() as profile:
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1000",
                    "--hide-scrollbars", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                    f"--user-data-dir={profile}"):
            options.add_argument(arg)
        driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
        try:
            for name, path in PAGES.items():
                driver.set_window_size(1280, 800)
                driver.get(base + path)
                if path == "/":
                    driver.find_element("id", "search").send_keys("Selenskyj")
                elif path == "/query":
                    driver.execute_script("window.kgYasgui.getTab().query()")
                time.sleep(2)
                height = driver.execute_script("return document.documentElement.scrollHeight")
                driver.set_window_size(1280, min(max(height, 800), 1800))  # the page, up to 1800 px
                time.sleep(0.5)
                driver.save_screenshot(str(out / name))
                print(out / name)
        finally:
            driver.quit()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
