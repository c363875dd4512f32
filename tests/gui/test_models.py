"""The window's models, each checked by qtmodeltester and by what a reader would see."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QIcon
from pytestqt.modeltest import ModelTester

from reader.core.library import Library
from reader.core.types import ArticleFilter, ArticleId
from reader.gui.models.annotations_model import KIND_ROLE, NOTE_ROLE, AnnotationsModel
from reader.gui.models.articles_model import DATE, PAGE_SIZE, TITLE, ArticlesModel
from reader.gui.models.feeds_model import UNREAD_ROLE, FeedsModel
from tests.gui.conftest import add_highlight, make_library


def feeds_model_for(library: Library) -> FeedsModel:
    model = FeedsModel(lambda _name: QIcon(), QIcon)
    model.load(library.list_folders(), library.list_feeds(), library.starred_count())
    return model


def titles(model: FeedsModel, parent: QModelIndex | None = None) -> list[str]:
    parent = parent or QModelIndex()
    return [model.index(r, 0, parent).data() for r in range(model.rowCount(parent))]


def test_feeds_tree_shows_smart_views_folders_and_counts(
    qtmodeltester: ModelTester, sample_library: Path
) -> None:
    with Library.open(sample_library, readonly=True) as library:
        model = feeds_model_for(library)
        qtmodeltester.check(model)
    top = titles(model)
    assert top[:6] == ["All Articles", "Unread", "Starred", "Today", "Highlighted", "Saved"]
    assert top[6:] == ["Tech", "Alpha Feed"]
    tech = model.index_for_key(f"folder:{1}")
    assert titles(model, tech) == ["Beta Feed", "Gamma Feed"]
    assert tech.data(UNREAD_ROLE) == 60
    assert model.index(1, 0).data(UNREAD_ROLE) == 90  # Unread: every unread article


def test_feeds_counts_update_in_place_without_reset(qtbot, sample_library: Path) -> None:
    with Library.open(sample_library) as library:
        model = feeds_model_for(library)
        feed = library.list_feeds()[0]
        first = library.list_articles(ArticleFilter(feed_ids=(feed.id,)), limit=5).articles
        library.set_read([a.id for a in first])
        with qtbot.assertNotEmitted(model.modelReset), qtbot.waitSignal(model.dataChanged):
            model.set_counts(library.unread_counts())
        index = model.index_for_key(f"feed:{feed.id}")
        assert index.data(UNREAD_ROLE) == 25
        assert model.total_unread() == 85


def test_feeds_drop_asks_to_move_a_feed_into_a_folder(qtbot, sample_library: Path) -> None:
    with Library.open(sample_library, readonly=True) as library:
        model = feeds_model_for(library)
        alpha = next(f for f in library.list_feeds() if f.title == "Alpha Feed")
    source = model.index_for_key(f"feed:{alpha.id}")
    data = model.mimeData([source])
    tech = model.index_for_key("folder:1")
    assert not model.canDropMimeData(data, Qt.DropAction.MoveAction, -1, 0, model.index(0, 0))
    with qtbot.waitSignal(model.move_requested) as signal:
        model.dropMimeData(data, Qt.DropAction.MoveAction, -1, 0, tech)
    assert signal.args == [alpha.id, 1]


def test_article_list_loads_pages_as_the_view_asks(
    qtmodeltester: ModelTester, tmp_path: Path
) -> None:
    path = make_library(tmp_path / "big.gloss", feeds=3, per_feed=150)  # 450 > 2 pages
    with Library.open(path, readonly=True) as library:
        model = ArticlesModel(library, QIcon())
        model.show(ArticleFilter())
        assert model.rowCount() == PAGE_SIZE
        assert model.canFetchMore()
        model.fetchMore()
        assert model.rowCount() == 2 * PAGE_SIZE
        qtmodeltester.check(model)  # also fetches the rest, as a view scrolled to the end would
        assert model.rowCount() == 450
        assert not model.canFetchMore()
        ids = [model.article(r).id for r in range(450)]  # type: ignore[union-attr]
        assert len(set(ids)) == 450
        dates = [model.article(r).sort_at for r in range(450)]  # type: ignore[union-attr]
        assert dates == sorted(dates, reverse=True)


def test_article_list_sorts_by_title_across_pages(tmp_path: Path) -> None:
    path = make_library(tmp_path / "big.gloss", feeds=2, per_feed=150)
    with Library.open(path, readonly=True) as library:
        model = ArticlesModel(library, QIcon())
        model.show(ArticleFilter())
        model.sort(TITLE, Qt.SortOrder.AscendingOrder)
        while model.canFetchMore():
            model.fetchMore()
        shown = [model.index(r, TITLE).data() for r in range(model.rowCount())]
        assert len(shown) == 300
        assert shown == sorted(shown, key=str.casefold)
        model.sort(DATE, Qt.SortOrder.AscendingOrder)
        first = model.article(0)
        assert first is not None and first.title.endswith("story 149")


def test_article_rows_follow_changes_from_the_writer(tmp_path: Path, sample_library: Path) -> None:
    with (
        Library.open(sample_library) as writer,
        Library.open(sample_library, readonly=True) as reader,
    ):
        model = ArticlesModel(reader, QIcon())
        model.show(ArticleFilter(unread_only=True))
        article = model.article(0)
        assert article is not None and not article.read
        bold = model.index(0, TITLE).data(Qt.ItemDataRole.FontRole)
        assert (bold is not None and bold.bold()) or bold.weight() > 500
        changes = writer.set_read([article.id])
        model.apply_changes(changes)
        updated = model.article(0)
        assert updated is not None and updated.read  # still listed: the reader is on it
        assert model.index(0, TITLE).data(Qt.ItemDataRole.FontRole) is None
        _, changes = writer.mark_all_read(ArticleFilter())
        model.apply_changes(changes)
        assert all(model.article(r).read for r in range(model.rowCount()))  # type: ignore[union-attr]


def test_annotations_model_lists_highlights_then_notes(
    qtmodeltester: ModelTester, sample_library: Path
) -> None:
    with Library.open(sample_library, readonly=True) as library:
        article_id = library.list_articles(limit=1).articles[0].id
    add_highlight(sample_library, article_id, "Words to read.", note="Worth remembering")
    model = AnnotationsModel()
    with Library.open(sample_library, readonly=True) as library:
        model.set_items(library.list_highlights(article_id), library.list_notes(article_id))
    qtmodeltester.check(model)
    assert model.rowCount() == 2
    assert model.index(0).data() == "Words to read."
    assert model.index(0).data(KIND_ROLE) == "highlight"
    assert model.index(0).data(NOTE_ROLE) == "Worth remembering"
    assert model.index(1).data(KIND_ROLE) == "note"
    model.set_items([], [])
    assert model.rowCount() == 0
    assert ArticleId(article_id) == article_id
