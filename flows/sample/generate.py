"""Write the bundled sample archive: a gzipped WARC of synthetic news captures plus its ground truth.

The archive exists so the pipeline can run end to end offline and so extraction can be scored
against known answers. Every page is generated here from sentence templates about fictional
places and people; nothing is copied from real sites. Four fictional outlets each have their own
HTML template and the quirks real news sites have (JSON-LD in several shapes, OpenGraph and
<meta> tags that disagree with it, bylines in many forms, dates in several formats and time
zones, site-name suffixes, boilerplate around the body, paragraphs split mid-sentence,
non-UTF-8 charsets declared in different places). Non-article captures (section indexes, a home
page, a 404, an image) and repeated captures of the same URL are mixed in.

The output is byte-identical across runs: a seeded random generator, no clock, fixed WARC
record ids and dates, and gzip members written by zlib (whose gzip header carries mtime 0).

Usage: python -m flows.sample.generate [OUTPUT_DIR]   (default: this folder)
"""

from __future__ import annotations

import html
import io
import json
import random
import sys
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

from warcio.warcwriter import WARCWriter

SEED = 20240304
WARC_FILENAME = "archive.warc.gz"
EXPECTED_FILENAME = "expected.json"
ARTICLES_PER_OUTLET = 17
# Namespace for deterministic WARC-Record-IDs (uuid5 of the record's position and URI).
RECORD_ID_NAMESPACE = uuid.UUID("6f1d3c2e-8a4b-4c7d-9e21-5b0a7f3d9c11")

UTC = UTC


# ---------------------------------------------------------------------------------------------
# Time zones: hand-written rules (no tzdata dependency, so output never depends on the machine).
# Publish hours are kept between 06:00 and 22:00 local, far from the switch instants, so a
# day-level rule is exact for every generated timestamp.


def _last_sunday(year: int, month: int) -> date:
    day = date(year, month + 1, 1) - timedelta(days=1) if month < 12 else date(year, 12, 31)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def _nth_sunday(year: int, month: int, n: int) -> date:
    first = date(year, month, 1)
    first_sunday = first + timedelta(days=(6 - first.weekday()) % 7)
    return first_sunday + timedelta(weeks=n - 1)


def _eu_summer(day: date) -> bool:
    return _last_sunday(day.year, 3) <= day < _last_sunday(day.year, 10)


def london_offset(day: date) -> int:
    return 60 if _eu_summer(day) else 0


def berlin_offset(day: date) -> int:
    return 120 if _eu_summer(day) else 60


def new_york_offset(day: date) -> int:
    summer = _nth_sunday(day.year, 3, 2) <= day < _nth_sunday(day.year, 11, 1)
    return -240 if summer else -300


def moscow_offset(day: date) -> int:
    if day >= date(2014, 10, 26):
        return 180
    if day >= date(2011, 3, 27):
        return 240
    return 240 if _eu_summer(day) else 180


def local_time(instant: datetime, offset_minutes: int) -> datetime:
    return instant.astimezone(timezone(timedelta(minutes=offset_minutes)))


