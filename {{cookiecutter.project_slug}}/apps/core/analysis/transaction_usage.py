"""Find database writes that can half-happen, by reading the source code.

The project promises that an operation either commits whole or leaves nothing behind. This
package looks for the places where that promise is usually broken. It uses the standard
library only and never imports Django or the code it reads, so the git pre-commit hook can run
it with the system Python before any virtualenv exists; the transaction dashboard's coverage
audit and a Django system check use the same analysis.

Rules:

TXN000  the file could not be read or parsed.
TXN001  a write entry point writes twice or more outside a transaction: a form view's
        ``handle_valid_form`` or ``form_valid``, a DRF ``perform_create``/``perform_update``/
        ``perform_destroy`` or function view, a view function, a Celery task, a management
        command or a service function. A save whose ``post_save``/``pre_save`` receivers write
        is more than one write; one plain write is atomic on its own.
TXN002  a side effect that leaves the database (Celery task, canvas, e-mail) runs inside a
        transaction instead of after it commits, here or one call away; or
        ``on_commit(task.delay(...))`` sends at once.
TXN003  a signal receiver opens a transaction of its own (joining the sender's with
        ``savepoint=False`` is fine).
TXN004  a lock is taken without a timeout.
TXN005  a suppression comment gives no reason.
TXN006  a file uses syntax of a newer Python than the one running the analysis (a warning).

A finding is silenced by a comment on its line (the ``def`` line for TXN001, the call line for
the others) that says why the rule does not apply: ``# txn: ignore[TXN001] <reason>``; several
rules are separated by commas: ``[TXN001,TXN002]``.

Calls are followed one level into functions of the analysed tree (same module, imported from
another module, ``self.``/``cls.`` methods); a finding about such a call names both lines.
"""

import time
from pathlib import Path

from .config import Config, load_config
from .findings import EntryPoint, Finding, Report, Statistics, format_report
from .index import ProjectIndex
from .module import ParsedModule
from .names import BOUNDARY_BASES, BOUNDARY_HELPERS, RULES
from .sources import (
    find_root,
    needs_analysis,
    parse_suppressions,
    python_files,
    read_staged,
    read_working_copy,
)

__all__ = [
    "BOUNDARY_BASES",
    "BOUNDARY_HELPERS",
    "RULES",
    "EntryPoint",
    "Finding",
    "Report",
    "analyse_paths",
    "analyse_source",
    "format_report",
    "main",
]


def _check_file(index, path):
    """Findings (suppressions applied) and entry points of one file of the index."""
    parsed = index.parsed(path)
    if isinstance(parsed, Finding):
        return [parsed], []
    try:
        findings, entry_points = index.analysis(path).check()
    except RecursionError:
        message = f"could not analyse {path}: the code is nested too deeply"
        return [Finding("TXN000", path, 1, "", message, "split the deeply nested code into functions")], []
    suppressions, problems = parse_suppressions(parsed.text)
    kept = []
    for finding in dict.fromkeys(findings):
        suppression = suppressions.get(finding.line)
        if suppression is None or finding.code not in suppression.codes:
            kept.append(finding)
    for line, problem in problems:
        fix = "say why the rule does not apply here: # txn: ignore[TXN001] <reason>"
        kept.append(Finding("TXN005", path, line, parsed.qualname_at(line), problem, fix))
    silenced = {finding.line for finding in findings if finding not in kept and finding.code == "TXN001"}
    entry_points = [
        EntryPoint(**{**entry.__dict__, "boundary": f"suppressed: {suppressions[entry.line].reason}"})
        if entry.line in silenced and not entry.protected
        else entry
        for entry in entry_points
    ]
    kept.sort(key=lambda finding: (finding.line, finding.code))
    return kept, entry_points


def _analyse_index(index, paths, report, named=None):
    """Check ``paths`` of the index; the text pre-filter skips files found by walking a directory.

    Files named one by one (``named``; all of them when ``None``) are always parsed, so that a
    syntax error in a file someone asked about is reported.
    """
    helper_names = tuple(index.helpers)
    for path in paths:
        report.files.append(path)
        text = index.texts.get(path)
        if isinstance(text, BaseException):
            fix = "make the file readable UTF-8 (or declare its encoding)"
            report.findings.append(Finding("TXN000", path, 1, "", f"could not read {path}: {text}", fix))
            continue
        if named is not None and path not in named and not needs_analysis(text, path, helper_names):
            report.statistics.skipped += 1
            continue
        findings, entry_points = _check_file(index, path)
        report.findings.extend(findings)
        report.entry_points.extend(entry_points)
    report.statistics.files = len(report.files)
    report.statistics.parsed = index.parsed_count


def analyse_source(source: str, path: str, config: Config | None = None) -> list[Finding]:
    """The findings for one file's source; ``path`` is used in the report and to spot services."""
    path = str(path)
    index = ProjectIndex({path: source}, config)
    report = Report()
    _analyse_index(index, [path], report)
    return report.findings


def _read_all(files):
    texts, locations = {}, {}
    for file, shown in files:
        if shown in texts:
            continue
        locations[shown] = file
        try:
            texts[shown] = read_working_copy(file)
        except (OSError, UnicodeDecodeError, SyntaxError) as error:
            texts[shown] = error
    return texts, locations


def analyse_paths(
    paths,
    root=None,
    staged: bool = False,
    exclude=(),
    tree=None,
    config: Config | None = None,
) -> Report:
    """Analyse every Python file in ``paths`` (files or directories) and return a ``Report``.

    Paths in the report are relative to ``root``, by default the git work tree around the
    current directory. ``tree`` (directories) is what calls are followed into and helpers and
    receivers are found in; by default the analysed paths themselves. With ``staged``, each
    analysed file is read from git's index (what the commit about to be made contains), the
    rest of the tree from the working copy. A path that does not exist raises
    ``FileNotFoundError``; a malformed ``[tool.transaction-usage]`` raises ``ValueError``.
    """
    started = time.perf_counter()
    root = Path(root).resolve() if root is not None else find_root(Path.cwd())
    config = config if config is not None else load_config(root)
    patterns = tuple(config.exclude) + tuple(exclude or ())
    files = list(python_files(paths, root, patterns, missing_ok=staged))
    analysed = [shown for _, shown in files]
    texts, locations = _read_all(files)
    if tree is not None:
        tree_files = [(file, shown) for file, shown in python_files(tree, root, patterns) if shown not in texts]
        texts.update(_read_all(tree_files)[0])
    if staged:
        staged_texts = read_staged([locations[shown] for shown in analysed], Path.cwd())
        for shown in analysed:
            texts[shown] = staged_texts[locations[shown]]
    index = ProjectIndex(texts, config)
    report = Report(statistics=Statistics())
    named = {shown for file, shown in python_files([p for p in paths if Path(p).is_file()], root)}
    _analyse_index(index, analysed, report, named)
    report.statistics.seconds = time.perf_counter() - started
    return report


def main(argv=None):
    """Command line: see ``cli``."""
    from .cli import main as cli_main

    return cli_main(argv)


_ = ParsedModule  # re-exported for the index's users

if __name__ == "__main__":
    import sys

    sys.exit(main())
