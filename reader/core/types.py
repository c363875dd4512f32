"""Values that cross the core's boundary: typed ids, frozen records, and ``Changes``.

All datetimes are timezone-aware UTC; conversion to local time happens only on screen.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NewType

FolderId = NewType("FolderId", int)
FeedId = NewType("FeedId", int)
ArticleId = NewType("ArticleId", int)
TextId = NewType("TextId", int)
HighlightId = NewType("HighlightId", int)
NoteId = NewType("NoteId", int)
TagId = NewType("TagId", int)
SavedSearchId = NewType("SavedSearchId", int)
RuleId = NewType("RuleId", int)


class FeedStatus(StrEnum):
    """What ``gloss feeds`` shows per feed."""

    NEW = "new"  # never fetched
    OK = "ok"
    ERROR = "error"
    MUTED = "muted"  # 410 Gone or muted by the user: not polled until retried


class RefreshOutcome(StrEnum):
    OK = "ok"
    NOT_MODIFIED = "not_modified"
    ERROR = "error"


class TextSource(StrEnum):
    FEED = "feed"
    FULLTEXT = "fulltext"
    SAVED = "saved"


class FullTextPolicy(StrEnum):
    """Per feed: when to fetch the linked page and extract the article from it."""

    AUTO = "auto"  # when the feed's text looks like a summary (summaries.looks_like_summary)
    ALWAYS = "always"
    NEVER = "never"


class WorkState(StrEnum):
    """Where an article's offline work (full text, images) stands."""

    NONE = "none"  # nothing to do
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"  # retried later while ``retry_at`` is set


@dataclass(frozen=True, slots=True)
class Folder:
    id: FolderId
    name: str
    parent_id: FolderId | None


@dataclass(frozen=True, slots=True)
class Feed:
    id: FeedId
    url: str
    title: str  # the user's title if set, else the feed's, else the URL
    site_url: str | None
    folder_id: FolderId | None
    folder: str | None  # folder path joined with " / ", for display and JSON
    status: FeedStatus
    error: str | None
    unread: int
    last_fetched_at: dt.datetime | None
    next_fetch_at: dt.datetime | None
    muted: bool
    favicon: str | None = None  # a cache: URL (image_cache.resolve_cache_url), once looked up
    full_text: FullTextPolicy = FullTextPolicy.AUTO
    images: bool = True  # download this feed's images for offline reading
    keep_read_days: int | None = None  # retention: read articles older than this go; None: kept
    notify: bool = False  # a desktop notification when a refresh brings new articles


@dataclass(frozen=True, slots=True)
class Article:
    id: ArticleId
    feed_id: FeedId | None  # None once the feed was removed but the article kept for its notes
    feed_title: str | None
    title: str
    link: str | None  # None unless http(s): only those may be opened
    author: str | None
    published: dt.datetime | None
    updated: dt.datetime | None
    added: dt.datetime
    read: bool
    starred: bool
    sort_at: dt.datetime  # published, else updated, else added: the list's date
    saved: bool = False  # saved by the user (a page, a file, a text), not from a feed


@dataclass(frozen=True, slots=True)
class ArticleText:
    id: TextId
    article_id: ArticleId
    source: TextSource
    html: str  # sanitized
    text: str  # canonical text (content.canonical_text)
    text_sha256: str
    canon_version: int
    extractor: str | None
    extractor_version: str | None
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class OfflineStatus:
    """What the reading view says about an article's full text and images."""

    fulltext: WorkState
    fulltext_error: str | None
    fulltext_retry_at: dt.datetime | None
    images: WorkState
    images_error: str | None
    images_stored: int
    images_missing: int  # referenced but not (yet) in the cache: shown as their alt text


@dataclass(frozen=True, slots=True)
class RelatedArticle:
    id: ArticleId
    title: str


@dataclass(frozen=True, slots=True)
class ArticleDetail:
    article: Article
    text: ArticleText | None
    sources: tuple[TextSource, ...] = ()  # the kinds of text stored (switchable), current first
    related: tuple[RelatedArticle, ...] = ()  # teasers saved with a capture, and the reverse
    offline: OfflineStatus | None = None


@dataclass(frozen=True, slots=True)
class ArticleCursor:
    """Keyset position in the article list: the last row seen (rule 6: never OFFSET)."""

    sort_at: dt.datetime
    id: ArticleId


