"""Plain-text captures of article pages, cleaned into an article (issue 5, "Saving pages and text").

People paste what they copied from a browser or an aggregator app, or what another tool saved.
Such text has a recognisable shape, and each step here exists for one of its habits:

- The title is usually the first line, but a source line ("Coastal Courier") or the site's
  navigation may come first, and a byline/date line ("By Jane Doe · 4 hours ago") follows it.
  The title, author, source and time are taken out of the text into fields.
- Copying often loses paragraph breaks, so sentences run together as ``word.Next``; a break is
  put back only where nothing else could be meant (not ``U.S.``, ``e.g.``, ``3.5``, ``Node.js``,
  ``J.R.R.``, ``Mr.Smith``, an ellipsis, a URL or an e-mail address).
- Page and app furniture (share rows, app promos, sign-in prompts, cookie notices, comment
  prompts, advertisement markers, hashtag blocks, reaction counts, footers) is dropped line by
  line and reported in ``removed``, so a test or a curious user can see what went.
- A "Related Articles" list whose entries have their own title, source and text is returned as
  ``related`` teasers; the caller saves them as separate articles rather than mixing them into
  the body.
- Relative times ("4 hours ago", "2d", "yesterday") are resolved against the capture time.
- Markdown (a read-later export) is detected and rendered with ``markdown``; either way the body
  HTML is built by ``content.html_from_text`` or ``content.sanitize_html``, so markup in pasted
  text is shown, never interpreted.

Everything is a pure function of its arguments. The work is line by line with bounded regular
expressions (no nested quantifiers), so a 1 MB paste costs a fraction of a second.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

import markdown
import yaml

from reader.core.content import (
    canonical_text,
    html_from_text,
    remove_invisible,
    safe_url,
    sanitize_html,
    strip_control_chars,
)

__all__ = [
    "CleanCapture",
    "Teaser",
    "clean_capture",
    "looks_like_markdown",
    "resolve_relative_time",
]


@dataclass(frozen=True, slots=True)
class Teaser:
    """A related article announced in the capture, with enough of its own to be saved alone."""

    title: str
    source: str | None
    published: dt.datetime | None
    text: str


@dataclass(frozen=True, slots=True)
class CleanCapture:
    title: str
    author: str | None
    source: str | None
    published: dt.datetime | None
    link: str | None
    html: str
    paragraphs: tuple[str, ...]
    related: tuple[Teaser, ...]
    removed: tuple[str, ...]
    is_markdown: bool


# ---- normalizing ---------------------------------------------------------------------------------

_SPACE_LIKE_RE = re.compile("[\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_SPACE_RUN_RE = re.compile(" {2,}")


def _normalize(text: str) -> str:
    """One line ending, one kind of space, no invisible or control characters, NFC."""
    text = strip_control_chars(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n")
    text = text.replace("\u2029", "\n\n").replace("\x0b", "\n").replace("\x0c", "\n")
    text = remove_invisible(text)
    text = _SPACE_LIKE_RE.sub(" ", text)
    return unicodedata.normalize("NFC", text)


def _fold(line: str) -> str:
    return _SPACE_RUN_RE.sub(" ", line.strip())


# ---- relative and absolute times -----------------------------------------------------------------

_UNIT_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800}
_UNIT_NAMES: dict[str, str] = {}
for _unit, _names in {
    "second": "s sec secs second seconds sekunde sekunden seconde secondes segundo segundos",
    "minute": "m min mins minute minutes minuten minuto minutos",
    "hour": "h hr hrs hour hours std stunde stunden heure heures hora horas",
    "day": "d day days tag tage tagen j jour jours día días dia dias",
    "week": "w wk wks week weeks woche wochen semaine semaines semana semanas",
    "month": "mo mos month months monat monate monaten mois mes meses",
    "year": "y yr yrs year years jahr jahre jahren an ans année années año años",
}.items():
    for _name in _names.split():
        _UNIT_NAMES[_name] = _unit

_COUNT_WORDS = {
    "a": 1, "an": 1, "one": 1, "ein": 1, "eine": 1, "einer": 1, "einem": 1, "einen": 1,
    "un": 1, "une": 1, "uno": 1, "una": 1, "two": 2, "three": 3, "few": 3, "a few": 3,
}  # fmt: skip
_COUNT = r"(\d{1,4}|an?|one|two|three|a few|ein(?:e[rmn]?)?|une?|uno|una)"
_UNIT = r"([^\W\d_]{1,9})\.?"
_AGO_RES = (
    re.compile(rf"{_COUNT}\s*{_UNIT}\s+ago"),
    re.compile(rf"vor\s+{_COUNT}\s*{_UNIT}"),
    re.compile(rf"il y a\s+{_COUNT}\s*{_UNIT}"),
    re.compile(rf"hace\s+{_COUNT}\s*{_UNIT}"),
)
# "2d", "4h", "30 min", "1 hr": abbreviated units need no "ago" (app lists write them bare).
_BARE_UNITS = frozenset({"s", "sec", "m", "min", "mins", "h", "hr", "hrs", "d", "w", "wk", "mo"})
_BARE_UNITS |= frozenset({"y", "yr", "yrs", "std"})
_BARE_RE = re.compile(r"(\d{1,4})\s?([a-z]{1,4})\.?")
_PREFIX_RE = re.compile(
    r"(?:last updated|updated|posted|published|edited|aktualisiert|veröffentlicht|"
    r"mis à jour|publié le|publié|actualizado|publicado)\s*(?:on|am|le|el)?\s*:?\s*"
)
_NOW_WORDS = frozenset(
    {"just now", "now", "moments ago", "a moment ago", "a few seconds ago", "seconds ago",
     "gerade eben", "soeben", "à l'instant", "ahora", "ahora mismo", "justo ahora"}
)  # fmt: skip
_TODAY_WORDS = frozenset({"today", "heute", "aujourd'hui", "hoy"})
_YESTERDAY_WORDS = frozenset({"yesterday", "gestern", "hier", "ayer"})
_DAY_AT_RE = re.compile(
    r"([^\W\d_][^\W\d_']*(?:'[^\W\d_]+)?)\s*(?:,|at|um|à|a las)?\s*"
    r"(\d{1,2})[:.h](\d{2})\s*([ap]\.?m\.?)?(?:\s*uhr)?"
)


def _aware(captured_at: dt.datetime) -> dt.datetime:
    if captured_at.tzinfo is None:
        raise ValueError("captured_at must be timezone-aware (every time in Gloss is UTC-aware)")
    return captured_at


def _months_before(moment: dt.datetime, months: int) -> dt.datetime:
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    if year < dt.MINYEAR:
        raise OverflowError
    day = min(moment.day, _days_in_month(year, month + 1))
    return moment.replace(year=year, month=month + 1, day=day)


def _days_in_month(year: int, month: int) -> int:
    following = dt.date(year + (month == 12), month % 12 + 1, 1)
    return (following - dt.timedelta(days=1)).day


def _before(captured_at: dt.datetime, count: int, unit: str) -> dt.datetime | None:
    try:
        if unit == "month":
            moment = _months_before(captured_at, count)
        elif unit == "year":
            moment = _months_before(captured_at, count * 12)
        else:
            moment = captured_at - dt.timedelta(seconds=count * _UNIT_SECONDS[unit])
        return moment.astimezone(dt.UTC).replace(microsecond=0)
    except (OverflowError, ValueError):
        return None


def _clock(hour: int, minute: int, meridiem: str | None) -> tuple[int, int] | None:
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem.startswith("p") else 0)
    if hour > 23 or minute > 59:
        return None
    return hour, minute


def resolve_relative_time(phrase: str, captured_at: dt.datetime) -> dt.datetime | None:
    """The UTC moment a relative phrase ("4 hours ago", "2d", "yesterday") names, or ``None``.

    ``captured_at`` must be aware; a clock time ("yesterday at 3:15 PM") is read in its zone,
    since that is the zone of the screen the text was copied from.
    """
    captured_at = _aware(captured_at)
    s = _fold(phrase.lower()).strip(" .,;·•|()[]")
    if not s or len(s) > 60:
        return None
    s = _PREFIX_RE.sub("", s, count=1) if _PREFIX_RE.match(s) else s
    if s in _NOW_WORDS:
        return captured_at.astimezone(dt.UTC).replace(microsecond=0)
    if s in _TODAY_WORDS or s in _YESTERDAY_WORDS:
        days = 1 if s in _YESTERDAY_WORDS else 0
        return _before(captured_at, days, "day")
    at = _DAY_AT_RE.fullmatch(s)
    if at is not None and (at.group(1) in _TODAY_WORDS or at.group(1) in _YESTERDAY_WORDS):
        clock = _clock(int(at.group(2)), int(at.group(3)), at.group(4))
        if clock is None:
            return None
        day = captured_at - dt.timedelta(days=1 if at.group(1) in _YESTERDAY_WORDS else 0)
        moment = day.replace(hour=clock[0], minute=clock[1], second=0, microsecond=0)
        return moment.astimezone(dt.UTC)
    for pattern in _AGO_RES:
        match = pattern.fullmatch(s)
        if match is not None:
            unit = _UNIT_NAMES.get(match.group(2))
            count_text = match.group(1)
            count = int(count_text) if count_text.isdigit() else _COUNT_WORDS.get(count_text)
            if unit is None or count is None:
                return None
            return _before(captured_at, count, unit)
    bare = _BARE_RE.fullmatch(s.removesuffix(" ago"))
    if bare is not None and bare.group(2) in _BARE_UNITS:
        return _before(captured_at, int(bare.group(1)), _UNIT_NAMES[bare.group(2)])
    return None


_MONTHS: dict[str, int] = {}
for _number, _month_names in enumerate(
    (
        "jan january januar janvier enero ene",
        "feb february februar février fevrier febrero",
        "mar march märz maerz mars marzo",
        "apr april avril abril",
        "may mai mayo",
        "jun june juni juin junio",
        "jul july juli juillet julio",
        "aug august août aout agosto ago",
        "sep sept september septembre septiembre set",
        "oct october oktober okt octobre octubre",
        "nov november novembre noviembre",
        "dec december dezember dez décembre decembre diciembre dic",
    ),
    1,
):
    for _name in _month_names.split():
        _MONTHS[_name] = _number

_WEEKDAY_RE = re.compile(r"^(?:[^\W\d_]{2,12}\.?,?\s+)?")
_CLOCK = r"(?:,?\s*(?:at|um|à|a las)?\s*(\d{1,2})[:.h](\d{2})\s*([ap]\.?m\.?)?(?:\s*uhr)?)?"
_ZONE = r"(?:\s*\(?(utc|gmt|z)\)?)?"
_MONTH_FIRST_RE = re.compile(
    rf"([^\W\d_]{{3,10}})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(\d{{4}}))?{_CLOCK}{_ZONE}"
)
_DAY_FIRST_RE = re.compile(
    rf"(\d{{1,2}})\.?\s*(?:de\s+)?([^\W\d_]{{3,10}})\.?(?:\s+(?:de\s+)?(\d{{4}}))?{_CLOCK}{_ZONE}"
)
_NUMERIC_RE = re.compile(rf"(\d{{1,2}})\.(\d{{1,2}})\.(\d{{4}}){_CLOCK}{_ZONE}")
_ISO_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?", re.I
)


def _absolute_time(phrase: str, captured_at: dt.datetime) -> dt.datetime | None:
    """A written date ("Nov 24, 2026", "24 November 2026 10:30", "2026-11-24"), or ``None``.

    A date without a zone is read in ``captured_at``'s zone; without a year, it is the latest
    such day not after the capture.
    """
    s = _fold(phrase.lower()).strip(" .,;·•|()[]")
    if not s or len(s) > 60:
        return None
    s = _PREFIX_RE.sub("", s, count=1) if _PREFIX_RE.match(s) else s
    if _ISO_RE.fullmatch(s):
        try:
            parsed = dt.datetime.fromisoformat(s.upper().replace(" ", "T"))
        except ValueError:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=captured_at.tzinfo)
        return parsed.astimezone(dt.UTC)
    s = _WEEKDAY_RE.sub("", s, count=1) if not s[:1].isdigit() else s
    for attempt in (s, phrase.lower().strip()):
        found = _written_date(attempt, captured_at)
        if found is not None:
            return found
    return None


def _written_date(s: str, captured_at: dt.datetime) -> dt.datetime | None:
    month_first = _MONTH_FIRST_RE.fullmatch(s)
    day_first = _DAY_FIRST_RE.fullmatch(s)
    numeric = _NUMERIC_RE.fullmatch(s)
    if month_first is not None:
        month = _MONTHS.get(month_first.group(1))
        day, year = int(month_first.group(2)), month_first.group(3)
        rest = month_first.groups()[3:]
    elif day_first is not None:
        month = _MONTHS.get(day_first.group(2))
        day, year = int(day_first.group(1)), day_first.group(3)
        rest = day_first.groups()[3:]
    elif numeric is not None:
        month = int(numeric.group(2))
        day, year = int(numeric.group(1)), numeric.group(3)
        rest = numeric.groups()[3:]
    else:
        return None
    if month is None or not 1 <= month <= 12:
        return None
    hour, minute, meridiem, zone = rest
    clock = (0, 0) if hour is None else _clock(int(hour), int(minute), meridiem)
    if clock is None:
        return None
    tz = dt.UTC if zone else captured_at.tzinfo
    local_now = captured_at.astimezone(tz)
    try:
        moment = dt.datetime(int(year) if year else local_now.year, month, day, *clock, tzinfo=tz)
        if not year and moment > local_now + dt.timedelta(days=1):
            moment = moment.replace(year=moment.year - 1)
    except ValueError:
        return None
    return moment.astimezone(dt.UTC)


def _when(phrase: str, captured_at: dt.datetime) -> dt.datetime | None:
    return resolve_relative_time(phrase, captured_at) or _absolute_time(phrase, captured_at)


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# ---- furniture -----------------------------------------------------------------------------------


def _alternatives(*phrases: str) -> str:
    return "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in phrases)


_TRAIL = r"[\s:.!?…»›>→|·•*()\[\]+\-–—\d]*"

# Whole lines that are page or app controls; compared case-insensitively, trailing counts,
# arrows and punctuation allowed ("Share (12)", "Read more »", "Comments 4").
_CONTROL_LINE_RE = re.compile(
    r"[+\s]*(?:"
    + _alternatives(
        "share", "share this", "share this article", "share this story", "share article",
        "share on facebook", "share on twitter", "share on x", "share on linkedin",
        "share on whatsapp", "share via email", "share via", "more sharing options", "tweet",
        "copy link", "copy the link", "link copied", "email", "e-mail", "print", "save",
        "save for later", "saved", "bookmark", "facebook", "twitter", "x", "linkedin",
        "whatsapp", "reddit", "pinterest", "telegram", "messenger", "flipboard", "mastodon",
        "bluesky", "threads", "sign in", "sign up", "log in", "login", "register", "log out",
        "subscribe", "subscribe now", "subscribe for free", "newsletter", "newsletters",
        "create account", "create a free account", "my account", "account", "follow",
        "following", "follow us", "unfollow", "like", "likes", "liked", "reply", "replies",
        "react", "reactions", "upvote", "downvote", "read more", "read full article",
        "read full story", "read the full story", "read the full article", "continue reading",
        "keep reading", "show more", "see more", "view more", "load more", "view original",
        "open original", "read original", "read original article", "view in browser",
        "open in browser", "advertisement", "advertisment", "ad", "ads", "sponsored",
        "sponsored content", "promoted", "paid content", "paid post", "partner content",
        "story continues below advertisement", "story continues below",
        "article continues below", "article continues below advertisement",
        "continue reading below", "scroll to continue", "scroll to continue with content",
        "skip advert", "skip ad", "listen", "listen to this article", "listen to article",
        "play", "pause", "text size", "aa", "menu", "search", "close", "open menu",
        "toggle navigation", "skip to content", "skip to main content", "skip to navigation",
        "back to top", "top", "accept", "accept all", "accept cookies", "reject all",
        "manage preferences", "cookie settings", "got it", "ok", "dismiss", "not now",
        "maybe later", "no thanks", "comment", "comments", "view comments", "show comments",
        "hide comments", "leave a comment", "add a comment", "write a comment", "post a comment",
        "join the conversation", "comments are closed", "be the first to comment",
        "no comments yet", "no comments", "gift this article", "gift article",
        "anzeige", "werbung", "teilen", "kommentare", "mehr lesen", "weiterlesen",
        "publicité", "partager", "lire la suite", "commentaires", "publicidad", "compartir",
        "leer más", "comentarios", "unsubscribe", "manage subscription",
        "manage your subscription", "update your preferences", "forward to a friend",
    )
    + r")"
    + _TRAIL,
    re.IGNORECASE,
)  # fmt: skip

# Lines that open the comments: the article is over (prompts included, counts allowed).
_COMMENTS_RE = re.compile(
    r"(?:\d+\s+)?(?:"
    + _alternatives(
        "comments", "comment", "no comments yet", "no comments", "be the first to comment",
        "be the first to reply", "leave a comment", "add a comment", "write a comment",
        "post a comment", "join the conversation", "join the discussion", "view comments",
        "show comments", "comments are closed", "what do you think", "kommentare",
        "commentaires", "comentarios",
    )
    + r")\b.{0,80}",
    re.IGNORECASE,
)  # fmt: skip

# Headings of a related-articles list. "More from X" names the source of its entries.
_RELATED_RE = re.compile(
    r"(?:#{1,6}\s*)?(?:"
    + _alternatives(
        "related articles", "related", "related stories", "related news", "related coverage",
        "related content", "related reading", "related posts", "more stories", "more news",
        "more like this", "more on this story", "more on this topic", "you may also like",
        "you might also like", "you may be interested in", "you might be interested in",
        "recommended", "recommended for you", "recommended stories", "read next", "up next",
        "what to read next", "most read", "most popular", "popular now", "trending",
        "trending now", "top stories", "also read", "don't miss", "editor's picks",
        "full coverage", "other news", "more top stories", "ähnliche artikel", "mehr zum thema",
        "das könnte sie auch interessieren", "à lire aussi", "lire aussi", "articles similaires",
        "sur le même sujet", "artículos relacionados", "te puede interesar", "más noticias",
    )
    + r")\s*:?\s*",
    re.IGNORECASE,
)  # fmt: skip
_MORE_FROM_RE = re.compile(
    r"(?:#{1,6}\s*)?(?:more from|mehr von|plus de|más de)\s+(.{2,60}?)\s*:?", re.IGNORECASE
)

# The page footer: nothing after it is article.
_FOOTER_RE = re.compile(
    r"(?:©|\(c\)|copyright\b).{0,120}|.{0,80}\ball rights reserved\b.{0,40}|(?:"
    + _alternatives(
        "privacy policy", "privacy", "privacy notice", "terms of use", "terms of service",
        "terms and conditions", "terms", "cookie policy", "cookies policy", "contact us",
        "about us", "accessibility", "sitemap", "site map", "careers", "advertise with us",
        "advertise", "do not sell my personal information", "impressum", "datenschutz",
        "mentions légales", "aviso legal",
    )
    + r")"
    + _TRAIL,
    re.IGNORECASE,
)  # fmt: skip

_APP_PROMO_RE = re.compile(
    r".{0,80}\b(?:download|get|try|open|install|continue|use|read)\b.{0,40}\bapp\b.{0,60}"
    r"|.{0,40}\b(?:app store|google play|play store)\b.{0,60}",
    re.IGNORECASE,
)
_ACCOUNT_PROMO_RE = re.compile(
    r".{0,60}\b(?:sign in|sign up|log in|subscribe|create an? (?:free )?account|"
    r"newsletter|already a subscriber|already have an account)\b.{0,80}",
    re.IGNORECASE,
)
_COOKIE_RE = re.compile(r".{0,300}\bcookies?\b.{0,300}", re.IGNORECASE)
_COOKIE_HINT_RE = re.compile(
    r"\b(?:we use|uses|accept|consent|by continuing|privacy|settings|preferences|"
    r"manage|reject)\b",
    re.IGNORECASE,
)
_APP_CREDIT_RE = re.compile(
    r"(?:flipped|curated|shared|saved|posted|clipped)\s+(?:into|in|by|via|from|to)\s+.{1,80}",
    re.IGNORECASE,
)
_FOLLOW_RE = re.compile(
    r"\+?\s*follow(?:\s+us)?(?:\s+on\s+.{1,40}|\s+@\S{1,40}|\s+.{1,40}\s+on\s+google news)",
    re.IGNORECASE,
)
_READ_MORE_LINE_RE = re.compile(
    r"(?:read more|read also|also read|see also|related|more|watch|listen|read next|"
    r"read the full (?:story|article)|read more at|read it at|read on|weiterlesen|lesen sie auch|"
    r"lire aussi|lee también)\s*(?::|on|at|»|›)\s*.{1,160}",
    re.IGNORECASE,
)
_HASHTAG_LINE_RE = re.compile(r"(?:#[^\s#]{1,60}[\s,]*)+")
_TAGS_LINE_RE = re.compile(
    r"(?:tags|topics|filed under|schlagwörter|themen|mots-clés|etiquetas)\s*:\s*.{1,200}",
    re.IGNORECASE,
)
# Reaction rows and bare counts: numbers, "1.2K", emoji and symbols, count words.
_REACTION_WORDS = (
    r"likes?|comments?|shares?|reactions?|views?|reads?|retweets?|reposts?|replies|reply|"
    r"upvotes?|points?|claps?|kudos|hearts?|saves?"
)
_REACTION_RE = re.compile(
    rf"(?:[\d.,]+[kKmM]?\s*(?:{_REACTION_WORDS})?|(?:{_REACTION_WORDS})\s*[\d.,]*[kKmM]?|"
    r"[^\w\s])(?:[\s·•|,]*(?:[\d.,]+[kKmM]?\s*(?:" + _REACTION_WORDS + r")?|[^\w\s]))*",
    re.IGNORECASE,
)
_READING_TIME_RE = re.compile(
    r"(?:\d{1,3}\s*(?:-\s*)?(?:min(?:ute)?s?|m)\.?\s*(?:read|listen|watch|lesezeit|de lecture|"
    r"de lectura)|(?:reading time|lesezeit|temps de lecture|tiempo de lectura)\s*:?\s*\d{1,3}"
    r"\s*(?:min(?:ute)?s?|minuten)?)",
    re.IGNORECASE,
)
_PHOTO_CREDIT_RE = re.compile(
    r"(?:\(?(?:photo|image|picture|foto|bild|credit|photograph)(?:\s+credit)?\s*:.{1,120}|"
    r".{0,80}/\s*(?:getty images|reuters|ap|afp|shutterstock|alamy|epa|dpa)\)?)",
    re.IGNORECASE,
)
_NAV_WORDS = _word_set(
    """home news world uk us europe politics business economy markets money tech technology
    science health sport sports football culture arts opinion lifestyle travel food weather
    video videos live podcasts audio entertainment climate environment local national
    international education more sections latest trending games puzzles crosswords shop
    jobs events magazine today start startseite nachrichten politik wirtschaft kultur
    accueil actualités monde économie portada noticias mundo economía deportes"""
)


def _furniture(line: str) -> bool:
    """A line that belongs to the page or the app around the article, wherever it stands."""
    if len(line) > 400:
        return False
    if len(line) <= 120 and (
        _CONTROL_LINE_RE.fullmatch(line)
        or _REACTION_RE.fullmatch(line)
        or _READING_TIME_RE.fullmatch(line)
        or _FOLLOW_RE.fullmatch(line)
        or _APP_CREDIT_RE.fullmatch(line)
        or _HASHTAG_LINE_RE.fullmatch(line)
    ):
        return True
    if _TAGS_LINE_RE.fullmatch(line) or _HASHTAG_LINE_RE.fullmatch(line):
        return True
    words = len(line.split())
    if words <= 16 and (_APP_PROMO_RE.fullmatch(line) or _ACCOUNT_PROMO_RE.fullmatch(line)):
        return True
    if words <= 14 and (_READ_MORE_LINE_RE.fullmatch(line) or _PHOTO_CREDIT_RE.fullmatch(line)):
        return True
    return bool(
        words <= 60 and _COOKIE_RE.fullmatch(line) and _COOKIE_HINT_RE.search(line) is not None
    )


def looks_like_markdown(text: str) -> bool:
    """Whether ``text`` is written in Markdown (a read-later export, a note), not plain prose.

    One unmistakable sign is enough (an ATX heading with its space, a ``[link](url)``, an image,
    a code fence, front matter); otherwise two different weaker signs are needed, because plain
    text has lists and the odd ``**`` too. A ``#hashtag`` line is not a heading.
    """
    text = _normalize(text[:200_000])
    if _FRONT_MATTER_RE.match(text):
        return True
    if _MD_STRONG_RE.search(text):
        return True
    weak = sum(1 for pattern in _MD_WEAK_RES if pattern.search(text))
    return weak >= 2


_FRONT_MATTER_RE = re.compile(r"---[ \t]*\n(?:[^\n]{0,500}\n){1,60}?---[ \t]*(?:\n|$)")
_MD_STRONG_RE = re.compile(
    r"(?m)^ {0,3}#{1,6}[ \t]+\S|\[[^\[\]\n]{1,300}\]\((?:https?://|mailto:|/|#)[^()\s]{0,2000}\)"
    r"|^ {0,3}(?:```|~~~)|!\[[^\[\]\n]{0,300}\]\("
)
_MD_WEAK_RES = (
    re.compile(r"\*\*[^*\n]{1,200}\*\*|__[^_\n]{1,200}__"),
    re.compile(r"(?m)^ {0,3}(?:[-*+]|\d{1,3}[.)])[ \t]+\S"),
    re.compile(r"(?m)^ {0,3}>[ \t]?\S"),
    re.compile(r"`[^`\n]{1,200}`"),
    re.compile(r"(?m)^ {0,3}(?:-{3,}|\*{3,}|_{3,})[ \t]*$"),
    re.compile(r"(?m)^ {0,3}\|.{1,500}\|[ \t]*$"),
)


# ---- lost paragraph breaks -----------------------------------------------------------------------

# Sentence punctuation, optional closing quotes or bracket, then (optionally an opening quote
# and) a capital letter glued to it: "back.The", "said.”Next", "why?Because".
_GLUE_RE = re.compile(r"([.!?])([\"'”’»)\]]{0,2})(?=[“‘\"«(]?[^\W\d_])")
_ABBREVIATIONS = _word_set(
    """mr mrs ms mx dr prof st sr jr gen sen rep gov lt col capt sgt cpl pvt adm cmdr mt ft
    no nos vol vols fig figs vs rev hon pres supt messrs mme mlle mm hr frau herr etc eg ie
    cf al approx dept est inc ltd co corp bros jan feb mar apr jun jul aug sep sept oct nov
    dec mon tue wed thu fri sat sun ca op ed eds pp nr tel ave blvd rd sq univ ph"""
)


def _glue_points(line: str) -> list[int]:
    """Where a sentence was glued to the next one; see the module notes for what is left alone."""
    if "." not in line and "?" not in line and "!" not in line:
        return []
    points = []
    quotes, counted = 0, 0
    for match in _GLUE_RE.finditer(line):
        start, end = match.start(), match.end()
        after = line[end : end + 4]
        if after[:1] in '“‘"«(':
            after = after[1:]
        if not _sentence_start(after):
            continue
        if start > 0 and line[start - 1] in ".!?":
            continue  # an ellipsis or "?!" run; those are left as they are
        # Words are looked for within 64 characters: a longer "word" is a URL or a code token.
        word_start = line.rfind(" ", max(start - 64, 0), start) + 1
        if word_start == 0 and start > 64:
            continue
        word = line[word_start:start].lstrip("\"'“‘«([")
        following = line[end : end + 64].split(" ", 1)[0]
        if not _glued_after(word) or "@" in following or "://" in following:
            continue
        if match.group(2).startswith('"'):
            # A straight quote closes a quotation only if one is open: 'ago."Next' vs '."We'.
            quotes += line.count('"', counted, match.start(2))
            counted = match.start(2)
            if quotes % 2 == 0:
                end = match.start(2)
        points.append(end)
    return points


def _sentence_start(after: str) -> bool:
    first = after[:1]
    if not first.isupper():
        return False
    second = after[1:2]
    if second == "." and after[2:3].isupper():
        return True  # initials: "year.J.R.R. Tolkien" (the word before is checked by the caller)
    if second == "" or second == " ":
        return first in "AI"
    return second.islower() or second in "'’"


def _glued_after(word: str) -> bool:
    if len(word) < 2 or "." in word or "@" in word or "/" in word or ":" in word:
        return False
    if word.lower() in _ABBREVIATIONS:
        return False
    core = word.rstrip("%)")
    return any(c.islower() for c in core) or (core.isdigit() and len(core) >= 2)


def _split_glued(line: str) -> list[str]:
    points = _glue_points(line)
    if not points:
        return [line]
    pieces, previous = [], 0
    for point in points:
        pieces.append(line[previous:point].strip())
        previous = point
    pieces.append(line[previous:].strip())
    return [piece for piece in pieces if piece]


# ---- line shapes ---------------------------------------------------------------------------------

_URL_LINE_RE = re.compile(r"<?(https?://[^\s<>]{3,2000})>?")
_LABELLED_URL_RE = re.compile(
    r"(?:source|original|url|link|permalink|via|read (?:it |more |the full story )?(?:at|on)|"
    r"read the (?:full )?(?:story|article)|originally published at|quelle|lien)\s*:?\s*"
    r"<?(https?://[^\s<>]{3,2000})>?",
    re.IGNORECASE,
)
_SOURCE_LABEL_RE = re.compile(r"(?:source|quelle|fuente)\s*:\s*(.{2,60})", re.IGNORECASE)
_META_SPLIT_RE = re.compile(r"\s+[-–—|]\s+|\s*[·•|]\s*")
_BYLINE_RE = re.compile(
    r"(?:(?:written|words|story|reporting|text|posted)\s+by|by|von|par|por)\s*:?\s+"
    r"([^\W\d_][^,;:()\d]{1,80}?)(?:\s*,.{0,60})?",
    re.IGNORECASE,
)
_TIME_PREFIX_WORDS = re.compile(r"(?:last updated|updated|posted|published|edited)\b", re.I)
_PUBLICATION_WORDS = _word_set(
    """news times post gazette courier herald journal tribune daily weekly review chronicle
    observer guardian telegraph independent express mail star globe standard press mirror
    record register examiner inquirer monitor bulletin dispatch magazine radio tv wire report
    today online digest ledger quarterly reuters ap afp bbc cnn npr bloomberg zeitung
    nachrichten rundschau
    anzeiger tagblatt monde figaro libération diario periódico noticias gaceta heraldo"""
)
_DOMAIN_RE = re.compile(r"(?:[a-z0-9-]{1,63}\.){1,4}[a-z]{2,12}", re.IGNORECASE)
_TERMINAL = '.!?…:;"”’)]»'


# Every byline or date line has a digit or one of these words; most lines are refused by this.
_META_HINT_RE = re.compile(
    r"\d|\b(?:by|von|par|por|ago|now|today|yesterday|heute|gestern|eben|soeben|hier|hoy|ayer|"
    r"aujourd|instant|ahora|moments?|updated|posted|published|edited)\b",
    re.IGNORECASE,
)


@dataclass(slots=True)
class _Meta:
    author: str | None = None
    source: str | None = None
    published: dt.datetime | None = None
    has_time: bool = False


def _parse_meta(line: str, captured_at: dt.datetime) -> _Meta | None:
    """A byline/date line ("Coastal Courier · 4 hours ago", "By Jane Doe", "Nov 24, 2026")."""
    if len(line) > 160 or _META_HINT_RE.search(line) is None:
        return None
    meta = _Meta()
    unknown: list[str] = []
    for raw_part in _META_SPLIT_RE.split(line):
        part = raw_part.strip(" ,;")
        if not part:
            continue
        when = _when(part, captured_at)
        if when is not None:
            meta.published = meta.published or when
            meta.has_time = True
            continue
        if _TIME_PREFIX_WORDS.match(part) and len(part.split()) <= 8:
            meta.has_time = True  # a date we cannot read ("Updated 10:32 EST"): still a date line
            continue
        byline = _BYLINE_RE.fullmatch(part)
        if byline is not None and len(byline.group(1).split()) <= 8:
            meta.author = meta.author or _fold(byline.group(1))
            continue
        if _READING_TIME_RE.fullmatch(part) or _REACTION_RE.fullmatch(part):
            continue
        unknown.append(part)
    if meta.author is None and not meta.has_time:
        return None
    if len(unknown) > 1 or (unknown and not _name_like(unknown[0])):
        return None
    if unknown:
        meta.source = unknown[0]
    return meta


def _name_like(part: str) -> bool:
    """A publication or person's name: a few words, no sentence punctuation."""
    return 0 < len(part.split()) <= 6 and part[-1] not in ".!?:" and len(part) <= 60