def iso_utc(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_offset(instant: datetime, offset_minutes: int) -> str:
    return local_time(instant, offset_minutes).isoformat()


# ---------------------------------------------------------------------------------------------
# Vocabularies (all fictional).

EN_PLACES = [
    "Port Elvery",
    "Marlow Reach",
    "Dunmere",
    "Kestlebridge",
    "Ashcombe Vale",
    "Greyhaven",
    "Tollstead",
    "Brannock Bay",
    "Wrenfield",
    "Halloway Cross",
    "Saltmarsh End",
    "Colbury",
]
EN_FIRST = [
    "Jane",
    "John",
    "Harriet",
    "Owen",
    "Priya",
    "Tomasz",
    "Eleanor",
    "Callum",
    "Nadia",
    "Rhys",
    "Imogen",
    "Felix",
    "Maeve",
    "Desmond",
    "Ruth",
    "Ansel",
    "Zoë",
    "Björn",
]
EN_LAST = [
    "Doe",
    "Roe",
    "Pennock",
    "Ashdown",
    "Varga",
    "Okafor",
    "Lindqvist",
    "Marchbank",
    "Tull",
    "Fairweather",
    "Quayle",
    "Hollis",
    "Brennan",
    "Castellan",
    "Wickham",
    "Orme",
]
EN_ROLES = [
    "council leader",
    "harbour master",
    "head teacher",
    "local shopkeeper",
    "parish clerk",
    "chair of the residents' association",
    "county engineer",
    "volunteer coordinator",
]
EN_TOPICS = [
    # (headline template, subject noun phrase, section)
    ("{place} council approves budget for {year}", "the budget for {year}", "politics"),
    ("Harbour dredging in {place} delayed until spring", "the dredging works", "local"),
    ("Flood defences for {place} to cost £{million}m", "the new flood wall", "local"),
    ("{place} school merger goes ahead despite objections", "the school merger", "education"),
    ("Rail line to {place} reopens after {number} years", "the reopened rail line", "transport"),
    ("Ferry timetable cut leaves {place} islanders stranded", "the winter ferry timetable", "transport"),
    ("{place} library saved by volunteers", "the volunteer-run library", "local"),
    ("Wind farm off {place} wins planning consent", "the offshore wind farm", "business"),
    ("{place} Rovers promoted after {number}-year wait", "the club's promotion", "sport"),
    ("Fish market in {place} to close after {number} years", "the closure of the fish market", "business"),
    ("{place} festival draws record crowd of {thousands},000", "the summer festival", "culture"),
    ("Bus fares in {place} to rise by {number} per cent", "the fare increase", "transport"),
]
EN_SENTENCES = [
    "Councillors in {place} voted {votes_for} to {votes_against} in favour of {subject} on {weekday} evening.",
    "{person}, the {role}, said the decision had been \u201clong overdue\u201d and thanked residents for their patience.",
    "Opponents argued that {subject} would place an unfair burden on families in {other_place}.",
    "The plans were first put forward in {prev_year}, when a public consultation drew more than {hundreds}00 responses.",
    "According to figures published by the council, the cost of {subject} has risen by roughly a third since then.",
    "\u201cWe have listened carefully, and we think this is the right balance,\u201d said {person}.",
    "Traders on the quayside said they were cautiously optimistic about {subject}.",
    "A spokesperson for the regional authority said further details would be released in the coming weeks.",
    "{person} told the meeting that {other_place} had faced similar problems and had found a workable compromise.",
    "Work is expected to begin in the autumn and should take around {months} months to complete.",
    "Residents who wish to comment can do so at the town hall or through the council website until the end of the month.",
    "The {role}, {person}, described the mood in {place} as a mixture of relief and frustration.",
    "Local businesses have been asked to share their views on how {subject} might affect trade.",
    "It is the first time in {years} years that the issue has come before the full council.",
    "Several speakers raised concerns about parking, noise and the effect on the nearby nature reserve.",
    "The final report, running to {pages} pages, will be presented to the planning committee next month.",
]

DE_PLACES = [
    "Kleinwerder",
    "Brakenhagen",
    "Ostermoor",
    "Lindholm",
    "Großküstrow",
    "Fährhude",
    "Rövershagen-Süd",
    "Wiekendorf",
    "Sülzbeck",
    "Möwenort",
]
DE_FIRST = ["Anna", "Jürgen", "Käthe", "Lüder", "Sönke", "Maren", "Björn", "Hanne", "Tjark", "Gesa"]
DE_LAST = ["Berger", "Weiß", "Möller", "Strauß", "Jürgensen", "Kröger", "Häberle", "Lüdemann", "Brößler", "Ohlsen"]
DE_ROLES = ["Bürgermeisterin", "Ortsvorsteher", "Schulleiterin", "Hafenmeister", "Kämmerer", "Vereinsvorsitzende"]
DE_TOPICS = [
    ("Haushalt {year}: {place} muss sparen", "den Haushalt für {year}", "politik"),
    ("Neuer Radweg zwischen {place} und {other_place} eröffnet", "den neuen Radweg", "lokales"),
    ("Hochwasserschutz in {place} kostet {million} Millionen Euro", "den Deichbau", "lokales"),
    ("Grundschule in {place} bekommt Erweiterungsbau", "den Erweiterungsbau", "bildung"),
    ("Fähre nach {place} fährt wieder nach Fahrplan", "die Fährverbindung", "verkehr"),
    ("Bäckerei in {place} schließt nach {number} Jahren", "die Schließung der Bäckerei", "wirtschaft"),
    ("Hafenfest in {place} lockt {thousands}.000 Besucher", "das Hafenfest", "kultur"),
    ("Windpark vor {place}: Gemeinderat stimmt zu", "den geplanten Windpark", "wirtschaft"),
    ("SV {place} steigt nach {number} Jahren auf", "den Aufstieg des Vereins", "sport"),
]
DE_SENTENCES = [
    "Der Gemeinderat von {place} hat am {weekday}abend mit {votes_for} zu {votes_against} Stimmen über {subject} entschieden.",
    "{person}, {role} der Gemeinde, sprach von einem wichtigen Schritt für die ganze Region.",
    "Kritiker aus {other_place} befürchten, dass die Kosten weiter steigen könnten.",
    "Bereits im Jahr {prev_year} hatte es erste Pläne gegeben, die damals jedoch am Geld scheiterten.",
    "Nach Angaben der Verwaltung sollen die Arbeiten im Frühjahr beginnen und rund {months} Monate dauern.",
    "Die Anwohner können ihre Einwände noch bis Ende des Monats im Rathaus vorbringen.",
    "Für viele Familien in {place} ist das Thema seit Jahren ein Ärgernis.",
    "{person} betonte, man habe alle Bedenken sorgfältig geprüft und Kompromisse gefunden.",
    "Auch die Händler am Marktplatz äußerten sich überwiegend zufrieden über {subject}.",
    "Die endgültige Entscheidung des Kreistags wird für den Spätsommer erwartet.",
    "Zur Sitzung waren mehr als {hundreds}0 Bürgerinnen und Bürger gekommen, so viele wie selten zuvor.",
    "Die Gemeinde {other_place} hatte vor einigen Jahren ähnliche Probleme und gilt nun als Vorbild.",
    "Über die genaue Finanzierung soll in einer weiteren Sitzung beraten werden.",
    "Für Rückfragen steht das Bürgerbüro montags bis freitags zur Verfügung.",
]

RU_PLACES = [
    "Светлогорье",
    "Новоберёзовск",
    "Каменный Остров",
    "Ольховка",
    "Заречье-Северное",
    "Белоключье",
    "Сосновый Бор-2",
    "Ветлугино",
    "Ясноморск",
    "Приозёрье",
]
RU_FIRST = ["Ирина", "Павел", "Анна", "Дмитрий", "Ольга", "Сергей", "Мария", "Алексей", "Елена", "Николай"]
RU_LAST_M = ["Мельников", "Орлов", "Лебедев", "Соколов", "Журавлёв", "Кудрявцев", "Белозёров", "Ветров"]
RU_FEMALE = {"Ирина", "Анна", "Ольга", "Мария", "Елена"}
RU_ROLES = [
    "глава администрации",
    "директор школы",
    "начальник порта",
    "председатель совета депутатов",
    "главный архитектор",
]
RU_TOPICS = [
    ("{place}: бюджет на {year} год принят депутатами", "бюджет на {year} год", "politika"),
    ("{place}: новую школу откроют к {year} году", "строительство школы", "obshchestvo"),
    ("Паромное сообщение с посёлком {place} возобновится весной", "паромное сообщение", "transport"),
    ("Москва выделит {million} млн рублей на набережную в посёлке {place}", "ремонт набережной", "ekonomika"),
    ("{place}: жители требуют отремонтировать дорогу", "ремонт дороги", "obshchestvo"),
    ("{place}: рыбзавод закроется после {number} лет работы", "закрытие рыбзавода", "ekonomika"),
    ("Фестиваль «{place}» собрал {thousands} тысяч зрителей", "летний фестиваль", "kultura"),
    ("Хоккейный клуб «{place}» вышел в финал", "выход клуба в финал", "sport"),
]
RU_SENTENCES = [
    "Решение было принято на заседании {weekday}, за него проголосовали {votes_for} депутатов, против — {votes_against}.",
    "{person}, {role}, {said_ru}, что вопрос обсуждался больше года.",
    "Жители района {other_place} опасаются, что {subject} затянется ещё на несколько лет.",
    "Впервые этот вопрос поднимали ещё в {prev_year} году, но тогда денег не нашлось.",
    "По словам чиновников, работы начнутся весной и займут около {months} месяцев.",
    "В Москве проект назвали одним из самых заметных в регионе.",
    "«Мы услышали людей и постарались учесть все замечания», — {told_ru} {person}.",
    "Местные предприниматели в целом поддержали {subject}, хотя и высказали ряд пожеланий.",
    "Общественные слушания пройдут в доме культуры в конце месяца.",
    "По данным администрации, на встречу пришли более {hundreds}0 человек.",
    "Похожий проект несколько лет назад реализовали в посёлке {other_place}, и он оказался удачным.",
    "Окончательную смету планируют утвердить до конца квартала.",
    "Подробности обещают опубликовать на официальном сайте администрации.",
]
RU_TRANSLIT = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "e",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "y",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ъ": "",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "yu",
    "я": "ya",
}
EN_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
DE_WEEKDAYS = ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"]
RU_WEEKDAYS = ["в понедельник", "во вторник", "в среду", "в четверг", "в пятницу", "в субботу", "в воскресенье"]
EN_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
RU_MONTHS_GEN = [
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
]

