"""Every command of the window in one table: name, text, default shortcuts, icon, menu.

Menus, the toolbar, context menus and the shortcuts sheet (``?``) are all built from ``ACTIONS``,
so a shortcut shown anywhere is the shortcut that works. Defaults follow the Google Reader /
NetNewsWire tradition; users override them in the ``[shortcuts]`` section of the window's INI file
(``next_article=Ctrl+J``; an empty value unbinds). Each action calls the method of the same name
on the object that owns the actions (the main window), so the table stays plain data.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu

V = TypeVar("V", bound=Hashable)


@dataclass(frozen=True, slots=True)
class ActionSpec:
    name: str  # also the handler's method name
    text: str
    menu: str  # File, Edit, Go, Article, Feed, View, Help
    shortcuts: tuple[str, ...] = ()
    icon: str | None = None
    tip: str = ""
    checkable: bool = False


ACTIONS: tuple[ActionSpec, ...] = (
    # File
    ActionSpec(
        "add_feed", "&Add Feed…", "File", ("Ctrl+N",), "add", "Subscribe to a feed or a site"
    ),
    ActionSpec("new_folder", "New &Folder…", "File", ("Ctrl+Shift+N",), "folder"),
    ActionSpec(
        "save_page",
        "Save &Page…",
        "File",
        ("Ctrl+Shift+S",),
        tip="Keep a web page or a file under Saved, readable offline",
    ),
    ActionSpec(
        "save_clipboard",
        "Save from &Clipboard",
        "File",
        ("Ctrl+Shift+V",),
        tip="Save the copied web address or text under Saved",
    ),
    ActionSpec("import_opml", "&Import Subscriptions (OPML)…", "File", ("Ctrl+I",)),
    ActionSpec("export_opml", "&Export Subscriptions (OPML)…", "File", ("Ctrl+E",)),
    ActionSpec(
        "export_markdown_all",
        "Export Highlights && Notes to &Markdown…",
        "File",
        ("Ctrl+Shift+E",),
        tip="Write one Markdown file per annotated article into a folder (an Obsidian vault)",
    ),
    ActionSpec(
        "export_markdown_selected",
        "Export &Selected Articles to Markdown…",
        "File",
        tip="Export the highlights and notes of the articles selected in the list",
    ),
    ActionSpec(
        "export_annotations_json",
        "Export Annotations (W3C &JSON)…",
        "File",
        tip="Every highlight and note in one file another Gloss library can import",
    ),
    ActionSpec("import_annotations", "Import Annotations (&JSON)…", "File"),
    ActionSpec(
        "remove_demo", "Remove the &Demo Feeds…", "File", tip="Unsubscribe from the sample feeds"
    ),
    ActionSpec("quit", "&Quit", "File", ("Ctrl+Q",)),
    # Edit
    ActionSpec("undo", "&Undo Delete", "Edit", ("Ctrl+Z",), tip="Bring back what you deleted last"),
    ActionSpec(
        "focus_search",
        "&Search…",
        "Edit",
        ("/", "Ctrl+F"),
        "search",
        "Search articles, highlights and notes in the whole library",
    ),
    ActionSpec(
        "save_search",
        "Save Search as Smart &Folder…",
        "Edit",
        tip="Keep the current search in the feeds pane, with its unread count",
    ),
    ActionSpec(
        "preferences",
        "&Preferences…",
        "Edit",
        ("Ctrl+,",),
        tip="Refresh, reading, offline, export and tray settings, and keyboard shortcuts",
    ),
    # Go
    ActionSpec("next_article", "&Next Article", "Go", ("J",)),
    ActionSpec("previous_article", "&Previous Article", "Go", ("K",)),
    ActionSpec("next_unread", "Next &Unread", "Go", ("N",)),
    ActionSpec("previous_unread", "Previous U&nread", "Go", ("P",)),
    ActionSpec("page_down_or_next_unread", "Page Down, Then Next Unread", "Go", ("Space",)),
    ActionSpec("page_up", "Page Up", "Go", ("Shift+Space",)),
    ActionSpec("go_all", "&All Articles", "Go", ("G, A",), "inbox"),
    ActionSpec("go_unread", "U&nread", "Go", ("G, U",), "unread"),
    ActionSpec("go_starred", "&Starred", "Go", ("G, S",), "star"),
    ActionSpec("go_today", "&Today", "Go", ("G, T",), "today"),
    ActionSpec("go_highlighted", "&Highlighted", "Go", ("G, H",), "highlight"),
    ActionSpec("go_saved", "Sa&ved", "Go", ("G, V",), "note", "Pages and texts you saved"),
    ActionSpec(
        "show_highlights_view",
        "All Highlights && &Notes",
        "Go",
        ("G, N",),
        "note",
        "Every highlight and note in the library, newest first",
    ),
    ActionSpec("focus_feeds", "Focus Feeds", "Go", ("G, F",)),
    # Article
    ActionSpec(
        "toggle_read", "Toggle &Read", "Article", ("M",), "mark-read", "Mark read or unread"
    ),
    ActionSpec("toggle_star", "Toggle &Star", "Article", ("S",), "star", "Star or unstar"),
    ActionSpec(
        "open_original",
        "&Open in Browser",
        "Article",
        ("V", "Return", "Enter"),
        "external",
        "Open the original page in your browser",
    ),
    ActionSpec(
        "mark_all_read",
        "Mark &All as Read",
        "Article",
        ("Shift+A",),
        "mark-all-read",
        "Mark every article in this list as read",
    ),
    ActionSpec(
        "mark_older_read",
        "Mark Ol&der as Read",
        "Article",
        tip="Mark every article in this list older than the selected one as read",
    ),
    ActionSpec(
        "tag_articles",
        "&Tag…",
        "Article",
        ("T",),
        "tag",
        "Add tags to the selected articles",
    ),
    ActionSpec(
        "highlight_selection",
        "&Highlight Selection",
        "Article",
        ("H",),
        "highlight",
        "Highlight the selected words",
    ),
    ActionSpec("add_article_note", "Add &Note to Article", "Article", ("Shift+N",)),
    ActionSpec(
        "toggle_text_source",
        "Show &Full Text",  # "Show Feed Text" while the full text is shown
        "Article",
        ("Shift+T",),
        tip="Switch between the feed's text and the text fetched from the page",
    ),
    ActionSpec(
        "refetch_full_text",
        "Fetch Full Te&xt Again",
        "Article",
        tip="Fetch the article's page and extract its text again",
    ),
    ActionSpec(
        "copy_as_markdown",
        "&Copy Highlights as Markdown",
        "Article",
        ("Ctrl+Shift+C",),
        tip="Put this article's highlights and notes on the clipboard as Markdown",
    ),
    # Feed
    ActionSpec("refresh_all", "&Refresh All", "Feed", ("R", "F5"), "refresh", "Fetch new articles"),
    ActionSpec("refresh_selected", "Refresh &Selected Feed", "Feed", ("Shift+R",)),
    ActionSpec("rename_selected", "Re&name…", "Feed", ("F2",)),
    ActionSpec("move_selected", "&Move to Folder…", "Feed"),
    ActionSpec("feed_properties", "&Properties…", "Feed"),
    ActionSpec("remove_selected", "&Unsubscribe…", "Feed", ("Delete",)),
    ActionSpec(
        "make_available_offline",
        "Make Available &Offline",
        "Feed",
        tip="Fetch now the full texts and images of the selected feed or folder (all feeds "
        "from a smart view)",
    ),
    ActionSpec(
        "stop_offline_work",
        "S&top Downloading for Offline",
        "Feed",
        tip="Stop fetching full texts and images; what is stored is kept (Esc)",
    ),
    ActionSpec(
        "edit_rules",
        "Ru&les…",
        "Feed",
        tip="Mark read, star, tag or skip new articles that match words or a pattern",
    ),
    ActionSpec(
        "new_rule_for_feed",
        "Ne&w Rule for This Feed…",
        "Feed",
        tip="A rule that acts only on new articles of the selected feed",
    ),
    ActionSpec(
        "export_markdown_feed",
        "E&xport Highlights of This Feed…",
        "Feed",
        tip="Export the highlights and notes of the selected feed or folder to Markdown",
    ),
    # View
    ActionSpec(
        "toggle_annotations",
        "&Highlights && Notes Pane",
        "View",
        ("Ctrl+Shift+H",),
        "sidebar-right",
        "Show or hide highlights and notes",
        checkable=True,
    ),
    ActionSpec(
        "mark_read_on_scroll",
        "Mark Read on Scroll &Past",
        "View",
        tip="Articles scrolled past the top of the list become read",
        checkable=True,
    ),
    ActionSpec("font_bigger", "&Larger Text", "View", ("Ctrl++", "Ctrl+=")),
    ActionSpec("font_smaller", "&Smaller Text", "View", ("Ctrl+-",)),
    ActionSpec("font_reset", "&Default Text Size", "View", ("Ctrl+0",)),
    ActionSpec("theme_system", "Theme: Follow &System", "View", checkable=True),
    ActionSpec("theme_light", "Theme: &Light", "View", checkable=True),
    ActionSpec("theme_dark", "Theme: &Dark", "View", checkable=True),
    ActionSpec("name_colors", "Name Highlight &Colours…", "View"),
    ActionSpec(
        "offline_settings",
        "&Offline Settings…",
        "View",
        tip="Images for offline reading and the size of their cache",
    ),
    # Help
    ActionSpec("show_shortcuts", "&Keyboard Shortcuts", "Help", ("?",), "keyboard"),
    ActionSpec("about", "&About Gloss", "Help"),
)

SPECS: dict[str, ActionSpec] = {spec.name: spec for spec in ACTIONS}
MENUS: tuple[str, ...] = ("File", "Edit", "Go", "Article", "Feed", "View", "Help")
TOOLBAR: tuple[str | None, ...] = (
    "refresh_all", "add_feed", None, "mark_all_read", "toggle_read", "toggle_star",
    "open_original", None, "highlight_selection", "show_highlights_view", "toggle_annotations",
)  # fmt: skip


def plain_text(spec: ActionSpec) -> str:
    """The action's text without mnemonics ("&&" is a literal ampersand)."""
    return spec.text.replace("&&", "\0").replace("&", "").replace("\0", "&")