def _publication_like(line: str) -> bool:
    if _DOMAIN_RE.fullmatch(line):
        return True
    return any(word.strip(".,").lower() in _PUBLICATION_WORDS for word in line.split())


def _title_like(line: str) -> bool:
    """Short enough for a headline and not ending like a sentence of prose."""
    if len(line) > 200 or len(line.split()) > 30:
        return False
    if line[-1] in ".,;:" or line.endswith("…"):
        return False
    first = line[0]
    return not first.islower()


def _nav_like(line: str) -> bool:
    words = line.split()
    return len(words) <= 3 and all(w.strip("|·•>»").lower() in _NAV_WORDS for w in words if w)


def _nav_row(line: str) -> bool:
    """ "Home | News | Sport | Weather": three or more short items in one line."""
    parts = [p for p in _META_SPLIT_RE.split(line) if p.strip()]
    return len(parts) >= 3 and all(len(p.split()) <= 3 for p in parts)


# ---- the plain-text reader -----------------------------------------------------------------------


@dataclass(slots=True)
class _Line:
    text: str
    new_block: bool  # a blank line (or a repaired glued sentence) comes before it


@dataclass(slots=True)
class _TeaserDraft:
    title: str
    source: str | None = None
    published: dt.datetime | None = None
    text: list[str] = field(default_factory=list)
    has_meta: bool = False