COMMENT_TEXTS_EN = [
    "About time too. We have been waiting for this for years.",
    "Who is actually paying for all of this? Not the people who voted for it.",
    "Great news for the town, well done to everyone involved.",
    "I went to the meeting and nobody answered the question about parking.",
    "My grandparents would not recognise the place any more.",
]
COMMENT_TEXTS_DE = [
    "Endlich tut sich mal was in unserem Ort!",
    "Und wer bezahlt das am Ende? Wir Bürger natürlich.",
    "Schöner Artikel, danke für die gründliche Recherche.",
    "Ich war bei der Sitzung, die Stimmung war sehr gereizt.",
]
COMMENT_TEXTS_RU = [
    "Наконец-то! Ждали этого много лет.",
    "А кто будет за всё это платить?",
    "Хорошая новость для нашего района.",
    "Обещали уже три раза, посмотрим, что будет на этот раз.",
]


def slugify(text: str) -> str:
    out = []
    for char in text.lower():
        char = RU_TRANSLIT.get(char, char)
        char = {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ë": "e", "£": ""}.get(char, char)
        out.append(char if char.isascii() and char.isalnum() else "-")
    return "-".join(part for part in "".join(out).split("-") if part)


# ---------------------------------------------------------------------------------------------
# Story content.


@dataclass
class Story:
    """The true content of one article, before any outlet wraps it in HTML."""

    outlet_key: str
    number: int
    place: str
    title: str
    section: str
    authors: list[str]
    published_at: datetime
    description: str
    paragraphs: list[str]
    # indexes of paragraphs rendered split in two mid-sentence
    split_paragraphs: list[int] = field(default_factory=list)
    comments: list[tuple[str, str]] = field(default_factory=list)


def _fill(template: str, values: dict[str, str]) -> str:
    return template.format(**values)


def random_published_at(rng: random.Random, offset_for) -> datetime:
    """A publish instant in 2010..2024 at a local hour between 06 and 22."""
    day = date(2010, 1, 1) + timedelta(days=rng.randrange(0, 365 * 15 - 60))
    offset = offset_for(day)
    hour = rng.randrange(6, 22)
    minute = rng.choice([0, 5, 12, 15, 20, 30, 42, 45, 50, 58])
    local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=timezone(timedelta(minutes=offset)))
    return local.astimezone(UTC)


def make_story(rng: random.Random, outlet: Outlet, number: int) -> Story:
    lang = outlet.language
    published_at = random_published_at(rng, outlet.offset_for)
    if lang == "en":
        places, topics, sentences, roles, weekdays = EN_PLACES, EN_TOPICS, EN_SENTENCES, EN_ROLES, EN_WEEKDAYS
        people = [f"{rng.choice(EN_FIRST)} {rng.choice(EN_LAST)}" for _ in range(3)]
        comment_texts = COMMENT_TEXTS_EN
    elif lang == "de":
        places, topics, sentences, roles, weekdays = DE_PLACES, DE_TOPICS, DE_SENTENCES, DE_ROLES, DE_WEEKDAYS
        people = [f"{rng.choice(DE_FIRST)} {rng.choice(DE_LAST)}" for _ in range(3)]
        comment_texts = COMMENT_TEXTS_DE
    else:
        places, topics, sentences, roles, weekdays = RU_PLACES, RU_TOPICS, RU_SENTENCES, RU_ROLES, RU_WEEKDAYS
        people = []
        for _ in range(3):
            first = rng.choice(RU_FIRST)
            last = rng.choice(RU_LAST_M)
            people.append(f"{first} {last + 'а' if first in RU_FEMALE else last}")
        comment_texts = COMMENT_TEXTS_RU
    place, other_place = rng.sample(places, 2)
    headline, subject, section = topics[number % len(topics)]
    values = {
        "place": place,
        "other_place": other_place,
        "year": str(published_at.year + rng.choice([0, 1])),
        "prev_year": str(published_at.year - rng.randrange(2, 9)),
        "million": str(rng.randrange(2, 40)),
        "number": str(rng.randrange(3, 30)),
        "thousands": str(rng.randrange(5, 21)),
        "hundreds": str(rng.randrange(2, 9)),
        "months": str(rng.randrange(5, 19)),
        "years": str(rng.randrange(5, 20)),
        "pages": str(rng.randrange(40, 300)),
        "votes_for": str(rng.randrange(9, 20)),
        "votes_against": str(rng.randrange(1, 8)),
        "weekday": weekdays[rng.randrange(7)],
        "role": rng.choice(roles),
    }
    values["subject"] = _fill(subject, values)
    title = _fill(headline, values)
    # Authors: one to three, distinct.
    author_pool = [
        person
        for person in dict.fromkeys(
            [f"{rng.choice(outlet.first_names)} {rng.choice(outlet.last_names)}" for _ in range(4)]
        )
    ]
    if lang == "ru":
        author_pool = list(dict.fromkeys(people + author_pool))
    author_count = rng.choice([1, 1, 1, 2, 2, 3])
    authors = author_pool[:author_count]
    quoted = [p for p in people if p not in authors] or people
    # A sorted subset of the templates keeps the news order (decision first, details last).
    paragraph_count = rng.randrange(4, 7)
    sizes = [rng.choice([2, 2, 3]) for _ in range(paragraph_count)]
    while sum(sizes) > len(sentences):
        sizes.pop()
    order = sorted(rng.sample(range(len(sentences)), sum(sizes)))
    paragraphs = []
    cursor = 0
    for size in sizes:
        chosen = []
        for template_index in order[cursor : cursor + size]:
            cursor += 1
            values["person"] = quoted[cursor % len(quoted)]
            female = values["person"].split(" ")[0] in RU_FEMALE
            values["said_ru"], values["told_ru"] = ("заявила", "сказала") if female else ("заявил", "сказал")
            chosen.append(_fill(sentences[template_index], values))
        paragraphs.append(" ".join(chosen))
    description = paragraphs[0].split(". ")[0].rstrip(".") + "."
    splits = []
    if rng.random() < 0.45:
        candidates = [i for i, p in enumerate(paragraphs) if len(p.split(" ")) >= 12]
        if candidates:
            splits = [rng.choice(candidates)]
    comments = [
        (f"{rng.choice(outlet.first_names)}{rng.randrange(10, 99)}", text)
        for text in rng.sample(comment_texts, rng.randrange(0, 4))
    ]
    return Story(
        outlet.key, number, place, title, section, authors, published_at, description, paragraphs, splits, comments
    )