@dataclass(frozen=True, slots=True)
class ArticlePage:
    articles: tuple[Article, ...]
    next_cursor: ArticleCursor | None  # None when this was the last page


@dataclass(frozen=True, slots=True)
class ArticleFilter:
    feed_ids: tuple[FeedId, ...] | None = None  # None: every feed
    folder_id: FolderId | None = None
    unread_only: bool = False
    starred_only: bool = False
    since: dt.datetime | None = None  # for "Today"
    has_annotations: bool = False
    tag: str | None = None  # the article or one of its highlights carries this tag
    text: str | None = None  # quick filter on title (substring, case-insensitive)
    newest_first: bool = True
    saved_only: bool = False  # the "Saved" source: pages, files and texts the user saved
    query: str | None = None  # a search (query.py language): articles with a hit, newest first
    older_than: ArticleCursor | None = None  # strictly older than this row ("mark older as read")


HIGHLIGHT_COLORS: tuple[str, ...] = ("yellow", "green", "blue", "pink", "purple")
"""The five highlight colours, default first. Users name them ("important", "question")."""

DEFAULT_HIGHLIGHT_COLOR = HIGHLIGHT_COLORS[0]


class AnchorStatus(StrEnum):
    """Where a highlight stands against the article's current text (reliability.md §5.3)."""

    EXACT = "exact"
    RELOCATED = "relocated"
    FUZZY = "fuzzy"  # found with edits: shown with a "review" affordance
    AMBIGUOUS = "ambiguous"  # several equally good places: the best is shown, others offered
    ORPHAN = "orphan"  # not found: kept, listed under "Could not place", exported


@dataclass(frozen=True, slots=True)
class Highlight:
    """A highlight as the user sees it now.

    ``start``/``end`` are code-point offsets in the canonical text of ``text_id`` (the version it
    is anchored in, normally the article's current text). For an orphan they are the offsets it
    had when made, which point at nothing; ``anchor`` says which.
    """

    id: HighlightId
    article_id: ArticleId
    quote: str
    prefix: str
    suffix: str
    start: int
    end: int
    color: str
    note: str | None
    tags: tuple[str, ...]
    anchor: str  # AnchorStatus value
    created_at: dt.datetime
    updated_at: dt.datetime
    uuid: str = ""
    text_id: TextId | None = None
    score: float | None = None
    deleted_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class HighlightFilter:
    """What the global Highlights view asks for; every field narrows, ``None`` means any."""

    colors: tuple[str, ...] | None = None
    tag: str | None = None
    feed_ids: tuple[FeedId, ...] | None = None
    article_id: ArticleId | None = None
    orphans_only: bool = False
    limit: int | None = None
    before: tuple[dt.datetime, HighlightId] | None = None  # keyset: (created_at, id) of last row


@dataclass(frozen=True, slots=True)
class HighlightEntry:
    """A highlight with the article it belongs to, for lists that span the library."""

    highlight: Highlight
    article_title: str
    feed_title: str | None
    feed_id: FeedId | None


