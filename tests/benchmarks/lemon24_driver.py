"""Setup and verification for lemon24's ``reader``; runs ONLY in its own virtual environment.

It has the same import name as Gloss, so this file is executed by that venv's interpreter with a
working directory outside the Gloss checkout. The timed part (``update``) goes through reader's
own command line, as a user would run it; this script only does the untimed work around it.

    python lemon24_driver.py add DB URLS_FILE    subscribe to every URL (no fetching)
    python lemon24_driver.py count DB            print {"feeds_ok", "feeds_broken", "entries"}
"""

from __future__ import annotations

import json
import sys


def main(argv: list[str]) -> int:
    from reader import make_reader  # lemon24's reader, from this venv

    command, db = argv[0], argv[1]
    reader = make_reader(db)
    try:
        if command == "add":
            with open(argv[2], encoding="utf-8") as urls:
                for url in urls:
                    if url.strip():
                        reader.add_feed(url.strip())
        elif command == "count":
            feeds = reader.get_feed_counts()
            broken = reader.get_feed_counts(broken=True).total
            with_entries = sum(
                1 for feed in reader.get_feeds() if reader.get_entry_counts(feed=feed).total
            )
            print(
                json.dumps(
                    {
                        "feeds": feeds.total,
                        "feeds_broken": broken,
                        "feeds_with_entries": with_entries,
                        "entries": reader.get_entry_counts().total,
                    }
                )
            )
        else:
            print(f"unknown command {command!r}", file=sys.stderr)
            return 2
    finally:
        reader.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
