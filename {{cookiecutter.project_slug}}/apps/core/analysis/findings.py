"""What the analysis reports: findings, the write entry points it saw, and the report over a run."""

from collections import Counter
from dataclasses import asdict, dataclass, field

from .names import RULES, WARNINGS


@dataclass(frozen=True)
class Finding:
    """One broken rule: where it is, what is wrong and how to put it right."""

    code: str
    path: str
    line: int
    qualname: str
    message: str
    fix: str

    @property
    def location(self):
        return f"{self.path}:{self.line}"

    @property
    def is_warning(self):
        """A warning is shown but never fails the hook or the check."""
        return self.code in WARNINGS

    def format(self):
        """The report block: a ``path:line: CODE in name`` headline, the issue and the fix."""
        headline = f"{self.location}: {self.code}"
        if self.qualname:
            headline += f" in {self.qualname}"
        if self.is_warning:
            headline += " (warning)"
        lines = [headline, f"  issue: {self.message}"]
        fix_lines = self.fix.splitlines() or [""]
        lines.append(f"  fix:   {fix_lines[0]}")
        lines.extend(f"         {line}" for line in fix_lines[1:])
        return "\n".join(lines)


@dataclass(frozen=True)
class EntryPoint:
    """A function that starts writes: whether a transaction protects them, and how.

    ``kind`` is "form view", "api view", "view" or "service". ``boundary`` names the protection
    ("decorator", "with block", "base class AtomicFormView", "runs in add_step", "called only
    inside transactions", "single write", "no writes of its own") or its absence ("none",
    "suppressed: <reason>"). ``writes`` are the writes seen in its body.
    """

    path: str
    line: int
    qualname: str
    kind: str
    protected: bool
    boundary: str
    writes: tuple[str, ...] = ()


@dataclass
class Statistics:
    """How much work a run did: for ``--statistics`` and the benchmarks."""

    files: int = 0
    parsed: int = 0
    skipped: int = 0
    seconds: float = 0.0


@dataclass
class Report:
    """The findings over a set of files, and the write entry points for a coverage figure."""

    findings: list[Finding] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    entry_points: list[EntryPoint] = field(default_factory=list)
    statistics: Statistics = field(default_factory=Statistics)

    @property
    def errors(self):
        return [finding for finding in self.findings if not finding.is_warning]

    @property
    def coverage(self):
        total = len(self.entry_points)
        protected = sum(1 for entry in self.entry_points if entry.protected)
        percent = round(100.0 * protected / total, 1) if total else 100.0
        return {"entry_points": total, "protected": protected, "unprotected": total - protected, "percent": percent}

    def counts(self):
        """Findings per rule, every rule listed."""
        counted = Counter(finding.code for finding in self.findings)
        return {code: counted.get(code, 0) for code in RULES}

    def as_dict(self):
        return {
            "files": list(self.files),
            "findings": [asdict(finding) for finding in self.findings],
            "entry_points": [asdict(entry) for entry in self.entry_points],
            "coverage": self.coverage,
            "statistics": {**asdict(self.statistics), "findings": self.counts()},
        }


def format_report(findings):
    """The findings as the pre-commit hook prints them, ending with a one-line summary."""
    findings = list(findings)
    if not findings:
        return "No transaction issues found."
    ordered = sorted(findings, key=lambda finding: (finding.path, finding.line, finding.code))
    files = len({finding.path for finding in findings})
    blocks = "\n\n".join(finding.format() for finding in ordered)
    warnings = sum(1 for finding in findings if finding.is_warning)
    summary = f"{len(findings) - warnings} transaction issue(s)"
    if warnings:
        summary += f" and {warnings} warning(s)"
    return f"{blocks}\n\n{summary} in {files} file(s)"
