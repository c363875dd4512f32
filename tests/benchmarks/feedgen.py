"""Deterministic corpus of feeds for the refresh benchmark.

The same (N, seed, port, hosts, sizes) always yields byte-identical files, so every tool in a run,
and every run on every machine, reads the same corpus. The mix is meant to look like a real
subscription list rather than a best case: four formats, feeds of 20–100 entries, HTML bodies
whose sizes are spread log-uniformly over 2–50 KB (many short posts, a long tail of long ones),
with the markup real blogs use (headings, lists, quotes, links, emphasis, code, images).

Output (``corpus_dir``):
  feeds/NNNN.xml | feeds/NNNN.json   one file per feed, mtime = newest entry date
  manifest.json                       per feed: path, host, format, content type, entry count
  subscriptions.opml                  every feed URL, most of them inside folders
  urls.txt                            the same URLs, one per line

Run ``python feedgen.py --n 50 --out /tmp/corpus`` to write one by hand.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import math
import os
import random
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

FORMAT_WEIGHTS = {"rss": 40, "atom": 30, "rdf": 15, "json": 15}
CONTENT_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "rdf": "application/rdf+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
}
FOLDERS = ["Technology", "Science", "News", "Programming", "Design", "Culture", "Economics"]
BASE_TIME = dt.datetime(2024, 6, 1, 12, 0, 0, tzinfo=dt.UTC)
GENERATOR_VERSION = 1  # bump when the output changes, so cached corpora are rebuilt


def _words(text: str) -> list[str]:
    return text.split()


FUNCTION_WORDS = _words(
    "the of and a to in is that it was for on are as with his they at be this from have or by "
    "one had not but what all were when we there can an your which their said if do will each "
    "about how up out them then she many some so these would other into has more her two like "
    "him see time could no make than first been its who now people my made over did down only "
    "way find use may long little very after new just where most know get through back much "
    "before good well also around however because while without under between"
)
ONSETS = _words(
    "b bl br c ch cl cr d dr f fl fr g gl gr h j k l m n p pl pr qu r s sh sl st str t th tr v w"
)
NUCLEI = _words("a e i o u ai ea ee ie oo ou io ia")
CODAS = _words("b ck d ft g l ll m n nd ng nt p r rd rk rn s sh st t th x") + [""] * 6
SUFFIXES = ["", "", "", "", "ing", "ed", "er", "ly", "tion", "ment", "ness", "able", "ity", "al"]
FIRST_NAMES = _words(
    "Ada Alan Amara Ben Chen Dana Eli Farah Grace Hana Ivan Jonas Kai Lena Maya Nadia Omar "
    "Priya Quinn Rosa Sami Tara Uma Viktor Wen Xavier Yara Zoe"
)
LAST_NAMES = _words(
    "Abbott Bauer Castillo Dubois Eriksen Fischer Garcia Haddad Ito Jensen Kowalski Laurent "
    "Moreau Nakamura Okafor Petrov Quintero Rossi Sato Tanaka Umarov Varga Weber Xu Yilmaz Zhang"
)


@dataclass(frozen=True)
class CorpusSpec:
    n: int
    seed: int = 1
    port: int = 8765
    hosts: int = 40
    entries_min: int = 20
    entries_max: int = 100
    body_kb_min: float = 2.0
    body_kb_max: float = 50.0

    def host(self, index: int) -> str:
        """Round-robin over 127.0.0.2 …: every host carries the same share of the feeds."""
        return f"127.0.0.{2 + index % self.hosts}"

    def key(self) -> str:
        return (
            f"n{self.n}-s{self.seed}-p{self.port}-h{self.hosts}-e{self.entries_min}_"
            f"{self.entries_max}-b{self.body_kb_min:g}_{self.body_kb_max:g}-v{GENERATOR_VERSION}"
        )


@dataclass(frozen=True)
class FeedInfo:
    index: int
    path: str  # URL path, e.g. /feeds/0007.xml; also the file's path under the corpus dir
    host: str
    url: str
    format: str
    content_type: str
    title: str
    folder: str | None
    entries: int
    bytes: int


class TextMaker:
    """Pseudo-English from invented words: looks like prose to a parser, means nothing."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        content_words = {w for w in (self._word() for _ in range(3200)) if not _rude(w)}
        self.words = FUNCTION_WORDS + sorted(content_words)
        # Zipf-like: function words first and most frequent, a long tail of rare words.
        self.weights = [1.0 / (rank + 8) for rank in range(len(self.words))]
        self.cum_weights = list(_accumulate(self.weights))
        self.sentences = [self._sentence() for _ in range(6000)]

    def _word(self) -> str:
        rng = self.rng
        syllables = rng.choice((1, 1, 2, 2, 2, 3))
        parts = [
            rng.choice(ONSETS) + rng.choice(NUCLEI) + rng.choice(CODAS) for _ in range(syllables)
        ]
        return "".join(parts) + rng.choice(SUFFIXES)

    def words_n(self, count: int) -> list[str]:
        return self.rng.choices(self.words, cum_weights=self.cum_weights, k=count)

    def _sentence(self) -> str:
        words = self.words_n(self.rng.randint(6, 24))
        if self.rng.random() < 0.3:
            cut = self.rng.randint(2, len(words) - 2)
            words[cut] += ","
        end = self.rng.choice(".......?!")
        return words[0].capitalize() + " " + " ".join(words[1:]) + end

    def sentence(self) -> str:
        return self.rng.choice(self.sentences)

    def title(self) -> str:
        words = [w.capitalize() for w in self.words_n(self.rng.randint(3, 9))]
        roll = self.rng.random()
        if roll < 0.05:
            words.insert(1, "&")
        elif roll < 0.08:
            words[-1] = f"“{words[-1]}”"
        elif roll < 0.10:
            words.insert(0, "Q&A:")
        return " ".join(words)

    def name(self) -> str:
        return f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"