@dataclass(frozen=True, slots=True)
class NoteEntry:
    """An article note with its article, for the global Highlights & Notes view."""

    note: Note
    article_title: str
    feed_title: str | None
    feed_id: FeedId | None


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What ``import-annotations`` did, per annotation, so nothing vanishes without a word."""

    added: int = 0
    updated: int = 0  # same uuid already here: the newer edit won (A6/T22)
    unchanged: int = 0
    orphans: int = 0  # added, but the passage was not found in this library's text
    unmatched: tuple[str, ...] = ()  # article URLs this library does not hold
    skipped: tuple[str, ...] = ()  # annotations of the file Gloss could not use, with the reason


@dataclass(frozen=True, slots=True)
class TagCount:
    name: str
    articles: int
    highlights: int


@dataclass(frozen=True, slots=True)
class ReanchorReport:
    """Counts after re-anchoring (T18/T19: the user is told what moved and what was lost)."""

    exact: int = 0
    relocated: int = 0
    fuzzy: int = 0
    ambiguous: int = 0
    orphan: int = 0

    @property
    def total(self) -> int:
        return self.exact + self.relocated + self.fuzzy + self.ambiguous + self.orphan

    def __add__(self, other: ReanchorReport) -> ReanchorReport:
        return ReanchorReport(
            self.exact + other.exact,
            self.relocated + other.relocated,
            self.fuzzy + other.fuzzy,
            self.ambiguous + other.ambiguous,
            self.orphan + other.orphan,
        )


@dataclass(frozen=True, slots=True)
class ExportArticle:
    """Everything the Markdown export writes about one article (pure data: no database)."""

    article: Article
    highlights: tuple[Highlight, ...]  # live ones, article order; orphans last
    notes: tuple[Note, ...]  # live article notes, oldest first
    tags: tuple[str, ...]  # the article's tags and its highlights' tags, sorted
    site_url: str | None = None


@dataclass(frozen=True, slots=True)
class ExportReport:
    directory: str
    written: tuple[str, ...] = ()  # file names created or updated
    unchanged: tuple[str, ...] = ()  # nothing new to write
    kept_user_edits: tuple[str, ...] = ()  # generated part edited by the user: not overwritten
    conflict_copies: tuple[str, ...] = ()  # where the new export went instead (X13)
    removed_temp_files: int = 0


@dataclass(frozen=True, slots=True)
class Note:
    id: NoteId
    article_id: ArticleId
    body: str
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class RefreshResult:
    """One per feed per refresh (rule 4: errors are values)."""

    feed_id: FeedId
    url: str
    outcome: RefreshOutcome
    new_articles: int = 0
    updated_articles: int = 0
    error: str | None = None
    warning: str | None = None  # survivable oddities: malformed XML with items, wrong charset
    url_changed_from: str | None = None  # set when a permanent redirect moved the feed
    articles: tuple[ArticleId, ...] = ()  # new and changed articles (their offline work follows)


@dataclass(frozen=True, slots=True)
class Changes:
    """What a mutation changed, so each pane refreshes only what concerns it (rule 2)."""

    feeds: frozenset[FeedId] = frozenset()
    articles: frozenset[ArticleId] = frozenset()
    folders: bool = False  # the folder tree or feed membership changed
    counts: bool = False  # unread counts may have changed
    highlights: frozenset[HighlightId] = frozenset()
    notes: frozenset[NoteId] = frozenset()
    tags: bool = False
    labels: bool = False  # a highlight colour was renamed
    saved: bool = False  # the Saved source gained or lost articles
    searches: bool = False  # saved searches (smart folders) were added, renamed or removed
    rules: bool = False  # arrival rules changed

    def __or__(self, other: Changes) -> Changes:
        return Changes(
            feeds=self.feeds | other.feeds,
            articles=self.articles | other.articles,
            folders=self.folders or other.folders,
            counts=self.counts or other.counts,
            highlights=self.highlights | other.highlights,
            notes=self.notes | other.notes,
            tags=self.tags or other.tags,
            labels=self.labels or other.labels,
            saved=self.saved or other.saved,
            searches=self.searches or other.searches,
            rules=self.rules or other.rules,
        )

    def __bool__(self) -> bool:
        return bool(
            self.feeds
            or self.articles
            or self.folders
            or self.counts
            or self.highlights
            or self.notes
            or self.tags
            or self.labels
            or self.saved
            or self.searches
            or self.rules
        )


@dataclass(frozen=True, slots=True)
class AddFeedResult:
    feed: Feed
    changes: Changes
    first_refresh: RefreshResult | None = None


@dataclass(frozen=True, slots=True)
class RefreshPlan:
    """Which feeds a refresh will fetch, and which it leaves alone and why."""

    feed_ids: tuple[FeedId, ...]
    skipped: tuple[tuple[FeedId, str], ...]  # (feed, reason): muted, asked to wait, not due


@dataclass(frozen=True, slots=True)
class OpmlImportResult:
    added: int
    skipped: int  # already subscribed
    folders_created: int
    changes: Changes = field(default_factory=Changes)


@dataclass(frozen=True, slots=True)
class CheckReport:
    ok: bool
    messages: tuple[str, ...]
    library_path: str
    size_bytes: int
    feeds: int
    articles: int
    backups: tuple[str, ...]
    image_cache_bytes: int = 0
    image_files: int = 0
    orphan_images: int = 0  # cache files no stored article or feed refers to
    orphan_bytes: int = 0


@dataclass(frozen=True, slots=True)
class OfflineSettings:
    """Library-wide offline settings (a feed can turn images off for itself too)."""

    images: bool = True
    image_cache_mb: int = 2048  # total cap of the image cache
    max_image_mb: int = 10  # one image larger than this is not kept
    full_text_default: FullTextPolicy = FullTextPolicy.AUTO  # the policy a new feed starts with


@dataclass(frozen=True, slots=True)
class OfflineProgress:
    """One article's offline work is finished (stored or failed): ``done`` of ``total``."""

    done: int
    total: int
    article_id: ArticleId
    title: str
    full_text: bool  # a full text was stored for it
    images_stored: int
    bytes_stored: int
    error: str | None  # what failed (full text or images), to be retried later
    changes: Changes