def effective_shortcuts(spec: ActionSpec, overrides: Mapping[str, str]) -> tuple[str, ...]:
    """A user override (``;``-separated sequences; empty unbinds) replaces the defaults."""
    if spec.name not in overrides:
        return spec.shortcuts
    return tuple(part.strip() for part in overrides[spec.name].split(";") if part.strip())


def build_actions(owner: QObject, overrides: Mapping[str, str]) -> dict[str, QAction]:
    """One QAction per spec, triggering ``owner.<name>()``. Shortcuts used twice: last wins."""
    actions: dict[str, QAction] = {}
    taken: dict[str, QAction] = {}
    for spec in ACTIONS:
        action = QAction(spec.text, owner)
        action.setObjectName(spec.name)
        action.setCheckable(spec.checkable)
        sequences = [QKeySequence(s) for s in effective_shortcuts(spec, overrides)]
        sequences = [s for s in sequences if not s.isEmpty()]
        for seq in sequences:
            key = seq.toString()
            previous = taken.get(key)
            if previous is not None:
                previous.setShortcuts([s for s in previous.shortcuts() if s.toString() != key])
            taken[key] = action
        action.setShortcuts(sequences)
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        _set_tooltip(action, spec)
        handler = getattr(owner, spec.name)
        if spec.checkable:
            action.toggled.connect(handler)
        else:
            action.triggered.connect(lambda _checked=False, h=handler: h())
        actions[spec.name] = action
    return actions