def split_mid_sentence(paragraph: str) -> tuple[str, str]:
    """Split a paragraph between two words inside a sentence (never at a sentence end)."""
    words = paragraph.split(" ")
    middle = len(words) // 2
    for shift in range(len(words)):
        for index in (middle + shift, middle - shift):
            if 2 <= index < len(words) - 2 and not words[index - 1].endswith((".", "!", "?", "\u201d", "»")):
                return " ".join(words[:index]), " ".join(words[index:])
    return " ".join(words[:middle]), " ".join(words[middle:])


# ---------------------------------------------------------------------------------------------
# Outlets: each renders a Story as (url, http headers, body bytes, charset).


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def json_ld(data: dict) -> str:
    text = json.dumps(data, ensure_ascii=False, indent=1)
    return '<script type="application/ld+json">\n' + text.replace("</", "<\\/") + "\n</script>"


def join_names(names: list[str], conjunction: str) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + f" {conjunction} " + names[-1]


@dataclass
class Page:
    url: str  # URL as captured (may carry tracking params or a fragment)
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    charset: str | None


class Outlet:
    key = ""
    name = ""
    host = ""
    language = ""
    charset = "utf-8"
    first_names: list[str] = []
    last_names: list[str] = []

    def offset_for(self, day: date) -> int:
        raise NotImplementedError

    def canonical_url(self, story: Story) -> str:
        raise NotImplementedError

    def render(self, story: Story, rng: random.Random, variant: int) -> Page:
        raise NotImplementedError

    def render_index(self, stories: list[Story]) -> Page:
        raise NotImplementedError

    def html_headers(
        self, charset: str | None, length: int, extra: list[tuple[str, str]] = ()
    ) -> list[tuple[str, str]]:
        content_type = "text/html" + (f"; charset={charset}" if charset else "")
        return [("Content-Type", content_type), ("Content-Length", str(length)), *extra]


class HarbourGazette(Outlet):
    """British outlet: JSON-LD inside @graph with Person objects, og:title with suffix, BST/GMT."""

    key = "harbour"
    name = "The Harbour Gazette"
    host = "www.harbour-gazette.co.uk"
    language = "en"
    first_names = EN_FIRST
    last_names = EN_LAST

    def offset_for(self, day: date) -> int:
        return london_offset(day)

    def canonical_url(self, story: Story) -> str:
        return f"https://{self.host}/news/{story.section}/{slugify(story.title)}-{4810233 + story.number * 137}"

    def nav(self) -> str:
        links = "".join(
            f'<li><a href="/news/{s}/">{s.title()}</a></li>'
            for s in ["local", "politics", "business", "transport", "education", "sport", "culture"]
        )
        return f'<nav class="site-nav"><ul><li><a href="/">Home</a></li>{links}</ul></nav>'

    def render(self, story: Story, rng: random.Random, variant: int) -> Page:
        offset = self.offset_for(story.published_at.date())
        local = local_time(story.published_at, offset)
        zone = "BST" if offset else "GMT"
        canonical = self.canonical_url(story)
        person_list = [
            {"@type": "Person", "name": a, "url": f"https://{self.host}/authors/{slugify(a)}"} for a in story.authors
        ]
        graph = {
            "@context": "https://schema.org",
            "@graph": [
                {
                    "@type": "WebSite",
                    "@id": f"https://{self.host}/#website",
                    "name": self.name,
                    "url": f"https://{self.host}/",
                },
                {
                    "@type": "NewsArticle",
                    "@id": canonical + "#article",
                    "headline": story.title,
                    "description": story.description,
                    "datePublished": iso_offset(story.published_at, offset),
                    "dateModified": iso_offset(story.published_at + timedelta(minutes=47), offset),
                    "author": person_list,
                    "articleSection": story.section.title(),
                    "inLanguage": "en-GB",
                    "publisher": {"@type": "NewsMediaOrganization", "name": self.name},
                    "mainEntityOfPage": canonical,
                },
                {
                    "@type": "BreadcrumbList",
                    "itemListElement": [
                        {"@type": "ListItem", "position": 1, "name": "News", "item": f"https://{self.host}/news/"},
                        {
                            "@type": "ListItem",
                            "position": 2,
                            "name": story.section.title(),
                            "item": f"https://{self.host}/news/{story.section}/",
                        },
                    ],
                },
            ],
        }
        byline_links = [f'<a href="/authors/{slugify(a)}" rel="author">{esc(a)}</a>' for a in story.authors]
        body_parts = []
        for index, paragraph in enumerate(story.paragraphs):
            if index in story.split_paragraphs:
                first, second = split_mid_sentence(paragraph)
                body_parts.append(f"<p>{esc(first)}</p>\n<p>{esc(second)}</p>")
            else:
                body_parts.append(f"<p>{esc(paragraph)}</p>")
            if index == 1:
                body_parts.append(
                    f'<figure class="inline-image"><img src="/images/{story.number}.jpg" alt="">'
                    f"<figcaption>The waterfront at {esc(story.place)} on a grey morning. "
                    f"Photo: Gazette staff</figcaption></figure>"
                )
        body_parts.append(
            '<p class="disclaimer"><em>Comments on this story are pre-moderated. The views '
            "expressed by readers are their own and not those of The Harbour Gazette.</em></p>"
        )
        comments = "".join(
            f'<li class="comment"><span class="comment-author">{esc(who)}</span><p>{esc(text)}</p></li>'
            for who, text in story.comments
        )
        related = "".join(
            f'<li><a href="/news/local/story-{n}">{esc(t)}</a></li>'
            for n, t in [
                (story.number + 100, "Parking charges under review"),
                (story.number + 200, "Lifeboat crew called out twice in one night"),
            ]
        )
        document = f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<title>{esc(story.title)} - The Harbour Gazette</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="description" content="{esc(story.description)}">
