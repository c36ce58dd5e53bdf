"""An entity page reads as a reference work: its facts name the specific property once, in words,
with dates at their precision in the reader's language and no datatypes; everything RDF has
stays one click away, under "All statements".

The fixture's Shenzhen zone (tests/data/web) states its approval date (14 October 2019), nine
focus areas and the sector artificial intelligence; the build entails pilot:date from the
approval date and pilot:sector from each focus area.
"""

from __future__ import annotations

import re
from html import unescape

import httpx
import pyoxigraph as ox
import pytest

from pilotkg.web.readable import amount, language_name, readable
from support.web import LiveServer

pytest_plugins = ["support.web_fixtures"]  # the shared fixtures: live_server


def _facts(page: str) -> dict[str, list[str]]:
    """The facts tables (the infobox and "More facts"): each row's heading and its values as text."""
    tables = re.findall(r'<table class="properties facts[^"]*">(.*?)</table>', page, re.S)
    assert tables, "no facts table"
    rows = {}
    for th, td in re.findall(r"<tr><th>(.*?)</th>\s*<td>(.*?)</td></tr>", "".join(tables), re.S):
        values = re.findall(r"<li>(.*?)</li>", td, re.S)
        text = [unescape(re.sub(r"<sup.*?</sup>|<[^>]+>", "", v)).strip() for v in values]
        rows[unescape(re.sub(r"<[^>]+>", "", th)).strip()] = text
    return rows


@pytest.mark.parametrize(("lang", "date"), [("en", "14 October 2019"), ("zh", "2019年10月14日")])
def test_dates_read_in_the_readers_language_without_datatypes(
    live_server: LiveServer, lang: str, date: str
) -> None:
    page = httpx.get(f"{live_server.url}/id/zone/shenzhen?lang={lang}", timeout=10).text
    facts = _facts(page)
    dated = [values for values in facts.values() if date in values]
    assert dated, f"no fact reads {date!r}: {facts}"
    tables = "".join(re.findall(r'<table class="properties facts[^"]*">(.*?)</table>', page, re.S))
    assert tables and "xsd:" not in tables and "@en" not in tables


def test_entailed_super_properties_do_not_repeat_the_specific_ones(live_server: LiveServer) -> None:
    facts = _facts(httpx.get(f"{live_server.url}/id/zone/shenzhen?lang=en", timeout=10).text)
    # not the nine focus areas again (the fixture has no label for the sector: its compact IRI)
    assert facts["sector"] == ["sector:artificial-intelligence"]
    assert len(facts["focus area"]) == 9
    assert "date" not in facts, "the approval date is not repeated as a bare date"
    for shown_apart in ("type", "label", "comment", "derived from"):
        assert not any(shown_apart in heading for heading in facts), facts.keys()


def test_every_statement_is_still_one_click_away(live_server: LiveServer) -> None:
    page = httpx.get(f"{live_server.url}/id/zone/shenzhen?lang=en", timeout=10).text
    details = re.search(r'<details class="all-statements">(.*?)</details>', page, re.S)
    assert details is not None
    assert "pilot:date" in details.group(1) and "xsd:date" in details.group(1)


def test_links_to_an_entity_read_as_arrows_not_inverse_phrases(live_server: LiveServer) -> None:
    page = httpx.get(f"{live_server.url}/id/region/shenzhen?lang=en", timeout=10).text
    incoming = re.search(r'<table class="properties incoming">(.*?)</table>', page, re.S)
    assert incoming is not None
    headings = re.findall(r"<th>(.*?)</th>", incoming.group(1), re.S)
    assert headings and all("←" in h and " of" not in h for h in headings), headings


XSD = "http://www.w3.org/2001/XMLSchema#"


@pytest.mark.parametrize(
    ("value", "datatype", "en", "zh"),
    [
        ("2022-09", "gYearMonth", "September 2022", "2022年9月"),
        ("2019", "gYear", "2019", "2019年"),
        ("1716000000", "decimal", "1,716,000,000", "1,716,000,000"),
        ("2019-13", "gYearMonth", "2019-13", "2019-13"),  # not a month: its lexical form
    ],
)
def test_dates_keep_their_precision_and_numbers_are_grouped(
    value: str, datatype: str, en: str, zh: str
) -> None:
    literal = ox.Literal(value, datatype=ox.NamedNode(XSD + datatype))
    assert (readable(literal, "en"), readable(literal, "zh")) == (en, zh)


CNY = "http://qudt.org/vocab/currency/CNY"
UNIT = "http://qudt.org/vocab/unit/"


@pytest.mark.parametrize(
    ("value", "unit", "en", "zh"),
    [
        # data/bases.ttl: the Beijing healthcare base's 1.716 bn yuan (HIT180: 17.16亿元)
        ("1716000000", CNY, "CNY 1.716 billion", "17.16亿元"),
        ("1234567", CNY, "CNY 1.234567 million", "123.4567万元"),  # scaled, never rounded
        ("5000", CNY, "CNY 5,000", "5,000元"),
        ("40", UNIT + "PERCENT", "40%", "40%"),
        ("11", UNIT + "NUM", "11", "11"),
        ("4500", UNIT + "PetaFLOPS", "4,500 PFLOPS", "4,500 PFLOPS"),
        ("7", "http://example.org/unknown-unit", "7", "7"),
    ],
)
def test_a_figure_reads_with_its_unit_around_the_number(
    value: str, unit: str, en: str, zh: str
) -> None:
    literal = ox.Literal(value, datatype=ox.NamedNode(XSD + "decimal"))
    assert (amount(literal, unit, "en"), amount(literal, unit, "zh")) == (en, zh)


def test_a_language_reads_by_its_name() -> None:
    assert (language_name("zh", "en"), language_name("zh", "zh")) == ("Chinese", "中文")
    assert language_name("not-a-tag", "en") == "not-a-tag"
