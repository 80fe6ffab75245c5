"""The command line: ``python .githooks/validate-transaction-usage.py PATH...``.

Exit status: 0 when there is nothing to fix (warnings may be printed), 1 when there are
findings, 2 when the command itself is wrong (a path that does not exist, a bad option, a
malformed ``[tool.transaction-usage]``).
"""

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from .config import DEFAULT_EXCLUDE, load_config
from .findings import format_report
from .names import RULES
from .sources import find_root, is_excluded


def _split_list(text):
    """Paths read from stdin: NUL-separated (``git diff -z``) or one a line."""
    separator = "\0" if "\0" in text else "\n"
    return [item for item in text.split(separator) if item.strip()]


def _parser():
    parser = argparse.ArgumentParser(
        prog="validate-transaction-usage",
        description="Find database writes outside a transaction and side effects inside one.",
    )
    parser.add_argument("paths", nargs="*", help="Python files or directories to analyse")
    parser.add_argument(
        "--stdin-list", action="store_true", help="also read paths from stdin, one a line or NUL-separated"
    )
    parser.add_argument(
        "--staged",
        action="store_true",
        help="read each file as staged in git's index; calls are followed into the rest of the work tree",
    )
    parser.add_argument("--root", help="show paths relative to this directory (default: the git work tree)")
    parser.add_argument(
        "--tree",
        action="append",
        help="directory whose functions calls are followed into (default: the analysed paths; "
        "with --staged, the whole work tree); may be repeated",
    )
    parser.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="PATTERN",
        help="skip files whose path matches this fnmatch pattern ('legacy/*'); a pattern without '/' "
        "matches any part of the path ('tests'); may be repeated",
    )
    parser.add_argument(
        "--no-default-exclude",
        action="store_true",
        help="also analyse what is skipped by default (migrations directories)",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    parser.add_argument("--json", action="store_true", help="same as --format json")
    parser.add_argument(
        "--statistics", action="store_true", help="print files analysed, parsed and skipped, speed, findings per rule"
    )
    return parser


def _statistics(report):
    stats = report.statistics
    rate = stats.files / stats.seconds if stats.seconds else 0.0
    lines = [
        f"{stats.files} file(s) analysed in {stats.seconds:.2f} s ({rate:.0f} files/s): "
        f"{stats.parsed} parsed, {stats.skipped} skipped by the text pre-filter",
    ]
    lines.extend(f"  {code}  {count:5d}  {RULES[code]}" for code, count in report.counts().items())
    return "\n".join(lines)


def main(argv=None):
    from .transaction_usage import analyse_paths

    parser = _parser()
    args = parser.parse_args(argv)
    paths = list(args.paths)
    if args.stdin_list:
        paths.extend(_split_list(sys.stdin.read()))
    elif not paths:
        parser.error("give the files or directories to analyse, e.g.: validate-transaction-usage.py apps/")
    tree = args.tree
    if tree is None and args.staged:
        tree = [str(find_root(".") if args.root is None else args.root)]
    try:
        config = load_config(args.root or find_root("."))
        if args.no_default_exclude:
            config = replace(config, exclude=tuple(p for p in config.exclude if p not in DEFAULT_EXCLUDE))
        if args.staged:
            # The project's exclusions hold for the files a commit stages too (as ruff's --force-exclude).
            patterns = tuple(config.exclude) + tuple(args.exclude or ())
            paths = [path for path in paths if not is_excluded(Path(path).as_posix(), patterns)]
        report = analyse_paths(
            paths, root=args.root, staged=args.staged, exclude=args.exclude, tree=tree, config=config
        )
    except FileNotFoundError as error:
        print(f"validate-transaction-usage: no such file or directory: {error.args[0]}", file=sys.stderr)
        return 2
    except ValueError as error:
        print(f"validate-transaction-usage: {error}", file=sys.stderr)
        return 2
    if args.json or args.format == "json":
        print(json.dumps(report.as_dict(), indent=2))
    elif report.findings:
        print(format_report(report.findings))
    else:
        print(f"Transaction usage: {len(report.files)} file(s) checked, no issues.")
    if args.statistics and not (args.json or args.format == "json"):
        print(_statistics(report))
    return 1 if report.errors else 0