<link rel="canonical" href="{canonical}">
<meta property="og:type" content="article">
<meta property="og:site_name" content="{self.name}">
<meta property="og:title" content="{esc(story.title)} - The Harbour Gazette">
<meta property="og:url" content="{canonical}">
<meta property="article:published_time" content="{iso_utc(story.published_at)}">
<meta property="article:section" content="{story.section.title()}">
{json_ld(graph)}
</head>
<body>
<header><a class="logo" href="/">The Harbour Gazette</a>{self.nav()}</header>
<ol class="breadcrumbs"><li><a href="/">Home</a></li><li><a href="/news/">News</a></li><li><a href="/news/{story.section}/">{story.section.title()}</a></li></ol>
<main>
<article>
<h1 class="headline">{esc(story.title)}</h1>
<div class="byline">By {join_names(byline_links, "and")}</div>
<time datetime="{iso_utc(story.published_at)}">{local.day} {EN_MONTHS[local.month - 1]} {local.year}, {local:%H:%M} {zone}</time>
<div class="article-body">
{chr(10).join(body_parts)}
</div>
</article>
<aside class="related"><h2>Related stories</h2><ul>{related}</ul></aside>
<section class="comments"><h2>Comments ({len(story.comments)})</h2><ol>{comments}</ol></section>
</main>
<footer><p>&copy; The Harbour Gazette. All rights reserved.</p><a href="/privacy">Privacy</a></footer>
</body>
</html>
"""
        body = document.encode("utf-8")
        url = canonical
        if story.number % 4 == 1:
            url += "?utm_source=twitter&utm_medium=social&utm_campaign=share"
        return Page(url, 200, self.html_headers("utf-8", len(body), [("Server", "nginx")]), body, "utf-8")

    def render_index(self, stories: list[Story], home: bool = False) -> Page:
        items = "".join(
            f'<li><a href="{self.canonical_url(s)}">{esc(s.title)}</a><p>{esc(s.description)}</p></li>' for s in stories
        )
        heading = "Latest news" if home else "Local news"
        document = f"""<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8">
<title>{heading} - The Harbour Gazette</title>
<meta property="og:type" content="website"><meta property="og:site_name" content="{self.name}">
</head><body><header><a class="logo" href="/">The Harbour Gazette</a>{self.nav()}</header>
<main><h1>{heading}</h1><ul class="story-list">{items}</ul></main>
<footer><p>&copy; The Harbour Gazette.</p></footer></body></html>
"""
        body = document.encode("utf-8")
        url = f"https://{self.host}/" if home else f"https://{self.host}/news/local/"
        return Page(url, 200, self.html_headers("utf-8", len(body)), body, "utf-8")


class ValleyHerald(Outlet):
    """US outlet: JSON-LD author as one string, meta date with only a day, ET in the page."""

    key = "valley"
    name = "Valley Herald"
    host = "news.valleyherald.com"
    language = "en"
    first_names = EN_FIRST
    last_names = EN_LAST

    def offset_for(self, day: date) -> int:
        return new_york_offset(day)

    def canonical_url(self, story: Story) -> str:
        local = local_time(story.published_at, self.offset_for(story.published_at.date()))
        return f"https://{self.host}/{local:%Y/%m/%d}/{slugify(story.title)}/"

    def render(self, story: Story, rng: random.Random, variant: int) -> Page:
        offset = self.offset_for(story.published_at.date())
        local = local_time(story.published_at, offset)
        canonical = self.canonical_url(story)
        style = story.number % 3
        if style == 0:
            byline = "By " + join_names([esc(a) for a in story.authors], "and")
        elif style == 1:
            byline = f"By {esc(story.authors[0].upper())}, Staff Reporter" + "".join(
                f" and {esc(a.upper())}, Staff Reporter" for a in story.authors[1:]
            )
        else:
            first = story.authors[0]
            email = slugify(first).replace("-", ".") + "@valleyherald.com"
            byline = f"By {esc(join_names(story.authors, 'and'))} | {email}"
        updated = " | Updated 3 hours ago" if variant == 0 else " | Updated 2 days ago"
        ld_author: object
        if story.number % 2 == 0:
            ld_author = join_names(story.authors, "and")
        else:
            ld_author = [{"@type": "Person", "name": a} for a in story.authors]
        data = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": story.title,
            "datePublished": iso_utc(story.published_at),
            "author": ld_author,
            "publisher": {
                "@type": "Organization",
                "name": self.name,
                "logo": {"@type": "ImageObject", "url": f"https://{self.host}/logo.png"},
            },
            "description": story.description,
            "url": canonical,
        }
        body_parts = []
        for index, paragraph in enumerate(story.paragraphs):
            if index in story.split_paragraphs:
                first, second = split_mid_sentence(paragraph)
                body_parts.append(f"<p>{esc(first)}<br>\n{esc(second)}</p>")
            else:
                body_parts.append(f"<p>{esc(paragraph)}</p>")
            if index == 2:
                body_parts.append(
                    '<div class="newsletter-signup"><h3>Get the Morning Brief</h3><p>The day\'s top '
                    'stories from the valley, delivered before breakfast.</p><form><input type="email" '
                    'placeholder="Email address"><button>Sign up</button></form></div>'
                )
        body_parts.append(
            '<p class="editor-note">Valley Herald is an independent newsroom. Opinions in '
            "reader submissions do not reflect the views of the Herald or its staff.</p>"
        )
        most_read = "".join(
            f'<li><a href="/{2015 + i}/01/0{i + 1}/story-{i}/">{esc(t)}</a></li>'
            for i, t in enumerate(
                [
                    "Snow closes mountain pass for third day",
                    "Diner owner celebrates fifty years behind the counter",
                    "County fair returns with new livestock barn",
                ]
            )
        )
        shown_comments = list(story.comments)
        if variant:
            shown_comments.append(("latecomer7", "Any update on this? Nothing has happened since."))
        comments = "".join(
            f'<div class="comment"><b>{esc(who)}</b> wrote:<p>{esc(text)}</p></div>' for who, text in shown_comments
        )
        og_title = story.title + " | Valley Herald"
        document = f"""<!doctype html>