@dataclass(slots=True)
class _Reader:
    captured_at: dt.datetime
    title: str = ""
    author: str | None = None
    source: str | None = None
    fallback_source: str | None = None
    published: dt.datetime | None = None
    link: str | None = None
    body: list[_Line] = field(default_factory=list)
    related: list[Teaser] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def take_meta(self, meta: _Meta) -> None:
        self.author = self.author or meta.author
        self.source = self.source or meta.source
        self.published = self.published or meta.published

    def take_link(self, line: str) -> bool:
        match = _LABELLED_URL_RE.fullmatch(line) or _URL_LINE_RE.fullmatch(line)
        if match is None:
            return False
        if self.link is None:
            self.link = safe_url(match.group(1).rstrip(".,;)"))
        return True


def _lines(text: str, *, repair: bool) -> list[_Line]:
    lines: list[_Line] = []
    blank = True
    for raw in text.split("\n"):
        line = _fold(raw)
        if not line:
            blank = True
            continue
        pieces = _split_glued(line) if repair else [line]
        for index, piece in enumerate(pieces):
            lines.append(_Line(piece, blank or index > 0))
        blank = False
    return lines


def _read_header(lines: Sequence[_Line], reader: _Reader) -> int:
    """Title, byline and source from the top; returns where the body starts."""
    candidates: list[int] = []
    metas: dict[int, _Meta] = {}
    dropped: set[int] = set()
    start = len(lines)
    for index, line in enumerate(lines):
        text = line.text
        if _furniture(text) or _COMMENTS_RE.fullmatch(text) or _nav_like(text) or _nav_row(text):
            dropped.add(index)
            continue
        meta = _parse_meta(text, reader.captured_at)
        if meta is not None:
            metas[index] = meta
            continue
        if reader.take_link(text):
            continue
        if _DOMAIN_RE.fullmatch(text) and not candidates:
            reader.fallback_source = reader.fallback_source or text  # "harbourlights.example"
            continue
        if not _title_like(text) or len(candidates) >= 12:
            start = index
            break
        candidates.append(index)
    chosen, source_line = _choose_title(lines, candidates, metas)
    sources = _sources_beside_dates(lines, candidates, metas)
    for index in sorted(metas):
        reader.take_meta(metas[index])
    for index in sources:
        reader.source = reader.source or lines[index].text
    if source_line is not None:
        reader.fallback_source = lines[source_line].text
    kept: list[_Line] = []
    for index in range(start):
        text = lines[index].text
        if index in metas or index == source_line or index in sources:
            continue
        if index == chosen:
            reader.title = text
        elif index in dropped:
            reader.removed.append(text)
        elif index in candidates and chosen is not None and index < chosen:
            # A menu above the headline; a publication's name in it is kept as the source.
            if _publication_like(text) and reader.fallback_source is None:
                reader.fallback_source = text
            else:
                reader.removed.append(text)
        elif index in candidates:
            kept.append(_Line(text, True))  # a standfirst under the headline is article text
    reader.body.extend(kept)
    return start