def set_action_shortcuts(action: QAction, spec: ActionSpec, sequences: Iterable[str]) -> None:
    """Give ``action`` these keys now (the Preferences dialog); its tooltip follows."""
    keys = [QKeySequence(s) for s in sequences]
    action.setShortcuts([k for k in keys if not k.isEmpty()])
    _set_tooltip(action, spec)


def _set_tooltip(action: QAction, spec: ActionSpec) -> None:
    tip = spec.tip or spec.text.replace("&", "").rstrip("…")
    sequences = action.shortcuts()
    if sequences:
        tip += f" ({sequences[0].toString(QKeySequence.SequenceFormat.NativeText)})"
    action.setToolTip(tip)


def add_choices(
    menu: QMenu,
    choices: Iterable[tuple[V, str]],
    pick: Callable[[V], object],
    *,
    name: Callable[[V], str] | None = None,
) -> tuple[QActionGroup, dict[V, QAction]]:
    """One checkable action per ``(value, label)`` in ``menu``, only one checked at a time;
    choosing one calls ``pick(value)``. ``name`` gives each action its object name. The group
    is returned so that a menu can add an action of its own to it (``Custom…``)."""
    group = QActionGroup(menu)
    group.setExclusive(True)
    actions: dict[V, QAction] = {}
    for value, label in choices:
        action = QAction(label, menu)
        if name is not None:
            action.setObjectName(name(value))
        action.setCheckable(True)
        action.triggered.connect(lambda _checked=False, v=value: pick(v))
        group.addAction(action)
        menu.addAction(action)
        actions[value] = action
    return group, actions


def shortcuts_sheet_html(actions: Mapping[str, QAction]) -> str:
    """The ``?`` sheet: every action with a shortcut, grouped by menu, from the live actions."""
    parts = ["<table cellspacing='0' cellpadding='3'>"]
    for menu in MENUS:
        rows = []
        for spec in ACTIONS:
            action = actions.get(spec.name)
            if spec.menu != menu or action is None or not action.shortcuts():
                continue
            keys = " or ".join(
                f"<b>{html.escape(s.toString(QKeySequence.SequenceFormat.NativeText))}</b>"
                for s in action.shortcuts()
            )
            label = html.escape(plain_text(spec))
            rows.append(f"<tr><td style='padding-right:18px'>{keys}</td><td>{label}</td></tr>")
        if rows:
            parts.append(f"<tr><td colspan='2'><h3>{menu}</h3></td></tr>")
            parts.extend(rows)
    parts.append("</table>")
    return "".join(parts)
