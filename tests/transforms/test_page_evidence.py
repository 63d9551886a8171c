"""Fields read the way pages are written: structured data first, visible evidence checked
against it, nothing taken from captions, hidden elements or footers.

One small page per defect class, written here (no text copied from anywhere).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from transforms import Article, extract

CAPTURED = datetime(2021, 6, 1, 12, 0, tzinfo=UTC)
BODY = [
    "The harbour board of Lornmouth voted on Tuesday to close the north quay to heavy lorries, after divers found cracks in the old stone wall below the waterline.",
    "Fishing crews said the closure would add an hour to every landing, since catches will now be carried round by the south road to the market hall.",
    "The board's engineer told members that repairs could start in the autumn if the county grant arrives in time, and that the quay would stay open to foot traffic.",
    "A public meeting on the plans is set for the first week of next month in the lifeboat station, the only room in town large enough for the expected crowd.",
]


def page(
    head: str = "", body: str = "", title: str = "Quay closed to lorries | Lornmouth Post", lang: str = "en"
) -> str:
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>{head}</head>'
        f"<body>{body}</body></html>"
    )


def paragraphs(items=BODY) -> str:
    return "".join(f"<p>{p}</p>" for p in items)


def ld(data: dict) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def article(html: str | bytes, url: str = "https://www.lornmouth-post.example/news/quay-closed", **kwargs) -> Article:
    result = extract(html, url, captured_at=CAPTURED, **kwargs)
    assert isinstance(result, Article), result
    return result


def day(result: Article):
    return result.published_at.date() if result.published_at else None


# --- dates ---------------------------------------------------------------------------------


def test_declared_published_date_wins_over_a_shown_update_date():
    # JSON-LD and article:published_time say March; the page shows only "Updated ..." in May.
    html = page(
        head=ld(
            {
                "@type": "NewsArticle",
                "headline": "Quay closed to lorries",
                "datePublished": "2020-03-10T08:00:00Z",
                "dateModified": "2021-05-02T09:00:00Z",
            }
        )
        + '<meta property="article:published_time" content="2020-03-10T08:00:00Z">',
        body="<article><h1>Quay closed to lorries</h1><p class='meta'>Updated May 2, 2021</p>"
        + paragraphs()
        + "</article>",
    )
    result = article(html)
    assert day(result) == datetime(2020, 3, 10).date()
    assert result.modified_at is not None and result.modified_at.date() == datetime(2021, 5, 2).date()


def test_update_label_with_a_time_before_the_date_is_still_an_update():
    # "Updated 10:04 AM EDT, Tue May 2, 2021": the label, then a time, then the date
    html = page(
        head=ld({"@type": "NewsArticle", "headline": "Quay closed to lorries", "datePublished": "2021-05-01T17:00:00Z"})
        + '<meta property="article:modified_time" content="2021-05-02T14:04:00Z">',
        body="<article><h1>Quay closed to lorries</h1><p>Updated 10:04 AM EDT, Sun May 2, 2021</p>"
        + paragraphs()
        + "</article>",
    )
    assert day(article(html)) == datetime(2021, 5, 1).date()


def test_shown_update_line_is_not_read_as_the_publication_date():
    # no structured date: "Updated" line near the headline, the publication line below it
    html = page(
        body="<article><h1>Quay closed to lorries</h1><p>Updated: April 20, 2021</p><p>Published: March 10, 2020</p>"
        + paragraphs()
        + "</article>"
    )
    assert day(article(html)) == datetime(2020, 3, 10).date()


def test_date_in_a_photo_caption_is_not_the_publication_date():
    html = page(
        body="<article><h1>Quay closed to lorries</h1>"
        "<figure><img src='q.jpg'><figcaption>The north quay, March 2, 2011.</figcaption></figure>"
        "<p>In this March 2, 2011 file photo, a lorry waits on the north quay.</p>" + paragraphs() + "</article>"
    )
    result = article(html)
    assert day(result) != datetime(2011, 3, 2).date()


def test_time_element_inside_a_caption_or_hidden_block_is_ignored():
    html = page(
        body="<article><h1>Quay closed to lorries</h1>"
        "<figure><figcaption>Photo <time datetime='2011-03-02'>2 March 2011</time></figcaption></figure>"
        "<div style='display: none'><time datetime='2012-07-07'>7 July 2012</time></div>"
        "<div hidden><p>Published July 8, 2012</p></div>" + paragraphs() + "</article>"
    )
    result = article(html)
    assert day(result) not in (datetime(2011, 3, 2).date(), datetime(2012, 7, 7).date(), datetime(2012, 7, 8).date())


def test_copyright_year_is_not_a_timestamp():
    html = page(
        body="<article><h1>Quay closed to lorries</h1>" + paragraphs() + "</article>"
        "<footer><p>© 2019 Lornmouth Post. All rights reserved.</p></footer>"
    )
    result = article(html)
    assert result.published_at is None
    assert result.date_source is None


def test_url_date_with_a_section_between_year_and_month():
    html = page(body="<article><h1>Quay closed to lorries</h1>" + paragraphs() + "</article>")
    result = article(html, url="https://www.lornmouth-post.example/2010/POLITICS/08/13/quay.closed/index.html")
    assert day(result) == datetime(2010, 8, 13).date()
    assert result.date_source == "url"


@pytest.mark.parametrize(
    "declared, start, precision",
    [
        ("2020-03", datetime(2020, 3, 1, tzinfo=UTC), "month"),  # ISO year and month
        ("March 2020", datetime(2020, 3, 1, tzinfo=UTC), "month"),  # a month written out
        ("2020", datetime(2020, 1, 1, tzinfo=UTC), "year"),  # a year alone
    ],
)
def test_a_date_known_only_to_the_month_or_year_is_not_stored_as_a_day(declared, start, precision):
    # A month- or year-precision date is stored as the start of its period with that
    # precision (published_precision), never as a day.
    html = page(
        head=f'<meta property="article:published_time" content="{declared}">',
        body="<article><h1>Quay closed to lorries</h1>" + paragraphs() + "</article>",
    )
    result = article(html)
    assert (result.published_at, result.published_precision) == (start, precision)


# --- decoding ------------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["text/html; charset=utf-8", None])
def test_one_invalid_byte_in_a_utf8_page_replaces_only_that_byte(content_type):
    # declared UTF-8 in the header and the meta; one stray Windows-1252 byte in the middle
    text = BODY[:]
    text[1] = (
        "Fishing crews — all of them from Sørvik — said the closure would add an hour to every landing, a cost the café owners share."
    )
    html = page(body="<article><h1>Quay closed to lorries</h1>" + paragraphs(text) + "</article>").encode("utf-8")
    html = html.replace(b"an hour", b"an \x93hour")
    result = article(html, content_type=content_type)
    assert "Sørvik" in result.text and "café" in result.text and "—" in result.text
    assert "Ã" not in result.text and "â€" not in result.text
    assert result.text.count("\ufffd") == 1


# --- bylines -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, names",
    [
        # a month abbreviation split off a dated byline, or left on the name
        (["Aug.", "Nov"], ()),
        (["By Maren Tulloch Aug. 5, 2020"], ("Maren Tulloch",)),
        # interface words next to the byline: "Last" of "Last Updated", "Sign In", attribute texts
        (["Last"], ()),
        (["Sign In"], ()),
        (["version", "label"], ()),
        (["Account You're logged in"], ()),
        # the newsroom as a byline ("Redacción", "Rédaction") is not a person
        (["Redacción", "Rédaction"], ()),
        # a Twitter handle or CMS login listed next to the real name is the same person
        (["Maren Tulloch", "mtulloch"], ("Maren Tulloch",)),
        (["Maren Tulloch", "@MarenT"], ("Maren Tulloch",)),
        (["Maren Tulloch", "marentulloch"], ("Maren Tulloch",)),
        # ... but a login alone is the only identity the page gives
        (["mtulloch42"], ("mtulloch42",)),
        # the outlet's name, written without its article
        (["Lornmouth Post"], ()),
        # East Asian byline labels written without a space, and role words after the name
        (["作者：王小明"], ("王小明",)),
        (["记者 李华"], ("李华",)),
        (["홍길동 기자"], ("홍길동",)),
        # month names that are first names stay names
        (["April Stroud", "June Okafor"], ("April Stroud", "June Okafor")),
    ],
)
def test_byline_parts_that_are_not_people_are_dropped(raw, names):
    from transforms.authors import clean_authors

    assert clean_authors(raw, ("The Lornmouth Post", "lornmouth-post.example")) == names


def test_next_to_a_person_the_outlet_spelled_like_its_domain_is_dropped():
    # "USA TODAY"-style credit on a domain that runs the words together; alone it may be a blog's owner
    outlets = ("Coastwire", "coastwire.example")
    assert clean_authors_of(["Maren Tulloch", "COAST WIRE"], outlets) == ("Maren Tulloch",)
    assert clean_authors_of(["Coast Wire"], outlets) == ("Coast Wire",)


def clean_authors_of(raw, outlets):
    from transforms.authors import clean_authors

    return clean_authors(raw, outlets)


def test_byline_on_a_page_with_an_update_label_and_sign_in_link():
    html = page(
        head='<meta name="author" content="Maren Tulloch">',
        body="<header><a href='/login'>Sign In</a></header><article><h1>Quay closed to lorries</h1>"
        "<div class='byline'>By Maren Tulloch · Last Updated Aug. 5, 2020</div>" + paragraphs() + "</article>",
    )
    assert article(html).authors == ("Maren Tulloch",)


# --- titles --------------------------------------------------------------------------------


def test_character_references_in_a_json_ld_headline_are_decoded():
    headline = "Harbour board&#58; the quay&#8217;s wall &amp; its cracks"
    html = page(
        head=ld(
            {"@type": "NewsArticle", "headline": headline, "author": {"@type": "Person", "name": "Ros&#233; Varga"}}
        ),
        body="<article>" + paragraphs() + "</article>",
        title="Harbour board",
    )
    result = article(html)
    assert result.title == "Harbour board: the quay’s wall & its cracks"
    assert result.authors == ("Rosé Varga",)


@pytest.mark.parametrize("interface_heading", ["기사 상세", "Blogs", "Local news"])
def test_an_interface_h1_loses_to_the_headline_the_declarations_agree_on(interface_heading):
    headline = "Harbour board closes the north quay to heavy lorries"
    html = page(
        head=ld({"@type": "NewsArticle", "headline": headline}) + f'<meta property="og:title" content="{headline}">',
        body=f"<div class='top'><h1>{interface_heading}</h1></div><article><h2>{headline}</h2>"
        + paragraphs()
        + "</article>",
        title=f"{headline} | Lornmouth Post",
    )
    assert article(html).title == headline


def test_a_lone_h1_still_wins_over_an_seo_variant_of_the_title():
    # the declared titles differ from the shown headline only in wording: the page's <h1> is the headline
    html = page(
        head='<meta property="og:title" content="Quay closed to lorries after cracks found">',
        body="<article><h1>Lorries barred from the north quay as cracks appear</h1>" + paragraphs() + "</article>",
        title="Quay closed to lorries after cracks found | Lornmouth Post",
    )
    assert article(html).title == "Lorries barred from the north quay as cracks appear"


# --- structure -----------------------------------------------------------------------------


def _paragraphs_of(html: str) -> list[str]:
    return article(html).text.split("\n\n")


def test_list_items_without_full_stops_stay_apart():
    items = [
        "Harbour board, north quay, closed to lorries from Monday",
        "Fishing crews, south road, an extra hour per landing",
        "County grant, autumn repairs, decision in September",
    ]
    html = page(
        body="<article><h1>Quay closed to lorries</h1>"
        + paragraphs(BODY[:2])
        + "<ul>"
        + "".join(f"<li>{item}</li>" for item in items)
        + "</ul>"
        + paragraphs(BODY[2:])
        + "</article>"
    )
    text = _paragraphs_of(html)
    for item in items:
        assert any(p.lstrip("-• ") == item for p in text), item


def test_a_subheading_after_an_open_paragraph_stays_apart():
    # the paragraph before the subheading lacks its final full stop; the subheading starts a block of its own
    open_paragraph = "The board met for three hours. Members agreed that the wall had to be repaired before winter"
    html = page(
        body="<article><h1>Quay closed to lorries</h1>"
        + paragraphs(BODY[:2])
        + f"<p>{open_paragraph}</p><h2>costs and the county grant</h2>"
        + paragraphs(BODY[2:])
        + "</article>"
    )
    text = _paragraphs_of(html)
    assert open_paragraph in text
    assert "costs and the county grant" in text


def test_a_dateline_stays_apart_from_the_next_paragraph():
    html = page(
        body="<article><h1>Quay closed to lorries</h1>"
        "<p>A standfirst that runs for a while before the story. Lorries barred from the north quay</p>"
        "<p>LORNMOUTH (Coast Wire) — The harbour board voted on Tuesday to close the north quay.</p>"
        + paragraphs(BODY[1:])
        + "</article>"
    )
    text = _paragraphs_of(html)
    assert any(p.startswith("LORNMOUTH (Coast Wire) —") for p in text)


def test_a_sentence_broken_across_two_paragraphs_is_still_joined():
    # the seed's case: a paragraph stopping mid-sentence, its tail in the next <p>
    html = page(
        body="<article><h1>Quay closed to lorries</h1>"
        "<p>The harbour board of Lornmouth voted on Tuesday to close the north quay to heavy lorries at the</p>"
        "<p>meeting.</p>" + paragraphs(BODY[1:]) + "</article>"
    )
    assert _paragraphs_of(html)[0].endswith("to heavy lorries at the meeting.")


# --- not articles --------------------------------------------------------------------------

PRODUCT_TEXT = [
    "The Lornmouth harbour lantern is cast in solid brass and finished by hand in our workshop on the south quay.",
    "Each lantern holds a standard candle or a small electric bulb and stands thirty centimetres tall with its handle folded.",
    "Delivery within the county takes three working days; orders from further afield are sent by tracked post within a week.",
]


@pytest.mark.parametrize(
    "head, body_extra, reason_word",
    [
        # schema.org Product with an Offer
        (
            ld({"@type": "Product", "name": "Harbour lantern", "offers": {"@type": "Offer", "price": "49.00"}}),
            "",
            "product",
        ),
        # OpenGraph product price metadata
        (
            '<meta property="og:type" content="product"><meta property="product:price:amount" content="49.00">',
            "",
            "product",
        ),
    ],
)
def test_shop_pages_are_rejected_with_a_reason(head, body_extra, reason_word):
    # (the page-level microdata case is below: its heading inside the Product item)
    html = page(head=head, body="<main><h1>Harbour lantern</h1>" + paragraphs(PRODUCT_TEXT) + body_extra + "</main>")
    result = extract(html, "https://shop.lornmouth-post.example/lanterns/harbour", captured_at=CAPTURED)
    assert not isinstance(result, Article)
    assert result.reason == "not_article" and reason_word in result.detail


@pytest.mark.parametrize("heading", ["Tag: north quay", "Category Archives: Harbour", "Schlagwort: Hafen"])
def test_tag_and_category_listings_are_rejected(heading):
    html = page(body=f"<main><h1>{heading}</h1>" + paragraphs() + "</main>", title=f"{heading} | Lornmouth Post")
    result = extract(html, "https://www.lornmouth-post.example/tag/north-quay/", captured_at=CAPTURED)
    assert not isinstance(result, Article)
    assert result.reason == "not_article" and "listing" in result.detail


def test_an_article_that_mentions_prices_and_tags_is_kept():
    # a news article with its own JSON-LD, a price in the text and a "Tags:" line stays an article
    html = page(
        head=ld({"@type": "NewsArticle", "headline": "Quay closed to lorries"}),
        body="<article><h1>Quay closed to lorries</h1>"
        + paragraphs(BODY + ["Parking on the quay will cost £4.50 a day while the work goes on."])
        + "<p>Tags: harbour, quay</p></article>",
    )
    assert isinstance(
        extract(html, "https://www.lornmouth-post.example/news/quay-closed", captured_at=CAPTURED), Article
    )


def test_a_product_item_holding_the_page_heading_and_a_cart_button_is_a_shop_page():
    html = page(
        body='<main itemscope itemtype="https://schema.org/Product"><h1 itemprop="name">Harbour lantern</h1>'
        + paragraphs(PRODUCT_TEXT)
        + '<span itemprop="price">49.00</span><button type="submit">Add to cart</button></main>'
    )
    result = extract(html, "https://shop.lornmouth-post.example/lanterns/harbour", captured_at=CAPTURED)
    assert not isinstance(result, Article) and result.reason == "not_article"


def test_a_deals_article_with_embedded_products_and_buy_buttons_is_kept():
    products = "".join(
        f'<div itemscope itemtype="https://schema.org/Product"><h3 itemprop="name">Lantern {n}</h3>'
        f'<span class="price">£{n}9.00</span><button>Buy now</button></div>'
        for n in range(1, 4)
    )
    html = page(body="<article><h1>Quay closed to lorries</h1>" + paragraphs() + products + "</article>")
    assert isinstance(article(html), Article)


def test_a_written_by_line_in_the_body_names_the_author_and_leaves_the_text():
    # the only byline is a line of the body ("Written by: ..."); the page's own name is no author
    html = page(
        head='<meta name="author" content="Lornmouth Post"><meta property="og:site_name" content="Lornmouth Post">',
        body="<article><h1>Quay closed to lorries</h1><p>Written by: Maren Tulloch</p>" + paragraphs() + "</article>",
    )
    result = article(html)
    assert result.authors == ("Maren Tulloch",)
    assert "Written by" not in result.text


def test_a_json_ld_author_given_by_reference_is_resolved_in_the_graph():
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {
                "@type": "NewsArticle",
                "headline": "Quay closed to lorries",
                "author": {"@id": "https://x.example/#maren"},
            },
            {"@type": "Person", "@id": "https://x.example/#maren", "name": "Maren Tulloch"},
        ],
    }
    html = page(head=ld(graph), body="<article><h1>Quay closed to lorries</h1>" + paragraphs() + "</article>")
    assert article(html).authors == ("Maren Tulloch",)


def test_the_owner_of_a_personal_site_typed_person_and_organization_is_the_author():
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": ["Person", "Organization"], "@id": "https://maren.example/#me", "name": "Maren Tulloch"},
            {
                "@type": "BlogPosting",
                "headline": "Quay closed to lorries",
                "author": {"@id": "https://maren.example/#me"},
                "publisher": {"@id": "https://maren.example/#me"},
            },
        ],
    }
    html = page(head=ld(graph), body="<article><h1>Quay closed to lorries</h1>" + paragraphs() + "</article>")
    assert article(html, url="https://maren.example/2021/05/quay").authors == ("Maren Tulloch",)


def test_the_first_author_profile_link_that_is_a_name_is_taken():
    html = page(
        body="<nav><a href='/about/newsteam/'>Newsroom Staff Bios</a></nav><article><h1>Quay closed to lorries</h1>"
        "<div><a href='/about/newsteam/m-tulloch'>M.J. Tulloch</a></div>" + paragraphs() + "</article>"
    )
    assert article(html).authors == ("M.J. Tulloch",)


# --- outlet names --------------------------------------------------------------------------


def test_a_web_agency_credited_in_json_ld_is_not_the_outlet():
    html = page(
        head='<meta property="og:site_name" content="Lornmouth Post">'
        + ld({"@type": "Organization", "name": "Pixelworks Web Design", "url": "https://pixelworks.example/"}),
        body="<article><h1>Quay closed to lorries</h1>"
        + paragraphs()
        + "</article><footer>Website by Pixelworks</footer>",
    )
    assert article(html).publication == "Lornmouth Post"