<html lang="en-US">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">
<title>{esc(story.title)} | Valley Herald</title>
<meta name="description" content="{esc(story.description)}">
<meta name="date" content="{local:%Y-%m-%d}">
<meta name="author" content="{esc(join_names(story.authors, "and"))}">
<meta property="og:title" content="{esc(og_title)}">
<meta property="og:description" content="{esc(story.paragraphs[1])}">
<meta property="og:site_name" content="Valley Herald">
<meta property="article:published_time" content="{iso_offset(story.published_at, offset)}">
<link rel="canonical" href="{canonical}">
{json_ld(data)}
</head>
<body>
<div id="top-bar"><a href="/">Valley Herald</a> <a href="/subscribe">Subscribe</a> <a href="/login">Log in</a></div>
<nav><a href="/news/">News</a> | <a href="/sports/">Sports</a> | <a href="/obituaries/">Obituaries</a> | <a href="/opinion/">Opinion</a></nav>
<div class="content">
<article class="story">
<h1>{esc(story.title)}</h1>
<p class="byline">{byline}</p>
<p class="dateline">{EN_MONTHS[local.month - 1]} {local.day}, {local.year} {local.hour % 12 or 12}:{local:%M} {"a.m." if local.hour < 12 else "p.m."} ET{updated}</p>
<div class="story-body">
{chr(10).join(body_parts)}
</div>
</article>
<div class="comments" id="comments"><h4>Reader comments</h4>{comments or "<p>Be the first to comment.</p>"}</div>
</div>
<aside class="sidebar"><h3>Most read</h3><ol>{most_read}</ol></aside>
<footer>Valley Herald &middot; 200 Main Street &middot; <a href="/contact">Contact</a></footer>
</body>
</html>
"""
        body = document.encode("utf-8")
        url = canonical + ("#comments" if story.number % 5 == 2 else "")
        return Page(url, 200, self.html_headers("utf-8", len(body)), body, "utf-8")

    def render_index(self, stories: list[Story]) -> Page:
        items = "".join(
            f'<div class="teaser"><h2><a href="{self.canonical_url(s)}">{esc(s.title)}</a></h2>'
            f"<p>{esc(s.description)}</p></div>"
            for s in stories
        )
        document = f"""<!doctype html>
<html lang="en-US"><head><meta charset="utf-8"><title>News | Valley Herald</title></head>
<body><nav><a href="/news/">News</a> | <a href="/sports/">Sports</a></nav>
<h1>News</h1>{items}<footer>Valley Herald</footer></body></html>
"""
        body = document.encode("utf-8")
        return Page(f"https://{self.host}/news/", 200, self.html_headers("utf-8", len(body)), body, "utf-8")

    def render_not_found(self) -> Page:
        document = """<!doctype html>
<html><head><meta charset="utf-8"><title>Page not found | Valley Herald</title></head>
<body><h1>Sorry, we couldn't find that page.</h1><p>The story may have been moved or removed.
Try the <a href="/news/">news section</a> or search the archive.</p></body></html>
"""
        body = document.encode("utf-8")
        return Page(
            f"https://{self.host}/2016/02/30/missing-story/", 404, self.html_headers("utf-8", len(body)), body, "utf-8"
        )


class NordkurierTaeglich(Outlet):
    """German outlet in windows-1252 / iso-8859-1; "Von ..." bylines with placeholder links."""

    key = "nordkurier"
    name = "Nordkurier Täglich"
    host = "www.nordkurier-taegl.de"
    language = "de"
    first_names = DE_FIRST
    last_names = DE_LAST

    def offset_for(self, day: date) -> int:
        return berlin_offset(day)

    def canonical_url(self, story: Story) -> str:
        return f"https://{self.host}/{story.section}/{slugify(story.title)}-a{90412 + story.number * 31}.html"

    def render(self, story: Story, rng: random.Random, variant: int) -> Page:
        offset = self.offset_for(story.published_at.date())
        local = local_time(story.published_at, offset)
        canonical = self.canonical_url(story)
        charset = "windows-1252" if story.number % 2 == 0 else "iso-8859-1"
        if story.number % 3 == 0:
            byline = "Von " + join_names([f'<a href="#">{esc(a)}</a>' for a in story.authors], "und")
        else:
            byline = "Von " + join_names([esc(a) for a in story.authors], "und")
        head_extra = ""
        if story.number % 2 == 1:
            head_extra = json_ld(
                {
                    "@context": "https://schema.org",
                    "@type": "NewsArticle",
                    "headline": story.title,
                    "datePublished": iso_offset(story.published_at, offset),
                    "author": [{"@type": "Person", "name": a} for a in story.authors],
                    "publisher": {"@type": "Organization", "name": self.name},
                    "inLanguage": "de-DE",
                }
            )
        visible_date = f"{local:%d.%m.%Y, %H:%M} Uhr"
        if not head_extra:
            # Without JSON-LD the only unambiguous instant is this <time>; meta "date" is naive local time.
            visible_date = f'<time datetime="{iso_offset(story.published_at, offset)}">{visible_date}</time>'
        body_parts = []
        for index, paragraph in enumerate(story.paragraphs):
            if index in story.split_paragraphs:
                first, second = split_mid_sentence(paragraph)
                body_parts.append(f"<p>{esc(first)}</p><p>{esc(second)}</p>")
            else:
                body_parts.append(f"<p>{esc(paragraph)}</p>")
        body_parts.insert(
            1,
            '<div class="bild"><img src="/img/platzhalter.jpg" alt=""><span class="bildunterschrift">'
            "Blick auf den Ortskern. Foto: Archiv</span></div>",
        )
        body_parts.append(
            '<p class="hinweis">Hinweis der Redaktion: Leserkommentare geben nicht die Meinung '
            "der Redaktion wieder.</p>"
        )
        comments = "".join(f"<li><strong>{esc(who)}</strong>: {esc(text)}</li>" for who, text in story.comments)
        document = f"""<!DOCTYPE html>
<html lang="de">
<head>
<meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>{esc(story.title)} - Nordkurier Täglich</title>
<meta name="author" content="{esc(", ".join(story.authors))}">
<meta name="description" content="{esc(story.description)}">
<meta name="date" content="{local:%Y-%m-%dT%H:%M:%S}">
<meta property="og:title" content="{esc(story.title)}">
<meta property="og:site_name" content="Nordkurier Täglich">
<meta property="og:locale" content="de_DE">
{head_extra}
</head>
<body>
<div class="kopf"><a href="/">Nordkurier Täglich</a>
<ul class="menue"><li><a href="/lokales/">Lokales</a></li><li><a href="/politik/">Politik</a></li><li><a href="/wirtschaft/">Wirtschaft</a></li><li><a href="/sport/">Sport</a></li></ul></div>
<div class="pfad">Sie sind hier: <a href="/">Startseite</a> &gt; <a href="/{story.section}/">{story.section.title()}</a></div>
<div class="artikel">
<h1>{esc(story.title)}</h1>
<div class="autor">{byline}</div>
<div class="datum">{visible_date}</div>
<div class="text">
{chr(10).join(body_parts)}
</div>
<div class="mehr"><h3>Mehr zum Thema</h3><ul><li><a href="/lokales/">Weitere Nachrichten aus der Region</a></li><li><a href="/politik/">Kommunalpolitik im Überblick</a></li></ul></div>
<div class="kommentare"><h3>Leserkommentare</h3><ul>{comments}</ul></div>
</div>
<div class="fuss">Impressum | Datenschutz | &copy; Nordkurier Täglich</div>
</body>
</html>
"""
        body = document.encode(charset)
        url = canonical + ("?utm_source=newsletter&utm_medium=email" if story.number % 4 == 2 else "")
        return Page(url, 200, self.html_headers(charset, len(body)), body, charset)

    def render_index(self, stories: list[Story]) -> Page:
        items = "".join(f'<li><a href="{self.canonical_url(s)}">{esc(s.title)}</a></li>' for s in stories)
        document = f"""<!DOCTYPE html>
