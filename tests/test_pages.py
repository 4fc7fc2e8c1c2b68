"""The browser pages, driven by a real headless Chromium (Debian's ``chromium`` and ``chromium-driver``,
through Selenium) against a real uvicorn serving kg over a store holding the seed article: the home page
(counts, search, a named query as a sortable table), the SPARQL editor (runs a query, shows rows), an
entity page (summary, map, plot, no console errors) and an article page (evidence highlighted and linked).

The browser resolves no host but 127.0.0.1, so a page that reached for a CDN or any other service would
fail to load it and log an error, which the tests read.  One browser and one server for the module."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, unquote

import pytest

from kg.api.app import create_app
from kg.api.deps import Settings
from kg.api.pages import article_text, render, wants_html
from kg.ingest import store_extraction
from kg.model import Extraction
from kg.store.oxigraph import OxigraphStore
from tests.conftest import LiveServer

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
TIMEOUT = 20


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, seed_extraction: Extraction) -> Iterator[LiveServer]:
    store = OxigraphStore(tmp_path_factory.mktemp("pages") / "store")
    assert store_extraction(store, seed_extraction).ok
    with LiveServer(create_app(store, Settings(query_workers=1))) as live:
        yield live
    store.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    webdriver = pytest.importorskip("selenium.webdriver")
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip("needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--window-size=1280,1000",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium')}",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(TIMEOUT)
    try:
        yield driver
    finally:
        driver.quit()


def errors(driver: object) -> list[dict[str, object]]:
    """The console errors since the last call (the browser log is drained by reading it)."""
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]  # type: ignore[attr-defined]


def wait_for(driver: object, css: str, count: int = 1) -> list[object]:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, TIMEOUT).until(  # type: ignore[no-any-return]
        lambda d: (found := d.find_elements(By.CSS_SELECTOR, css)) and len(found) >= count and found
    )


def test_home_page_counts_search_and_a_named_query(
    server: LiveServer, browser: object, seed_extraction: Extraction
) -> None:
    from selenium.webdriver.common.by import By

    driver = browser
    driver.get(server.url + "/")  # type: ignore[attr-defined]
    counts = {e.get_attribute("data-count"): e.text for e in wait_for(driver, "[data-count]", 6)}
    assert counts["articles"] == "1"
    assert counts["claims"] == str(len(seed_extraction.claims))
    assert seed_extraction.article.title in driver.find_element(By.CSS_SELECTOR, ".latest").text  # type: ignore[attr-defined]
    for link in ("/query", "/docs", "/export.gexf"):
        assert driver.find_elements(By.CSS_SELECTOR, f'a[href="{link}"]'), link  # type: ignore[attr-defined]
    offered = {f.get_attribute("data-query") for f in driver.find_elements(By.CSS_SELECTOR, "form[data-query]")}  # type: ignore[attr-defined]
    assert {"troops-by-location", "actor-statements"} <= offered
    # not the queries kg answers those with (their day paths): no question of their own
    assert not offered & {"actor-days", "location-days", "troops-by-location-on-days", "actor-statements-on-days"}

    driver.find_element(By.ID, "search").send_keys("Selenskyj")  # type: ignore[attr-defined]
    hit = wait_for(driver, "#suggestions a")[0]
    assert "Zelensky" in hit.text and hit.get_attribute("href").endswith("/entities/zelensky")  # type: ignore[attr-defined]

    driver.find_element(By.CSS_SELECTOR, "#q-troops-by-location summary").click()  # type: ignore[attr-defined]
    form = driver.find_element(By.CSS_SELECTOR, 'form[data-query="troops-by-location"]')  # type: ignore[attr-defined]
    form.find_element(By.NAME, "location").send_keys("Kursk")
    form.find_element(By.CSS_SELECTOR, "button").click()
    rows = wait_for(driver, "#q-troops-by-location table tbody tr")
    assert any("North Korea" in r.text for r in rows)
    header = driver.find_element(By.XPATH, '//*[@id="q-troops-by-location"]//th[text()="deployer"]')  # type: ignore[attr-defined]
    header.click()
    assert header.get_attribute("data-sort") == "asc"
    links = {a.text: a.get_attribute("href") for a in form.find_elements(By.CSS_SELECTOR, ".downloads a")}
    assert links["CSV"].endswith("/queries/troops-by-location.csv?location=Kursk")
    assert links["JSON"].endswith("/queries/troops-by-location?location=Kursk")
    assert errors(driver) == []


def test_query_editor_runs_a_query_and_shows_rows(server: LiveServer, browser: object) -> None:
    driver = browser
    driver.get(server.url + "/query")  # type: ignore[attr-defined]
    wait_for(driver, ".yasqe .CodeMirror")
    tabs = wait_for(driver, ".tabsList .tab", 3)
    assert any("Troops by location" in t.get_attribute("textContent") for t in tabs)  # type: ignore[attr-defined]
    driver.execute_script("window.kgYasgui.getTab().query()")  # type: ignore[attr-defined]
    rows = wait_for(driver, ".yasr table tbody tr")
    assert any("North Korea" in r.text for r in rows)
    assert errors(driver) == []


def test_entity_page_summary_map_plot(server: LiveServer, browser: object) -> None:
    from selenium.webdriver.common.by import By

    driver = browser
    driver.get(server.url + "/entities/north-korea")  # type: ignore[attr-defined]
    summary = wait_for(driver, "#summary tbody tr")
    assert any("Kursk" in r.text for r in summary)
    marks = driver.find_elements(By.CSS_SELECTOR, "#troops svg circle")  # type: ignore[attr-defined]
    assert marks, "the troop plot has a mark per claim that states a number"
    assert all(float(m.get_attribute("r")) > 0 and m.size["width"] > 0 for m in marks)  # drawn, not just present
    assert driver.find_elements(By.CSS_SELECTOR, "#map svg circle.place")  # type: ignore[attr-defined]
    co = [a.text for a in wait_for(driver, "#co-mentioned .co a:not([href^='/queries'])")]  # asked for once shown
    assert "Volodymyr Zelensky" in co and "North Korea" not in co
    assert all(a.startswith("/entities/") for a in (  # each names an entity page
        e.get_attribute("pathname") for e in driver.find_elements(By.CSS_SELECTOR, "#co-mentioned .co a")))  # type: ignore[attr-defined]
    claims = driver.find_elements(By.CSS_SELECTOR, "#claims article.claim mark")  # type: ignore[attr-defined]
    assert claims and all(m.text for m in claims)
    assert errors(driver) == []


def test_article_page_highlights_evidence(server: LiveServer, browser: object, seed_extraction: Extraction) -> None:
    from selenium.webdriver.common.by import By

    driver = browser
    doc_id = seed_extraction.article.id
    driver.get(f"{server.url}/articles/{quote(doc_id, safe='')}")  # type: ignore[attr-defined]
    assert seed_extraction.article.title in wait_for(driver, "h1")[0].text
    cards = driver.find_elements(By.CSS_SELECTOR, "#claims article.claim")  # type: ignore[attr-defined]
    assert len(cards) == len(seed_extraction.claims)
    links = driver.find_elements(By.CSS_SELECTOR, "#text a.evidence-link")  # type: ignore[attr-defined]
    assert links
    links[0].click()
    target = driver.execute_script("return document.querySelector(':target').id")  # type: ignore[attr-defined]
    assert target.startswith("claim-")
    exact = {c.span.text for c in seed_extraction.claims}
    marked = " ".join(m.text for m in driver.find_elements(By.CSS_SELECTOR, "#text mark"))  # type: ignore[attr-defined]
    assert all(e.split()[0] in marked for e in exact)
    assert errors(driver) == []


# --- without a browser: negotiation, downloads, escaping ------------------------------------------------


def test_negotiation_keeps_json_for_scripts(server: LiveServer, seed_extraction: Extraction) -> None:
    with server.client() as client:
        home = client.get("/")
        assert home.headers["content-type"].startswith("application/json")
        assert home.json()["counts"]["articles"] == 1
        offered = {q["name"] for q in home.json()["queries"]}
        assert {"troops-by-location", "actor-statements"} <= offered and "export-claims" not in offered
        published = seed_extraction.article.published.isoformat()  # type: ignore[union-attr]
        assert home.json()["dates"] == {"first": published, "last": published, "undated": 0}
        assert client.get("/", headers={"Accept": "text/html"}).text.lstrip().startswith("<!doctype html>")
        entity = client.get("/entities/north-korea", headers={"Accept": "application/json"})
        assert entity.json()["id"] == "north-korea"
        page = client.get("/entities/north-korea", headers={"Accept": "text/html,*/*;q=0.8"})
        assert page.headers["content-type"].startswith("text/html") and 'id="summary"' in page.text
        turtle = client.get("/entities/north-korea", headers={"Accept": "text/turtle"})
        assert turtle.headers["content-type"].startswith("text/turtle")
        csv = client.get("/queries/troops-by-location.csv", params={"location": "Kursk"})
        assert csv.headers["content-type"].startswith("text/csv")
        assert csv.text.splitlines()[0].startswith("claim,deployer,place") and "North Korea" in csv.text
        assert client.get("/static/..%2Fpages.py").status_code == 404
        assert client.get("/static/yasgui.min.js").headers["content-type"].startswith("text/javascript")
        missing = client.get("/entities/north-koria", headers={"Accept": "text/html"})
        assert missing.status_code == 404 and 'href="/entities/north-korea"' in missing.text  # did you mean
        assert client.get("/entities/north-koria").json()["error"] == "NotFound"
        assert client.get("/articles/no-such-article", headers={"Accept": "text/html"}).status_code == 404


def test_entity_claims_come_in_pages(server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    import kg.api.pages

    monkeypatch.setattr(kg.api.pages, "CLAIMS_PER_PAGE", 4)
    html = {"Accept": "text/html"}
    with server.client() as client:
        data = client.get("/entities/zelensky").json()
        total = len(data["statements"]) + len(data["deployments"])
        assert total > 4
        pages = -(-total // 4)
        first = client.get("/entities/zelensky", headers=html).text
        last = client.get("/entities/zelensky", params={"page": pages}, headers=html).text
    assert first.count('<article class="claim') == 4 and f"page 1 of {pages}" in first and 'rel="next"' in first
    assert last.count('<article class="claim') == total - 4 * (pages - 1) and 'rel="next"' not in last


def test_wants_html_follows_q_values() -> None:
    assert wants_html("text/html")
    assert not wants_html("text/html;q=0.4, application/json;q=0.9")
    assert not wants_html(None)


def test_templates_escape_what_the_store_holds() -> None:
    hostile = "<script>alert(1)</script>"
    claim = {
        "kind": "statement", "certainty": "asserted", "claimants": [], "outlet": None, "claim": "c",
        "statement": {"speaker": {"id": "x", "label": hostile}, "date": None, "place": None},
        "evidence": {"exact": hostile, "prefix": "", "suffix": "", "start": 0, "end": len(hostile)},
        "article": {"id": "a"},
    }
    data = {"id": "a", "headline": hostile, "claims": [claim], "notes": [], "published": None}
    html = render("article.html", data=data, pieces=article_text(data), range=str).body.decode()
    assert hostile not in html and "&lt;script&gt;" in html
    assert "no outlet" in html


def test_entity_page_shows_the_latest_claims_and_walks_to_older_ones(
    server: LiveServer, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A big entity's page reads a window of its claims, the latest first; its summary says which claims it
    is drawn from, and the "older claims" links (a cursor) walk every claim once, newest to oldest, as the
    JSON page ordered newest first lists them; the "newer claims" links walk them back, a window at a time."""
    import re
    from html import unescape

    import kg.api.pages

    monkeypatch.setattr(kg.api.pages, "CLAIMS_WINDOW", 3)
    html = {"Accept": "text/html"}
    with server.client() as client:
        data = client.get("/entities/zelensky", params={"order": "newest", "limit": 1000}).json()
        claims = data["deployments"] + data["statements"]  # each list in page order, newest first
        for kind in ("deployments", "statements"):
            keys = [(c["article"].get("published") or "", c["claim"]) for c in data[kind]]
            assert keys == sorted(keys, reverse=True)
        want = [c["claim"] for c in sorted(claims, key=lambda c: (c["article"].get("published") or "", c["claim"]),
                                           reverse=True)]
        assert len(want) > 3 and data["next"] is None
        seen: list[str] = []
        params: dict[str, str] = {}
        for _ in range(len(want)):
            page = client.get("/entities/zelensky", params=params, headers=html).text
            shown = re.findall(r'<article class="claim[^"]*" data-claim="([^"]+)"', page)
            seen += [unescape(s) for s in shown]
            older = re.search(r'<a href="\?after=([^"#]+)#claims" rel="next">older claims', page)
            if params:
                assert 'rel="first">⇤ the latest claims' in page
            if older is None:
                assert "the oldest" in page
                break
            assert "From " in page and "older claims are on" in page
            params = {"after": unquote(unescape(older.group(1)))}
        assert seen == want

        # and back, from the oldest window, one window newer at a time (the "newer claims" links), to the latest
        back = [unescape(s) for s in re.findall(r'<article class="claim[^"]*" data-claim="([^"]+)"', page)]
        for _ in range(len(want)):
            newer = re.search(r'<a href="\?before=([^"#]+)#claims" rel="prev">← newer claims', page)
            if newer is None:
                assert "the latest claims" not in page and 'rel="first"' not in page
                break
            page = client.get("/entities/zelensky", params={"before": unquote(unescape(newer.group(1)))},
                              headers=html).text
            shown = [unescape(s) for s in re.findall(r'<article class="claim[^"]*" data-claim="([^"]+)"', page)]
            assert 0 < len(shown) <= 3 and shown == want[want.index(shown[0]):want.index(shown[0]) + len(shown)]
            back = shown + back
        assert back == want
        both = client.get("/entities/zelensky", params={"after": want[0], "before": want[-1]}, headers=html)
        assert both.status_code == 400, both.text