def _choose_title(
    lines: Sequence[_Line], candidates: Sequence[int], metas: dict[int, _Meta]
) -> tuple[int | None, int | None]:
    """The first headline-shaped line, unless it is the source line above the real headline
    (then that line is returned second). Nav menus are runs of three or more one-to-three-word
    lines above a longer line.
    """
    if not candidates:
        return None, None
    run: list[int] = []
    for position, index in enumerate(candidates):
        if len(lines[index].text.split()) <= 3 and position + 1 < len(candidates):
            run.append(position)
            continue
        break
    first = len(run) if len(run) >= 3 else 0
    if first >= len(candidates):
        first = len(candidates) - 1
    chosen = candidates[first]
    if first + 1 < len(candidates):
        following = candidates[first + 1]
        short = len(lines[chosen].text.split()) <= 5
        longer = len(lines[following].text.split()) > len(lines[chosen].text.split())
        dated = following + 1 in metas
        source_named = chosen + 1 in metas and metas[chosen + 1].source is not None
        if (
            short
            and longer
            and not source_named
            and (dated or _publication_like(lines[chosen].text))
        ):
            return following, chosen
    return chosen, None


def _sources_beside_dates(
    lines: Sequence[_Line], candidates: Sequence[int], metas: dict[int, _Meta]
) -> list[int]:
    """A short name line directly above a date line without a source of its own is the source
    ("Coastal Courier" / "4 hours ago"); it is never the first candidate (that is the title)."""
    found = []
    for index in candidates[1:]:
        meta = metas.get(index + 1)
        text = lines[index].text
        if meta is not None and meta.source is None and meta.author is None and _name_like(text):
            found.append(index)
    return found


