"""Extraction quality of issue 5, measured by hand (CI never runs this folder).

    .venv/bin/python tests/benchmarks/bench_extract.py [--repeats 3] [--json FILE]

For every page ``tests/data/extraction/NAME.html`` the hand-checked main text is ``NAME.txt``
(the article body a reader wants, title excluded; see that folder's README). Two configurations
are scored side by side:

- ``default``: ``trafilatura.extract(html)``, plain text, trafilatura's own defaults;
- ``gloss``: ``reader.core.extract.extract_page(body, url).text``, what Gloss stores.

Score: token F1 over the bag of lower-cased word tokens (precision and recall against the .txt).
Time: the median of ``--repeats`` runs per page, in ms, after one warm-up run of the whole corpus
(imports and trafilatura's lazily built tables are not charged to the first page).
Target (issue 5): Gloss mean F1 >= 0.93 and no page below 0.5.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402

from reader.core.errors import GlossError  # noqa: E402
from reader.core.extract import EXTRACTOR_VERSION, extract_page  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "extraction"
PAGE_URL = "https://corpus.example/{name}"  # a base for relative links; never fetched

_WORD_RE = re.compile(r"\w+")


def tokens(text: str) -> Counter[str]:
    return Counter(_WORD_RE.findall(text.lower()))


def token_scores(got: str, expected: str) -> tuple[float, float, float]:
    """(precision, recall, F1) of the bag of word tokens of ``got`` against ``expected``."""
    got_bag, expected_bag = tokens(got), tokens(expected)
    common = sum((got_bag & expected_bag).values())
    if common == 0:
        return 0.0, 0.0, 0.0
    precision = common / sum(got_bag.values())
    recall = common / sum(expected_bag.values())
    return precision, recall, 2 * precision * recall / (precision + recall)


def corpus_pages() -> list[tuple[str, bytes, str]]:
    return [
        (html.stem, html.read_bytes(), html.with_suffix(".txt").read_text(encoding="utf-8"))
        for html in sorted(CORPUS.glob("*.html"))
    ]


def run_default(name: str, body: bytes) -> str:
    return trafilatura.extract(body) or ""


def run_gloss(name: str, body: bytes) -> str:
    try:
        return extract_page(body, PAGE_URL.format(name=name), "text/html; charset=utf-8").text
    except GlossError:
        return ""


CONFIGURATIONS: dict[str, Callable[[str, bytes], str]] = {
    "default": run_default,
    "gloss": run_gloss,
}


def measure(repeats: int) -> dict[str, object]:
    pages = corpus_pages()
    for name, body, _ in pages:  # warm-up
        for run in CONFIGURATIONS.values():
            run(name, body)
    rows = []
    for name, body, expected in pages:
        row: dict[str, object] = {"page": name}
        for label, run in CONFIGURATIONS.items():
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                got = run(name, body)
                times.append((time.perf_counter() - start) * 1000)
            precision, recall, f1 = token_scores(got, expected)
            row[label] = {
                "precision": round(precision, 4),
                "recall": round(recall, 4),
                "f1": round(f1, 4),
                "ms": round(statistics.median(times), 2),
            }
        rows.append(row)
    summary = {}
    for label in CONFIGURATIONS:
        f1s = [row[label]["f1"] for row in rows]  # type: ignore[index]
        ms = [row[label]["ms"] for row in rows]  # type: ignore[index]
        summary[label] = {
            "mean_f1": round(statistics.fmean(f1s), 4),
            "min_f1": round(min(f1s), 4),
            "pages_below_0_5": sum(1 for f in f1s if f < 0.5),
            "median_ms": round(statistics.median(ms), 2),
        }
    return {
        "pages": len(rows),
        "trafilatura": trafilatura.__version__,
        "gloss_extractor_version": EXTRACTOR_VERSION,
        "repeats": repeats,
        "rows": rows,
        "summary": summary,
    }


def print_table(result: dict[str, object]) -> None:
    labels = list(CONFIGURATIONS)
    header = f"{'page':<40}" + "".join(f"{label + ' P/R/F1':>24}{'ms':>8}" for label in labels)
    print(header)
    print("-" * len(header))
    for row in result["rows"]:  # type: ignore[attr-defined]
        cells = ""
        for label in labels:
            s = row[label]
            cells += f"{s['precision']:>8.2f}{s['recall']:>8.2f}{s['f1']:>8.3f}{s['ms']:>8.1f}"
        print(f"{row['page']:<40}{cells}")
    print("-" * len(header))
    summary = result["summary"]
    for label in labels:
        s = summary[label]  # type: ignore[index]
        print(
            f"{label:<8} mean F1 {s['mean_f1']:.3f}   min F1 {s['min_f1']:.3f}   "
            f"pages below 0.5: {s['pages_below_0_5']}   median {s['median_ms']:.1f} ms/page"
        )
    print(
        f"{result['pages']} pages, trafilatura {result['trafilatura']}, "
        f"Gloss {result['gloss_extractor_version']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per page (median kept)")
    parser.add_argument("--json", type=Path, help="also write every number to this file")
    args = parser.parse_args()
    result = measure(max(1, args.repeats))
    print_table(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