RUDE = ("fuck", "shit", "cunt", "dick", "cock", "slut", "whor", "nig", "fag", "rape", "tit", "cum")


def _rude(word: str) -> bool:
    """Invented words must not spell slurs or profanity by accident."""
    return any(part in word for part in RUDE)


def _accumulate(values: list[float]) -> Iterator[float]:
    total = 0.0
    for value in values:
        total += value
        yield total


class BodyMaker:
    """HTML bodies with the block and inline markup of real posts, grown to a target size."""

    def __init__(self, text: TextMaker, spec: CorpusSpec) -> None:
        self.text = text
        self.rng = text.rng
        self.spec = spec

    def _inline(self, sentence: str, link_host: str) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.12:
            words = sentence.split(" ")
            i = rng.randrange(len(words))
            slug = rng.randrange(10**6)
            words[i] = f'<a href="http://{link_host}:{self.spec.port}/posts/{slug}">{words[i]}</a>'
            return " ".join(words)
        if roll < 0.20:
            words = sentence.split(" ")
            i = rng.randrange(len(words))
            tag = rng.choice(("em", "strong", "code", "em"))
            words[i] = f"<{tag}>{words[i]}</{tag}>"
            return " ".join(words)
        return sentence

    def _paragraph(self, link_host: str) -> str:
        count = self.rng.randint(2, 7)
        return (
            "<p>"
            + " ".join(self._inline(self.text.sentence(), link_host) for _ in range(count))
            + "</p>"
        )

    def _block(self, feed_index: int, entry_index: int, block_index: int, link_host: str) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.70:
            return self._paragraph(link_host)
        if roll < 0.78:
            level = rng.choice((2, 3, 3))
            return f"<h{level}>{html.escape(self.text.title())}</h{level}>"
        if roll < 0.86:
            tag = rng.choice(("ul", "ol", "ul"))
            items = "".join(
                f"<li>{self._inline(self.text.sentence(), link_host)}</li>"
                for _ in range(rng.randint(2, 6))
            )
            return f"<{tag}>{items}</{tag}>"
        if roll < 0.92:
            return f"<blockquote>{self._paragraph(link_host)}</blockquote>"
        if roll < 0.97:
            width, height = rng.choice(((640, 360), (800, 450), (1200, 800), (400, 400)))
            src = f"http://{link_host}:{self.spec.port}/img/{feed_index:04d}-{entry_index:03d}-{block_index}.png"
            alt = html.escape(" ".join(self.text.words_n(4)))
            return (
                f'<figure><img src="{src}" width="{width}" height="{height}" alt="{alt}">'
                f"<figcaption>{html.escape(self.text.sentence())}</figcaption></figure>"
            )
        code = "\n".join(
            " ".join(self.text.words_n(rng.randint(2, 6))) for _ in range(rng.randint(2, 8))
        )
        return f"<pre><code>{html.escape(code)}</code></pre>"

    def body(self, feed_index: int, entry_index: int, link_host: str) -> str:
        lo, hi = math.log(self.spec.body_kb_min * 1024), math.log(self.spec.body_kb_max * 1024)
        target = int(math.exp(self.rng.uniform(lo, hi)))
        blocks: list[str] = []
        size = 0
        while size < target:
            block = self._block(feed_index, entry_index, len(blocks), link_host)
            blocks.append(block)
            size += len(block) + 1
        return "\n".join(blocks)