def _read_body(lines: Sequence[_Line], start: int, reader: _Reader) -> None:
    index = start
    while index < len(lines):
        line = lines[index]
        text = line.text
        if len(text) <= 200 and _FOOTER_RE.fullmatch(text):
            reader.removed.extend(other.text for other in lines[index:])
            return
        if _is_related_heading(text):
            _read_related(lines, index, reader)
            return
        if _COMMENTS_RE.fullmatch(text) and len(text.split()) <= 14:
            index = _skip_comments(lines, index, reader)
            continue
        if _furniture(text):
            reader.removed.append(text)
        elif (meta := _parse_meta(text, reader.captured_at)) is not None:
            if meta.author is None and meta.source is None and reader.published is not None:
                reader.removed.append(text)
            else:
                reader.take_meta(meta)
        elif not reader.take_link(text):
            reader.body.append(line)
        index += 1


def _is_related_heading(text: str) -> bool:
    return len(text) <= 80 and bool(_RELATED_RE.fullmatch(text) or _MORE_FROM_RE.fullmatch(text))


def _skip_comments(lines: Sequence[_Line], index: int, reader: _Reader) -> int:
    """Everything from a comments prompt to the next related list (or the end) is comments."""
    while index < len(lines):
        text = lines[index].text
        if _is_related_heading(text) or (len(text) <= 200 and _FOOTER_RE.fullmatch(text)):
            return index
        reader.removed.append(text)
        index += 1
    return index


