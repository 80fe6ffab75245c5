"""Source files: finding them, reading them (working copy or git's index), parsing, suppressions.

Parsing is the expensive part of the analysis, so a file is read as text first and parsed only
when it mentions a name some rule looks at (``needs_analysis``), and tokenized only when it
contains ``txn:``.
"""

import ast
import fnmatch
import io
import os
import re
import subprocess
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path

from .findings import Finding
from .names import PARSE_FIX, SUPPRESSIBLE

_SKIPPED_DIRECTORIES = frozenset({"__pycache__", "node_modules", "site-packages", "venv"})

_SUPPRESSION = re.compile(r"#\s*txn:\s*ignore\b(?P<rest>.*)$", re.IGNORECASE)
_SUPPRESSION_CODES = re.compile(r"\s*\[(?P<codes>[^\]]*)\](?P<reason>.*)$")

#: Words without which a file can break no rule of its own: no boundary, no entry point, no lock,
#: no suppression. Such a file is still read when a call is followed into it.
_RULE_WORDS = re.compile(
    r"atomic|on_commit|handle_valid_form|perform_(?:create|update|destroy)|form_valid|api_view|@action"
    r"|\.acquire\(|\.lock\(|advisory|txn:|receiver|\.connect\(|def (?:post|put|patch|delete)\("
)
_VIEW_FUNCTION = re.compile(r"^\s*(?:async\s+)?def \w+\(\s*request\b", re.MULTILINE)


@dataclass(frozen=True)
class Suppression:
    codes: frozenset
    reason: str


def is_excluded(relative, patterns):
    """True when the ``/``-separated ``relative`` path matches a pattern (``fnmatch``).

    A pattern without a ``/`` is matched against each part of the path too, so ``tests``
    excludes every ``tests`` directory and ``test_*.py`` every file named so.
    """
    parts = relative.split("/")
    for pattern in patterns:
        if fnmatch.fnmatchcase(relative, pattern):
            return True
        if "/" not in pattern and any(fnmatch.fnmatchcase(part, pattern) for part in parts):
            return True
    return False


def python_files(paths, root, exclude=(), missing_ok=False):
    """``(path, shown)`` for the ``.py`` files named by ``paths``, directories searched recursively.

    ``shown`` is the ``/``-separated path relative to ``root`` used in reports. ``exclude``
    patterns apply to files found in directories; a file named on its own is always analysed. A
    path that does not exist raises ``FileNotFoundError``.
    """
    root = os.path.realpath(root)
    seen = set()
    for raw in paths:
        path = os.path.realpath(raw)
        if os.path.isdir(path):
            for directory, subdirectories, names in os.walk(path):
                subdirectories[:] = sorted(
                    name for name in subdirectories if not name.startswith(".") and name not in _SKIPPED_DIRECTORIES
                )
                prefix = _shown(directory, root)
                prefix = "" if prefix == "." else prefix + "/"
                for name in sorted(names):
                    if name.endswith(".py"):
                        shown = prefix + name
                        if shown not in seen and not is_excluded(shown, exclude):
                            seen.add(shown)
                            yield os.path.join(directory, name), shown
        elif os.path.exists(path):
            shown = _shown(path, root)
            if path.endswith(".py") and shown not in seen:
                seen.add(shown)
                yield path, shown
        elif missing_ok and path.endswith(".py"):
            yield path, _shown(path, root)  # staged, then removed from the working copy
        else:
            raise FileNotFoundError(raw)


def _shown(path, root):
    if path == root:
        return "."
    if path.startswith(root + os.sep):
        return path[len(root) + 1 :].replace(os.sep, "/")
    return Path(path).as_posix()


def find_root(start):
    """The git work tree around ``start``, else ``start`` itself."""
    start = Path(start).resolve()
    for directory in (start, *start.parents):
        if (directory / ".git").exists():
            return directory
    return start


def display_path(path, root):
    try:
        return Path(path).resolve().relative_to(root).as_posix()
    except ValueError:
        return Path(path).as_posix()


def read_working_copy(path):
    with tokenize.open(path) as handle:
        return handle.read()


def read_staged(paths, cwd):
    """The staged text of each path, from git's index in one ``git cat-file --batch`` call."""
    relatives = [os.path.relpath(os.path.realpath(path), os.path.realpath(cwd)) for path in paths]
    request = "".join(f":./{Path(relative).as_posix()}\n" for relative in relatives).encode()
    result = subprocess.run(["git", "cat-file", "--batch"], input=request, capture_output=True, check=False, cwd=cwd)
    if result.returncode != 0:
        raise OSError(result.stderr.decode(errors="replace").strip() or "git cat-file failed")
    texts, data, offset = {}, result.stdout, 0
    for path in paths:
        end = data.index(b"\n", offset)
        header = data[offset:end].decode(errors="replace")
        offset = end + 1
        if header.endswith(" missing"):
            texts[path] = OSError(f"{path} is not in the git index")
            continue
        size = int(header.rsplit(" ", 1)[-1])
        blob = data[offset : offset + size]
        offset += size + 1
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(blob).readline)
            texts[path] = blob.decode(encoding)
        except (SyntaxError, UnicodeDecodeError, LookupError) as error:
            texts[path] = error
    return texts


