"""Web pages, feeds of summaries and text captures shared by the offline and saving tests."""

from __future__ import annotations

import datetime as dt

from tests.support.feeds import HTML_HEADERS, RSS_HEADERS, Item, rss
from tests.support.http_server import Route, ScriptedServer
from tests.support.icons import png

PARAGRAPHS = [
    "The night train leaves the coast at nine and reaches the mountains before dawn, "
    "and for most of that time there is no signal at all in the carriages.",
    "Passengers who planned to read the news discover that their reader shows a single "
    "sentence and a link, which is of no use in a tunnel under the pass.",
    "Storing the whole article when it arrives, with its pictures, is the only way to make "
    "the journey a good place to read; nothing on the train can fetch it later.",
    "The conductor, who has made the trip for twenty years, keeps a paper timetable for "
    "exactly the same reason, and nobody has ever found it without coverage.",
]


def article_page(title: str, image_path: str | None = None, *, extra: str = "") -> bytes:
    figure = (
        f'<figure><img src="{image_path}" alt="The train at the pass" width="640" height="360">'
        "<figcaption>The train at the pass.</figcaption></figure>"
        if image_path
        else ""
    )
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>{title} | Rail Diary</title>
<meta property="og:site_name" content="Rail Diary">
<meta name="author" content="Ines Varga">
</head><body>
<header><nav><a href="/">Home</a> <a href="/trains">Trains</a>
<a href="/about">About</a></nav></header>
<main><article><h1>{title}</h1><p class="byline">By Ines Varga</p>
{figure}{body}{extra}</article></main>
<footer><p>© Rail Diary. <a href="/privacy">Privacy</a></p></footer>
</body></html>""".encode()


def summary_feed(server: ScriptedServer, count: int = 3) -> bytes:
    items = [
        Item(
            guid=f"trip-{n}",
            title=f"Trip {n}",
            body=f"<p>A short teaser about trip {n}. Read more</p>",
            link=server.url(f"/trips/{n}"),
            published=dt.datetime(2026, 11, 20 + n, 8, 0, tzinfo=dt.UTC),
        )
        for n in range(1, count + 1)
    ]
    return rss("Rail Diary", items, site=server.url("/"))


def serve_site(server: ScriptedServer, count: int = 3) -> None:
    server.routes["/feed"] = Route(200, summary_feed(server, count), RSS_HEADERS)
    for n in range(1, count + 1):
        server.routes[f"/trips/{n}"] = Route(
            200, article_page(f"Trip {n}", f"/img/{n}.png"), HTML_HEADERS
        )
        server.routes[f"/img/{n}.png"] = Route(
            200, png(40 + n, 30, (10 * n, 90, 160)), {"Content-Type": "image/png"}
        )


CAPTURE = """Harbour cranes return to the old port
Coastal Courier · 4 hours ago

The two cranes that stood over the old port for sixty years are coming back.The city bought them \
from a scrapyard in the spring and restored them over the summer.Engineers say both can lift \
again, although they will only ever carry lights and flags.

Residents who campaigned for their return plan a festival for the first evening they are lit.

#harbour #cityhistory
Share
Copy link
No comments yet... Be the first to comment!

Related Articles
Ferry timetable changes for winter
Island Post · 2 hours ago
The winter timetable starts next week with fewer evening crossings.
Lighthouse keeper's cottage opens to visitors
Coastal Courier · 1 day ago
The restored cottage will open on weekends from December.
"""