def _read_related(lines: Sequence[_Line], index: int, reader: _Reader) -> None:
    """Teasers: a headline, a source/date line and a snippet, in whichever order the app uses."""
    drafts: list[_TeaserDraft] = []
    current: _TeaserDraft | None = None
    pending_meta: _Meta | None = None
    default_source: str | None = None
    while index < len(lines):
        text = _strip_inline_markdown(lines[index].text)
        index += 1
        if not text:
            continue
        if len(text) <= 200 and _FOOTER_RE.fullmatch(text):
            reader.removed.extend(other.text for other in lines[index - 1 :])
            break
        if _is_related_heading(text):
            more_from = _MORE_FROM_RE.fullmatch(text)
            default_source = more_from.group(1) if more_from else None
            reader.removed.append(text)
            current = None
            continue
        if _COMMENTS_RE.fullmatch(text) and len(text.split()) <= 14:
            index = _skip_comments(lines, index - 1, reader)
            current = None
            continue
        if _furniture(text) or _URL_LINE_RE.fullmatch(text):
            reader.removed.append(text)
            continue
        meta = _parse_meta(text, reader.captured_at)
        if meta is not None:
            if current is not None and not current.has_meta:
                current.has_meta = True
                current.source = meta.source or current.source
                current.published = meta.published
            else:
                pending_meta = meta
            continue
        starts_teaser = _title_like(text) and (
            current is None or current.text or current.has_meta or len(text.split()) <= 12
        )
        if current is not None and not current.text and current.has_meta:
            starts_teaser = _title_like(text) and len(text.split()) < 12
        if starts_teaser or current is None:
            current = _TeaserDraft(text, source=default_source)
            if pending_meta is not None:
                current.has_meta = True
                current.source = pending_meta.source or current.source
                current.published = pending_meta.published
                pending_meta = None
            drafts.append(current)
        else:
            current.text.append(text)
    for draft in drafts:
        if draft.text:
            reader.related.append(
                Teaser(draft.title, draft.source, draft.published, " ".join(draft.text))
            )
        else:
            reader.removed.append(draft.title)