<html lang="de"><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252">
<title>Lokales - Nordkurier Täglich</title></head><body>
<h1>Lokales</h1><ul class="teaserliste">{items}</ul><div class="fuss">Impressum | Datenschutz</div></body></html>
"""
        body = document.encode("windows-1252")
        return Page(
            f"https://{self.host}/lokales/", 200, self.html_headers("windows-1252", len(body)), body, "windows-1252"
        )


class OstrovVesti(Outlet):
    """Russian outlet in windows-1251, the charset declared either only in <meta> or only in HTTP."""

    key = "ostrov"
    name = "Остров Вести"
    host = "www.ostrov-vesti.ru"
    language = "ru"
    first_names = RU_FIRST
    last_names = RU_LAST_M

    def offset_for(self, day: date) -> int:
        return moscow_offset(day)

    def canonical_url(self, story: Story) -> str:
        return f"https://{self.host}/news/{story.section}/{30118 + story.number * 53}-{slugify(story.title)}/"

    def render(self, story: Story, rng: random.Random, variant: int) -> Page:
        offset = self.offset_for(story.published_at.date())
        local = local_time(story.published_at, offset)
        canonical = self.canonical_url(story)
        charset_in_meta = story.number % 2 == 0
        if story.number % 3 == 0:
            ld_author: object = (
                story.authors[0] if len(story.authors) == 1 else [{"@type": "Person", "name": a} for a in story.authors]
            )
        else:
            ld_author = [{"@type": "Person", "name": a} for a in story.authors]
        data = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": story.title,
            "datePublished": iso_offset(story.published_at, offset),
            "author": ld_author,
            "publisher": {"@type": "Organization", "name": self.name},
            "inLanguage": "ru",
        }
        body_parts = []
        for index, paragraph in enumerate(story.paragraphs):
            if index in story.split_paragraphs:
                first, second = split_mid_sentence(paragraph)
                body_parts.append(f"<p>{esc(first)}</p>\n<p>{esc(second)}</p>")
            else:
                body_parts.append(f"<p>{esc(paragraph)}</p>")
        body_parts.append('<p class="note">Мнение авторов комментариев может не совпадать с позицией редакции.</p>')
        comments = "".join(
            f'<div class="comment"><span>{esc(who)}</span> {esc(text)}</div>' for who, text in story.comments
        )
        meta = '<meta charset="windows-1251">\n' if charset_in_meta else ""
        author_text = ", ".join(esc(a) for a in story.authors)
        document = f"""<!DOCTYPE html>
<html lang="ru">
<head>
{meta}<title>{esc(story.title)} — Остров Вести</title>
<meta name="description" content="{esc(story.description)}">
<meta property="og:title" content="{esc(story.title)}">
<meta property="og:site_name" content="Остров Вести">
<meta property="article:published_time" content="{iso_utc(story.published_at)}">
{json_ld(data)}
</head>
<body>
<div class="menu"><a href="/">Главная</a> <a href="/news/">Новости</a> <a href="/news/politika/">Политика</a> <a href="/news/obshchestvo/">Общество</a> <a href="/news/sport/">Спорт</a></div>
<div class="news-item">
<h1>{esc(story.title)}</h1>
<div class="meta">Автор: {author_text} · <time datetime="{iso_utc(story.published_at)}">{local.day} {RU_MONTHS_GEN[local.month - 1]} {local.year}, {local:%H:%M}</time></div>
<div class="news-text">
{chr(10).join(body_parts)}
</div>
<div class="read-also"><b>Читайте также:</b><ul><li><a href="/news/">В Москве обсудили развитие островных территорий</a></li><li><a href="/news/">Погода на выходные: ожидается шторм</a></li></ul></div>
<div class="comments" id="comments">{comments}</div>
</div>
<div class="footer">© Остров Вести. При использовании материалов ссылка обязательна.</div>
</body>
</html>
"""
        body = document.encode("windows-1251")
        headers = self.html_headers(None if charset_in_meta else "windows-1251", len(body))
        url = canonical
        if story.number % 5 == 3:
            url += "?utm_source=yandex&utm_medium=news#comments"
        return Page(url, 200, headers, body, "windows-1251")

    def render_index(self, stories: list[Story]) -> Page:
        items = "".join(f'<li><a href="{self.canonical_url(s)}">{esc(s.title)}</a></li>' for s in stories)
        document = f"""<!DOCTYPE html>
