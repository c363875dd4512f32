"""The command line's arrival rules and "mark older as read" (mixed into ``reader.cli.Cli``).

``gloss rules --json`` prints one object per rule with ``id``, ``feed_id``, ``feed``, ``field``,
``kind``, ``pattern``, ``action``, ``tag``, ``enabled``, ``matched`` and ``last_error``. Retention
is a feed option (``gloss feed-options FEED --keep-read-days N|forever``, in cli_offline.py).
"""

from __future__ import annotations

from typing import Any

from reader.cli_common import EXIT_OK, AddCommand, Commands, JsonFlag
from reader.core.types import (
    ArticleFilter,
    ArticleId,
    FeedId,
    Rule,
    RuleAction,
    RuleField,
    RuleId,
    RuleKind,
    RuleSpec,
)

PREVIEW_LIMIT = 20


def add_parsers(command: AddCommand, json_flag: JsonFlag) -> None:
    p = command("rules", "list the rules that act on new articles as they arrive")
    json_flag(p)

    p = command(
        "rule-add",
        "add a rule: when a new article's field matches, mark it read, star it, tag it or skip it",
    )
    p.add_argument(
        "pattern",
        metavar="PATTERN",
        help='words that must all appear (ignoring case and accents; "quote" a phrase), '
        "or a regular expression with --match regex",
    )
    p.add_argument(
        "--match",
        choices=[k.value for k in RuleKind],
        default=RuleKind.WORDS.value,
        help="words (default) or regex (case-insensitive; (?-i) to match case)",
    )
    p.add_argument(
        "--field",
        choices=[f.value for f in RuleField],
        default=RuleField.TITLE.value,
        help="what to look at: title (default), content, author, link, or any of them",
    )
    p.add_argument(
        "--action",
        choices=[a.value for a in RuleAction],
        required=True,
        help="read: mark read; star; tag: add --tag; skip: never store the article",
    )
    p.add_argument("--tag", metavar="T", help="the tag to add (with --action tag)")
    p.add_argument("--feed", type=int, metavar="ID", help="only this feed (default: every feed)")
    p.add_argument(
        "--preview",
        action="store_true",
        help="show which recent articles it would match, and store nothing",
    )

    p = command("rule-remove", "delete a rule (what it did to articles stays)")
    p.add_argument("rule", type=int, metavar="RULE")
    p = command("rule-enable", "switch a rule back on")
    p.add_argument("rule", type=int, metavar="RULE")
    p = command("rule-disable", "switch a rule off without deleting it")
    p.add_argument("rule", type=int, metavar="RULE")

    p = command(
        "mark-older-read",
        "mark read every article older than ARTICLE (in every feed, or in one with --feed)",
    )
    p.add_argument("article", type=int, metavar="ARTICLE")
    p.add_argument("--feed", type=int, metavar="ID", help="only this feed's articles")


def rule_json(rule: Rule) -> dict[str, Any]:
    spec = rule.spec
    return {
        "id": rule.id,
        "feed_id": spec.feed_id,
        "feed": rule.feed_title,
        "field": spec.field.value,
        "kind": spec.kind.value,
        "pattern": spec.pattern,
        "action": spec.action.value,
        "tag": spec.tag,
        "enabled": rule.enabled,
        "matched": rule.matched,
        "last_error": rule.last_error,
    }


def describe(rule: Rule) -> str:
    spec = rule.spec
    scope = f"feed {spec.feed_id} ({rule.feed_title})" if spec.feed_id else "every feed"
    what = "matches" if spec.kind is RuleKind.REGEX else "has"
    then = f"tag {spec.tag}" if spec.action is RuleAction.TAG else spec.action.value
    return f"{scope}: when {spec.field.value} {what} “{spec.pattern}” → {then}"


class RulesCommands(Commands):
    def cmd_rules(self) -> int:
        with self.open() as library:
            rules: list[Rule] = library.list_rules()
        empty = 'No rules. Add one with: gloss rule-add "WORDS" --action read|star|tag|skip'
        if self.listed(rules, rule_json, empty):
            return EXIT_OK
        width = max(len(str(r.id)) for r in rules)
        for rule in rules:
            state = "on " if rule.enabled else "off"
            self.out.write(
                f"{rule.id:>{width}}  {state}  {describe(rule)}  (matched {rule.matched})\n"
            )
            if rule.last_error:
                self.out.write(f"{'':>{width}}       ! {rule.last_error}\n")
        return EXIT_OK

    def cmd_rule_add(self) -> int:
        spec = RuleSpec(
            field=RuleField(self.args.field),
            kind=RuleKind(self.args.match),
            pattern=self.args.pattern,
            action=RuleAction(self.args.action),
            tag=self.args.tag,
            feed_id=FeedId(self.args.feed) if self.args.feed is not None else None,
        )
        with self.open() as library:
            if self.args.preview:
                found = library.preview_rule(spec, limit=PREVIEW_LIMIT)
                for article in found:
                    self.out.write(f"{article.id:>7}  {article.title}  — {article.feed_title}\n")
                more = " (the first ones)" if len(found) == PREVIEW_LIMIT else ""
                self.out.write(f"It would match {len(found)} recent article(s){more}.\n")
                return EXIT_OK
            rule, _ = library.add_rule(spec)
        self.out.write(f"Added rule {rule.id}: {describe(rule)}\n")
        return EXIT_OK

    def cmd_rule_remove(self) -> int:
        with self.open() as library:
            library.delete_rule(RuleId(self.args.rule))
        self.out.write(f"Removed rule {self.args.rule}.\n")
        return EXIT_OK

    def _enable(self, enabled: bool) -> int:
        with self.open() as library:
            library.set_rule_enabled(RuleId(self.args.rule), enabled)
        self.out.write(f"Rule {self.args.rule} is {'on' if enabled else 'off'}.\n")
        return EXIT_OK

    def cmd_rule_enable(self) -> int:
        return self._enable(True)

    def cmd_rule_disable(self) -> int:
        return self._enable(False)

    def cmd_mark_older_read(self) -> int:
        with self.open() as library:
            flt = ArticleFilter(feed_ids=self.feed_scope(library))
            count, _ = library.mark_older_read(ArticleId(self.args.article), flt)
        self.out.write(f"Marked read: {count} older article(s).\n")
        return EXIT_OK