def _paragraphs(lines: Sequence[_Line]) -> list[str]:
    """Blank-line blocks are paragraphs. Inside a block, a hard-wrapped text (lines of similar
    length, as mail and terminals write) is joined; otherwise each line is a paragraph (browser
    copies put one paragraph per line), except that a line broken mid-sentence is rejoined."""
    wrapped = _hard_wrapped(lines)
    paragraphs: list[list[str]] = []
    for line in lines:
        if paragraphs and not line.new_block:
            previous = paragraphs[-1][-1]
            broken = previous[-1] not in _TERMINAL and line.text[0].islower()
            if wrapped or broken:
                paragraphs[-1].append(line.text)
                continue
        paragraphs.append([line.text])
    return [" ".join(parts) for parts in paragraphs]


def _hard_wrapped(lines: Sequence[_Line]) -> bool:
    inner = [
        len(line.text) for line, following in itertools.pairwise(lines) if not following.new_block
    ]
    if len(inner) < 3:
        return False
    width = max(inner)
    if not 50 <= width <= 100:
        return False  # lines this short are a list or a poem, not wrapped prose
    near = sum(1 for length in inner if length >= width - 25)
    return near >= 0.8 * len(inner)


def _strip_inline_markdown(line: str) -> str:
    line = re.sub(r"^ {0,3}(?:#{1,6}\s+|[-*+]\s+|\d{1,3}[.)]\s+|>\s?)", "", line)
    line = re.sub(r"!?\[([^\[\]]{0,300})\]\([^()\s]{0,2000}\)", r"\1", line)
    return _fold(line.replace("**", "").replace("__", ""))