@dataclass(frozen=True)
class Entry:
    guid: str
    link: str
    title: str
    author: str
    published: dt.datetime
    updated: dt.datetime
    summary: str
    body: str
    tags: tuple[str, ...]


def _rfc822(moment: dt.datetime) -> str:
    return moment.strftime("%a, %d %b %Y %H:%M:%S +0000")


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _entries(bodies: BodyMaker, feed_index: int, host: str, count: int) -> list[Entry]:
    rng = bodies.rng
    text = bodies.text
    authors = [text.name() for _ in range(rng.randint(1, 4))]
    moment = BASE_TIME - dt.timedelta(minutes=rng.randint(0, 600))
    mean_gap_hours = rng.choice((3, 12, 24, 72))
    guid_style = rng.choice(("urn", "permalink", "tag"))
    entries = []
    for i in range(count):
        slug = "-".join(text.words_n(3)).lower()
        link = f"http://{host}:{bodies.spec.port}/posts/{feed_index:04d}/{i:03d}-{slug}"
        guid = {
            "urn": f"urn:gloss-bench:{feed_index:04d}:{i:03d}",
            "permalink": link,
            "tag": f"tag:{host},2024:feed-{feed_index}/entry-{i}",
        }[guid_style]
        updated = moment + dt.timedelta(hours=rng.choice((0, 0, 0, 1, 5)))
        entries.append(
            Entry(
                guid=guid,
                link=link,
                title=text.title(),
                author=rng.choice(authors),
                published=moment,
                updated=updated,
                summary=" ".join(text.sentence() for _ in range(rng.randint(1, 3))),
                body=bodies.body(feed_index, i, host),
                tags=tuple(rng.sample(FOLDERS, rng.randint(0, 2))),
            )
        )
        moment -= dt.timedelta(minutes=max(1, int(rng.expovariate(1 / (mean_gap_hours * 60)))))
    return entries


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _rss(title: str, site: str, self_url: str, entries: list[Entry]) -> str:
    items = []
    for e in entries:
        categories = "".join(f"<category>{xml_escape(t)}</category>" for t in e.tags)
        permalink = "true" if e.guid == e.link else "false"
        items.append(
            "<item>"
            f"<title>{xml_escape(e.title)}</title>"
            f"<link>{xml_escape(e.link)}</link>"
            f'<guid isPermaLink="{permalink}">{xml_escape(e.guid)}</guid>'
            f"<dc:creator>{xml_escape(e.author)}</dc:creator>"
            f"<pubDate>{_rfc822(e.published)}</pubDate>"
            f"{categories}"
            f"<description>{xml_escape(e.summary)}</description>"
            f"<content:encoded>{_cdata(e.body)}</content:encoded>"
            "</item>\n"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">\n'
        "<channel>\n"
        f"<title>{xml_escape(title)}</title>\n<link>{xml_escape(site)}</link>\n"
        f'<atom:link href={quoteattr(self_url)} rel="self" type="application/rss+xml"/>\n'
        f"<description>{xml_escape(title)} — posts</description>\n<language>en</language>\n"
        f"<lastBuildDate>{_rfc822(entries[0].updated)}</lastBuildDate>\n<ttl>60</ttl>\n"
        + "".join(items)
        + "</channel>\n</rss>\n"
    )