@dataclass(frozen=True, slots=True)
class OfflineReport:
    """The running total of an offline run, as the CLI and the window summarise it."""

    articles: int = 0
    full_texts: int = 0
    images: int = 0
    bytes: int = 0
    failed: int = 0

    def add(self, step: OfflineProgress) -> OfflineReport:
        return OfflineReport(
            articles=self.articles + 1,
            full_texts=self.full_texts + int(step.full_text),
            images=self.images + step.images_stored,
            bytes=self.bytes + step.bytes_stored,
            failed=self.failed + int(step.error is not None),
        )


@dataclass(frozen=True, slots=True)
class SaveResult:
    """``save_url`` / ``save_file`` / ``save_text``: what was stored, or what was already there."""

    article_id: ArticleId
    title: str
    duplicate: bool  # already in the library: nothing new was stored
    related: tuple[ArticleId, ...] = ()  # teasers from a text capture, saved separately
    changes: Changes = field(default_factory=Changes)


# ---- search -----------------------------------------------------------------------------------


class HitKind(StrEnum):
    ARTICLE = "article"
    HIGHLIGHT = "highlight"
    NOTE = "note"


@dataclass(frozen=True, slots=True)
class Snippet:
    """A short excerpt around the matches; ``marks`` are (start, end) spans of matched words."""

    text: str
    marks: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class SearchHit:
    kind: HitKind
    id: int  # the article's, the highlight's or the note's id, by kind
    article_id: ArticleId
    title: str  # the article's title
    feed_title: str | None
    snippet: Snippet
    date: dt.datetime  # the article's date (sort_at); for highlights and notes, when written
    read: bool
    starred: bool
    color: str | None = None  # highlight hits
    offset: int | None = None  # where to scroll: a canonical-text offset in the current text
    rank: float = 0.0  # lower is better (bm25); 0.0 when sorted by date


@dataclass(frozen=True, slots=True)
class SearchResults:
    hits: tuple[SearchHit, ...]
    more: bool  # there are more hits than the limit


@dataclass(frozen=True, slots=True)
class SavedSearch:
    """A smart folder: a named search whose articles form a list like a feed's."""

    id: SavedSearchId
    name: str
    query: str  # canonical form (query.format_query)
    unread: int = 0  # unread articles with a hit


# ---- arrival rules ----------------------------------------------------------------------------


class RuleField(StrEnum):
    ANY = "any"  # title, content, author or link
    TITLE = "title"
    CONTENT = "content"
    AUTHOR = "author"
    LINK = "link"


class RuleKind(StrEnum):
    WORDS = "words"  # every word, case-insensitive, whole words
    REGEX = "regex"  # a regular expression, searched with a time limit


class RuleAction(StrEnum):
    READ = "read"
    STAR = "star"
    TAG = "tag"
    SKIP = "skip"  # never store the article


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """What a rule says, before it is stored (or to preview it)."""

    field: RuleField
    kind: RuleKind
    pattern: str
    action: RuleAction
    tag: str | None = None  # for RuleAction.TAG
    feed_id: FeedId | None = None  # None: every feed


@dataclass(frozen=True, slots=True)
class Rule:
    id: RuleId
    spec: RuleSpec
    enabled: bool
    matched: int  # articles it acted on so far
    last_error: str | None  # e.g. the regular expression ran out of time
    feed_title: str | None = None  # for display; None for every feed