def _finish(reader: _Reader, paragraphs: list[str], html: str, is_markdown: bool) -> CleanCapture:
    return CleanCapture(
        title=reader.title,
        author=reader.author,
        source=reader.source or reader.fallback_source,
        published=reader.published,
        link=reader.link,
        html=html,
        paragraphs=tuple(paragraphs),
        related=tuple(reader.related),
        removed=tuple(reader.removed),
        is_markdown=is_markdown,
    )


def _clean_plain(text: str, captured_at: dt.datetime) -> CleanCapture:
    reader = _Reader(captured_at)
    lines = _lines(text, repair=True)
    start = _read_header(lines, reader)
    _read_body(lines, start, reader)
    paragraphs = _paragraphs(reader.body)
    html = html_from_text("\n\n".join(paragraphs))
    return _finish(reader, paragraphs, html, False)


# ---- Markdown ------------------------------------------------------------------------------------

_FENCE_RE = re.compile(r"^ {0,3}(?:```|~~~)")
_TAG_AT_LINE_START_RE = re.compile(r"^( {0,3})#(?=[^\s#])")
_HEADING_RE = re.compile(r" {0,3}#{1,2}\s+(.{1,300}?)\s*#*\s*")
_MARKDOWN_EXTENSIONS = ("extra", "sane_lists")


def _front_matter(text: str, reader: _Reader) -> str:
    match = _FRONT_MATTER_RE.match(text)
    if match is None:
        return text
    try:
        data = yaml.safe_load(match.group(0).strip().strip("-"))
    except yaml.YAMLError:
        return text
    if not isinstance(data, dict):
        return text
    fields = {str(k).lower(): v for k, v in data.items()}

    def first(*names: str) -> str | None:
        for name in names:
            value = fields.get(name)
            if isinstance(value, list) and value:
                value = value[0]
            if isinstance(value, str | int | float) and str(value).strip():
                return _fold(str(value))
            if isinstance(value, dt.datetime | dt.date):
                return value.isoformat()
        return None

    reader.title = first("title") or ""
    reader.author = first("author", "authors", "byline")
    reader.source = first("site", "site_name", "sitename", "publication", "source")
    url = first("url", "link", "source_url", "original_url", "canonical")
    reader.link = safe_url(url) if url else None
    if reader.source is not None and safe_url(reader.source) is not None:
        reader.link = reader.link or safe_url(reader.source)
        reader.source = None
    when = first("published", "date", "published_at", "created")
    if when is not None:
        reader.published = _when(when, reader.captured_at)
    return text[match.end() :]


def _clean_markdown(text: str, captured_at: dt.datetime) -> CleanCapture:
    """A read-later export: front matter and a heading give the fields; the furniture and
    related-list rules of plain text apply to whole lines; the body is rendered, then
    sanitized like any feed content."""
    reader = _Reader(captured_at)
    text = _front_matter(text, reader)
    lines = text.split("\n")
    body: list[str] = []
    fenced = False
    in_header = True
    index = 0
    while index < len(lines):
        raw = lines[index]
        index += 1
        if _FENCE_RE.match(raw):
            fenced = not fenced
            body.append(raw)
            in_header = False
            continue
        if fenced:
            body.append(raw)
            continue
        plain = _strip_inline_markdown(raw)
        if not plain:
            body.append(raw)
            continue
        if in_header:
            heading = _HEADING_RE.fullmatch(raw)
            if heading is not None:
                text = _strip_inline_markdown(heading.group(1))
                if not reader.title or text.casefold() == reader.title.casefold():
                    reader.title = reader.title or text
                    continue
            meta = _parse_meta(plain.strip("*_"), captured_at)
            if meta is not None:
                reader.take_meta(meta)
                continue
            source = _SOURCE_LABEL_RE.fullmatch(plain)
            link = re.search(r"\((https?://[^()\s]{3,2000})\)", raw)
            if source is not None:
                reader.source = reader.source or source.group(1)
                if link is not None and reader.link is None:
                    reader.link = safe_url(link.group(1))
                continue
            if reader.take_link(plain):
                continue
        if len(plain) <= 200 and _FOOTER_RE.fullmatch(plain):
            reader.removed.extend(_fold(rest) for rest in lines[index - 1 :] if rest.strip())
            break
        if _is_related_heading(plain):
            rest = _lines("\n".join(lines[index - 1 :]), repair=False)
            _read_related(rest, 0, reader)
            break
        if _COMMENTS_RE.fullmatch(plain) and len(plain.split()) <= 14:
            reader.removed.extend(_fold(rest) for rest in lines[index - 1 :] if rest.strip())
            break
        if _furniture(plain) or _furniture(raw.strip()):
            reader.removed.append(raw.strip())
            continue
        in_header = False
        body.append(_TAG_AT_LINE_START_RE.sub(r"\1\\#", raw))
    rendered = markdown.markdown(
        "\n".join(body), extensions=list(_MARKDOWN_EXTENSIONS), output_format="html"
    )
    html = sanitize_html(rendered, reader.link)
    paragraphs = [p for p in canonical_text(html).split("\n\n") if p.strip()]
    return _finish(reader, paragraphs, html, True)


# ---- entry point ---------------------------------------------------------------------------------


def clean_capture(text: str, *, captured_at: dt.datetime) -> CleanCapture:
    """The article in a pasted or saved text capture, its fields, teasers and dropped furniture.

    ``captured_at`` (aware) anchors relative times such as "4 hours ago". Markdown input is
    rendered; plain text gets its paragraph breaks repaired. See the module notes.
    """
    captured_at = _aware(captured_at)
    normalized = _normalize(text)
    if looks_like_markdown(normalized):
        return _clean_markdown(normalized, captured_at)
    return _clean_plain(normalized, captured_at)