def _atom(title: str, site: str, self_url: str, host: str, index: int, entries: list[Entry]) -> str:
    items = []
    for e in entries:
        categories = "".join(f"<category term={quoteattr(t)}/>" for t in e.tags)
        items.append(
            "<entry>"
            f'<title type="html">{xml_escape(html.escape(e.title, quote=False))}</title>'
            f'<link rel="alternate" type="text/html" href={quoteattr(e.link)}/>'
            f"<id>{xml_escape(e.guid)}</id>"
            f"<published>{_iso(e.published)}</published><updated>{_iso(e.updated)}</updated>"
            f"<author><name>{xml_escape(e.author)}</name></author>"
            f"{categories}"
            f'<summary type="text">{xml_escape(e.summary)}</summary>'
            f'<content type="html">{xml_escape(e.body)}</content>'
            "</entry>\n"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">\n'
        f"<title>{xml_escape(title)}</title>\n<id>tag:{host},2024:feed-{index}</id>\n"
        f'<link rel="alternate" href={quoteattr(site)}/>\n'
        f'<link rel="self" href={quoteattr(self_url)}/>\n'
        f"<updated>{_iso(entries[0].updated)}</updated>\n" + "".join(items) + "</feed>\n"
    )


def _rdf(title: str, site: str, self_url: str, entries: list[Entry]) -> str:
    seq = "".join(f"<rdf:li rdf:resource={quoteattr(e.link)}/>" for e in entries)
    items = []
    for e in entries:
        items.append(
            f"<item rdf:about={quoteattr(e.link)}>"
            f"<title>{xml_escape(e.title)}</title><link>{xml_escape(e.link)}</link>"
            f"<dc:creator>{xml_escape(e.author)}</dc:creator><dc:date>{_iso(e.published)}</dc:date>"
            f"<description>{xml_escape(e.summary)}</description>"
            f"<content:encoded>{_cdata(e.body)}</content:encoded>"
            "</item>\n"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/">\n'
        f"<channel rdf:about={quoteattr(self_url)}><title>{xml_escape(title)}</title>"
        f"<link>{xml_escape(site)}</link><description>{xml_escape(title)}</description>"
        f"<items><rdf:Seq>{seq}</rdf:Seq></items></channel>\n" + "".join(items) + "</rdf:RDF>\n"
    )