def needs_analysis(text, path, helper_names):
    """Whether a file can break a rule on its own, judged from its text and path."""
    if _RULE_WORDS.search(text) or is_services_module(path):
        return True
    if is_views_module(path) and _VIEW_FUNCTION.search(text):
        return True
    return any(name in text for name in helper_names)


def is_services_module(path):
    parts = Path(path).parts
    return bool(parts) and (parts[-1] == "services.py" or "services" in parts[:-1])


def is_views_module(path):
    parts = Path(path).parts
    return bool(parts) and (parts[-1] in {"views.py", "api.py"} or "views" in parts[:-1] or "api" in parts[:-1])


# Syntax newer than the running Python: (version, what, where to look, pattern). ``where`` is the
# line of the error, the whole text, or the error message.
_NEWER_SYNTAX = (
    ((3, 14), "template strings", "line", re.compile(r"(?<![\w'\"])t['\"]")),
    ((3, 14), "except without parentheses", "line", re.compile(r"^\s*except\*?\s+\w[\w.]*\s*,")),
    ((3, 13), "type parameter defaults", "text", re.compile(r"^\s*(?:def|class|type)\s+\w+\s*\[[^\]]*=", re.M)),
    ((3, 12), "type parameters", "text", re.compile(r"^\s*(?:async\s+)?(?:def|class)\s+\w+\s*\[", re.M)),
    ((3, 12), "type alias statements", "text", re.compile(r"^\s*type\s+\w+\s*(?:\[[^\]]*\])?\s*=", re.M)),
    ((3, 12), "the f-string grammar of PEP 701", "message", re.compile(r"^f-string")),
    ((3, 11), "except* groups", "text", re.compile(r"^\s*except\s*\*", re.M)),
    ((3, 10), "match statements", "text", re.compile(r"^\s*match\s+.+:\s*$", re.M)),
)


def _error_line(error, text):
    number = getattr(error, "lineno", None) or 0
    lines = text.splitlines()
    return lines[number - 1] if 0 < number <= len(lines) else ""


def newer_syntax(error, text, running=None):
    """``(version, what)`` when ``error`` comes from syntax newer than the running Python."""
    running = running or sys.version_info[:2]
    for version, what, where, pattern in _NEWER_SYNTAX:
        if version <= running:
            continue
        subject = {"line": _error_line(error, text), "text": text, "message": str(getattr(error, "msg", ""))}[where]
        if pattern.search(subject):
            return version, what
    return None


def parse(text, path, requires_python=None):
    """The module's tree, or a ``Finding`` saying why there is none.

    Code written for a newer Python than the one running is a TXN006 warning naming the version
    when the project declares that version (or declares none); it is a TXN000 error when the
    project says it supports a Python that cannot run it.
    """
    try:
        return ast.parse(text, filename=path)
    except SyntaxError as error:
        newer = newer_syntax(error, text)
        line = getattr(error, "lineno", None) or 1
        if newer is not None:
            (major, minor), what = newer
            running = ".".join(map(str, sys.version_info[:2]))
            if requires_python is None or requires_python >= (major, minor):
                message = (
                    f"{path} uses {what} (Python {major}.{minor}); this analysis runs on Python {running} "
                    "and cannot read it, so its transaction rules were not checked"
                )
                fix = f"run the analysis with Python {major}.{minor} or newer: python{major}.{minor} <this command>"
                return Finding("TXN006", path, line, "", message, fix)
            declared = ".".join(map(str, requires_python))
            message = (
                f"{path} uses {what}, which needs Python {major}.{minor}, "
                f"but the project declares requires-python >={declared}"
            )
            fix = f"raise requires-python to >={major}.{minor} in pyproject.toml, or write it for Python {declared}"
            return Finding("TXN000", path, line, "", message, fix)
        detail = getattr(error, "msg", None) or str(error)
        return Finding("TXN000", path, line, "", f"could not parse {path}:{line}: {detail}", PARSE_FIX)
    except (ValueError, RecursionError, MemoryError) as error:
        return Finding("TXN000", path, 1, "", f"could not parse {path}:1: {error}", PARSE_FIX)


def parse_suppressions(text):
    """The ``# txn: ignore[...]`` comments by line, and the lines of those that give no reason."""
    suppressions, problems = {}, []
    if "txn:" not in text.lower():
        return suppressions, problems
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return suppressions, problems
    for token in tokens:
        if token.type != tokenize.COMMENT:
            continue
        match = _SUPPRESSION.match(token.string)
        if match is None:
            continue
        line = token.start[0]
        codes_match = _SUPPRESSION_CODES.match(match["rest"])
        if codes_match is None:
            problems.append((line, "suppression names no rule and gives no reason"))
            continue
        codes = frozenset(code.strip().upper() for code in codes_match["codes"].split(",") if code.strip())
        reason = codes_match["reason"].strip(" \t-:;,")
        unknown = sorted(codes - SUPPRESSIBLE)
        if unknown or not codes:
            problems.append((line, f"suppression names no rule it can silence ({', '.join(unknown) or 'none'})"))
        elif not reason:
            problems.append((line, f"suppression without a reason (silences {', '.join(sorted(codes))})"))
        suppressions[line] = Suppression(codes & SUPPRESSIBLE, reason)
    return suppressions, problems