<html lang="ru"><head><meta charset="windows-1251"><title>Новости — Остров Вести</title></head>
<body><h1>Новости</h1><ul>{items}</ul><div class="footer">© Остров Вести</div></body></html>
"""
        body = document.encode("windows-1251")
        return Page(f"https://{self.host}/news/", 200, self.html_headers(None, len(body)), body, "windows-1251")


OUTLETS: list[Outlet] = [HarbourGazette(), ValleyHerald(), NordkurierTaeglich(), OstrovVesti()]


# ---------------------------------------------------------------------------------------------
# Captures and the WARC.


@dataclass
class Capture:
    page: Page
    captured_at: datetime
    expected: dict


def canonical_of(url: str) -> str:
    """The expected canonical URL: the captured one without query string tracking and fragment."""
    return url.split("#", 1)[0].split("?", 1)[0]


def article_expected(outlet: Outlet, story: Story) -> dict:
    return {
        "title": story.title,
        "authors": list(story.authors),
        "published_at": iso_utc(story.published_at),
        "publication": outlet.name,
        "language": outlet.language,
        "section": story.section,
        "paragraphs": list(story.paragraphs),
        "description": story.description,
    }


def make_jpeg(rng: random.Random) -> bytes:
    """A small byte string that looks like a JPEG (SOI, JFIF APP0, filler, EOI)."""
    app0 = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    filler = bytes(rng.randrange(0, 255) for _ in range(320)).replace(b"\xff", b"\xfe")
    return b"\xff\xd8" + app0 + b"\xff\xdb\x00\x43\x00" + filler + b"\xff\xd9"


# (outlet, story number, render variant, time after the first capture)
REPEATS = [
    ("harbour", 3, 0, timedelta(days=210)),
    ("valley", 4, 1, timedelta(days=35, hours=3)),
    ("ostrov", 5, 0, timedelta(days=400)),
]


def build_captures() -> list[Capture]:
    rng = random.Random(SEED)
    captures: list[Capture] = []
    stories_by_outlet: dict[str, list[Story]] = {}
    for outlet in OUTLETS:
        stories = [make_story(rng, outlet, number) for number in range(ARTICLES_PER_OUTLET)]
        stories_by_outlet[outlet.key] = stories
        for story in stories:
            captured_at = story.published_at + timedelta(
                hours=rng.randrange(2, 24 * 40), minutes=rng.randrange(60), seconds=rng.randrange(60)
            )
            page = outlet.render(story, rng, variant=0)
            captures.append(Capture(page, captured_at, {"kind": "article", **article_expected(outlet, story)}))
        # Index pages are captured shortly after their newest listed story.
        listed = stories[:8]
        index_at = max(s.published_at for s in listed) + timedelta(hours=5, minutes=13)
        captures.append(Capture(outlet.render_index(listed), index_at, {"kind": "index", "reason": "not_article"}))

    harbour, valley = OUTLETS[0], OUTLETS[1]
    home_stories = stories_by_outlet["harbour"][8:14]
    home_at = max(s.published_at for s in home_stories) + timedelta(hours=2, minutes=41)
    captures.append(
        Capture(harbour.render_index(home_stories, home=True), home_at, {"kind": "home", "reason": "not_article"})
    )
    captures.append(
        Capture(
            valley.render_not_found(),
            datetime(2016, 3, 2, 14, 7, 31, tzinfo=UTC),
            {"kind": "not_found", "reason": "http_404"},
        )
    )
    jpeg = make_jpeg(rng)
    captures.append(
        Capture(
            Page(
                f"https://{harbour.host}/images/5.jpg",
                200,
                [("Content-Type", "image/jpeg"), ("Content-Length", str(len(jpeg)))],
                jpeg,
                None,
            ),
            datetime(2019, 6, 11, 9, 30, 2, tzinfo=UTC),
            {"kind": "image", "reason": "not_html"},
        )
    )

    # Repeat captures of the same article URL: one identical (Harbour), one with a later
    # "Updated" line and one more comment (Valley), one under a tracking-param URL (Ostrov).
    for outlet_key, number, variant, later in REPEATS:
        outlet = next(o for o in OUTLETS if o.key == outlet_key)
        story = stories_by_outlet[outlet_key][number]
        first = next(c for c in captures if canonical_of(c.page.url) == outlet.canonical_url(story))
        page = outlet.render(story, rng, variant=variant)
        if outlet_key == "ostrov":
            page.url = canonical_of(page.url) + "?utm_source=vk&utm_campaign=repost"
        captures.append(
            Capture(page, first.captured_at + later, {"kind": "article", **article_expected(outlet, story)})
        )

    rng.shuffle(captures)
    return captures


def capture_entry(capture: Capture) -> dict:
    page = capture.page
    content_type = dict(page.headers).get("Content-Type")
    entry = {
        "url": canonical_of(page.url),
        "captured_url": page.url,
        "captured_at": iso_utc(capture.captured_at),
        "http_status": page.status,
        "content_type": content_type,
        "charset": page.charset,
        "kind": capture.expected["kind"],
        "reason": capture.expected.get("reason"),
    }
    for key, value in capture.expected.items():
        if key not in ("kind", "reason"):
            entry[key] = value
    return entry


REASON_PHRASES = {200: "OK", 404: "Not Found"}


def http_response_bytes(page: Page, captured_at: datetime) -> bytes:
    lines = [
        f"HTTP/1.1 {page.status} {REASON_PHRASES[page.status]}",
        f"Date: {captured_at.astimezone(UTC):%a, %d %b %Y %H:%M:%S} GMT",
        *(f"{k}: {v}" for k, v in page.headers),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + page.body


def record_id(index: int, uri: str) -> str:
    return f"<urn:uuid:{uuid.uuid5(RECORD_ID_NAMESPACE, f'{index}:{uri}')}>"


def write_warc(captures: list[Capture], out: io.BufferedIOBase) -> None:
    writer = WARCWriter(out, gzip=True, warc_version="1.0")
    info = writer.create_warcinfo_record(
        WARC_FILENAME,
        {
            "software": "newsarchive flows.sample.generate",
            "format": "WARC File Format 1.0",
            "description": "Synthetic news captures about fictional places, for tests and the quick start.",
        },
    )
    info.rec_headers.replace_header("WARC-Record-ID", record_id(0, WARC_FILENAME))
    info.rec_headers.replace_header("WARC-Date", "2024-12-31T00:00:00Z")
    writer.write_record(info)
    for index, capture in enumerate(captures, start=1):
        raw = http_response_bytes(capture.page, capture.captured_at)
        record = writer.create_warc_record(
            capture.page.url,
            "response",
            payload=io.BytesIO(raw),
            length=len(raw),
            warc_headers_dict={
                "WARC-Record-ID": record_id(index, capture.page.url),
                "WARC-Date": iso_utc(capture.captured_at),
                "Content-Type": "application/http; msgtype=response",
            },
        )
        writer.write_record(record)


def generate(output_dir: Path) -> tuple[Path, Path]:
    """Write archive.warc.gz and expected.json into output_dir; return their paths."""
    output_dir.mkdir(parents=True, exist_ok=True)
    captures = build_captures()
    for capture in captures:
        if capture.expected["kind"] == "article":
            published_at = datetime.fromisoformat(capture.expected["published_at"])
            if not published_at < capture.captured_at:
                raise AssertionError(f"published after capture: {capture.page.url}")
    article_urls = [canonical_of(c.page.url) for c in captures if c.expected["kind"] == "article"]
    if len(set(article_urls)) != len(article_urls) - len(REPEATS):
        raise AssertionError("two different stories share a canonical URL")
    warc_path = output_dir / WARC_FILENAME
    buffer = io.BytesIO()
    write_warc(captures, buffer)
    warc_path.write_bytes(buffer.getvalue())
    expected_path = output_dir / EXPECTED_FILENAME
    expected = {
        "description": "Ground truth for archive.warc.gz: one entry per response record, in WARC order.",
        "captures": [capture_entry(c) for c in captures],
    }
    expected_path.write_text(json.dumps(expected, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return warc_path, expected_path


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 1 or (args and args[0] in ("-h", "--help")):
        print(__doc__.strip().splitlines()[-1])
        return 0 if args and args[0] in ("-h", "--help") else 2
    output_dir = Path(args[0]) if args else Path(__file__).resolve().parent
    warc_path, expected_path = generate(output_dir)
    print(f"wrote {warc_path} ({warc_path.stat().st_size} bytes) and {expected_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