def _json_feed(title: str, site: str, self_url: str, entries: list[Entry]) -> str:
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": title,
        "home_page_url": site,
        "feed_url": self_url,
        "language": "en",
        "items": [
            {
                "id": e.guid,
                "url": e.link,
                "title": e.title,
                "summary": e.summary,
                "content_html": e.body,
                "date_published": _iso(e.published),
                "date_modified": _iso(e.updated),
                "authors": [{"name": e.author}],
                "tags": list(e.tags),
            }
            for e in entries
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


def _pick_format(rng: random.Random) -> str:
    return rng.choices(list(FORMAT_WEIGHTS), weights=list(FORMAT_WEIGHTS.values()))[0]


def generate(spec: CorpusSpec, out: Path, *, progress: bool = False) -> list[FeedInfo]:
    """Write the corpus for ``spec`` into ``out`` (created if needed) and return its manifest."""
    rng = random.Random(spec.seed)
    text = TextMaker(rng)
    bodies = BodyMaker(text, spec)
    feeds_dir = out / "feeds"
    if feeds_dir.exists():
        shutil.rmtree(feeds_dir)  # stale files from an earlier spec would be served too
    feeds_dir.mkdir(parents=True)
    infos: list[FeedInfo] = []
    started = time.monotonic()
    for index in range(spec.n):
        fmt = _pick_format(rng)
        host = spec.host(index)
        path = f"/feeds/{index:04d}.{'json' if fmt == 'json' else 'xml'}"
        url = f"http://{host}:{spec.port}{path}"
        site = f"http://{host}:{spec.port}/"
        title = f"{text.title()} ({index:04d})"
        count = rng.randint(spec.entries_min, spec.entries_max)
        entries = _entries(bodies, index, host, count)
        if fmt == "rss":
            document = _rss(title, site, url, entries)
        elif fmt == "atom":
            document = _atom(title, site, url, host, index, entries)
        elif fmt == "rdf":
            document = _rdf(title, site, url, entries)
        else:
            document = _json_feed(title, site, url, entries)
        data = document.encode("utf-8")
        file = out / path.lstrip("/")
        file.write_bytes(data)
        newest = max(e.updated for e in entries).timestamp()
        os.utime(file, (newest, newest))
        folder = rng.choice([*FOLDERS, None, None])
        infos.append(
            FeedInfo(
                index, path, host, url, fmt, CONTENT_TYPES[fmt], title, folder, count, len(data)
            )
        )
        if progress and (index + 1) % 50 == 0:
            elapsed = time.monotonic() - started
            print(f"  generated {index + 1}/{spec.n} feeds ({elapsed:.0f} s)", file=sys.stderr)
    _write_opml(out / "subscriptions.opml", infos)
    (out / "urls.txt").write_text("".join(f"{i.url}\n" for i in infos), encoding="utf-8")
    manifest = {"spec": asdict(spec), "feeds": [asdict(i) for i in infos]}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return infos


def _write_opml(path: Path, infos: list[FeedInfo]) -> None:
    def outline(info: FeedInfo) -> str:
        kind = "rss"
        return (
            f"    <outline type={quoteattr(kind)} text={quoteattr(info.title)} "
            f"title={quoteattr(info.title)} xmlUrl={quoteattr(info.url)}/>\n"
        )

    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">\n',
        "  <head><title>Gloss refresh benchmark</title></head>\n  <body>\n",
    ]
    for folder in FOLDERS:
        members = [i for i in infos if i.folder == folder]
        if members:
            lines.append(f"  <outline text={quoteattr(folder)} title={quoteattr(folder)}>\n")
            lines.extend(outline(i) for i in members)
            lines.append("  </outline>\n")
    lines.extend(outline(i).replace("    ", "  ", 1) for i in infos if i.folder is None)
    lines.append("  </body>\n</opml>\n")
    path.write_text("".join(lines), encoding="utf-8")


def load_manifest(corpus_dir: Path) -> list[FeedInfo]:
    data = json.loads((corpus_dir / "manifest.json").read_text(encoding="utf-8"))
    return [FeedInfo(**feed) for feed in data["feeds"]]


def ensure_corpus(spec: CorpusSpec, cache_root: Path, *, progress: bool = True) -> Path:
    """Generate the corpus once per spec and reuse it; a marker file guards half-written ones."""
    corpus_dir = cache_root / f"corpus-{spec.key()}"
    marker = corpus_dir / ".complete"
    if not marker.exists():
        if progress:
            print(f"generating corpus {corpus_dir} …", file=sys.stderr)
        generate(spec, corpus_dir, progress=progress)
        marker.write_text("ok\n", encoding="utf-8")
    return corpus_dir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, required=True, help="number of feeds")
    parser.add_argument("--out", type=Path, required=True, help="corpus directory")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--port", type=int, default=8765, help="port written into feed URLs")
    parser.add_argument("--hosts", type=int, default=40, help="loopback addresses 127.0.0.2 …")
    args = parser.parse_args(argv)
    spec = CorpusSpec(n=args.n, seed=args.seed, port=args.port, hosts=args.hosts)
    infos = generate(spec, args.out, progress=True)
    total = sum(i.bytes for i in infos)
    entries = sum(i.entries for i in infos)
    formats = {f: sum(1 for i in infos if i.format == f) for f in FORMAT_WEIGHTS}
    print(f"{len(infos)} feeds, {entries} entries, {total / 1e6:.1f} MB, formats {formats}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
