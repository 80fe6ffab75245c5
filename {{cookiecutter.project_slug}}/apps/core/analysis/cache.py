"""The analysis of a tree, kept on disk until a file of the tree changes.

Django runs its system checks at every ``manage.py`` command and every ``runserver`` reload.
Analysing the project takes a second or two; finding out that nothing changed takes a walk of
the directories and one ``stat`` per file. The key covers every Python file's path, size and
modification time, because a finding in one file can depend on another (the helper a ``with``
uses, the function a call runs, the receivers a save fires), the project's ``pyproject.toml``
and the analyser's own version. The hit path imports nothing of the analyser but this module.
"""

import hashlib
import json
import os
import tempfile
from pathlib import Path

#: Bump when the analysis changes what it reports for the same files.
VERSION = "2"

_SKIPPED_DIRECTORIES = frozenset({"__pycache__", "node_modules", "site-packages", "venv"})


def _key_files(paths, root):
    """Every ``.py`` file under ``paths`` (excluded or not: a superset only costs a ``stat``)."""
    for raw in paths:
        path = os.fspath(raw)
        if os.path.isfile(path):
            yield path
            continue
        for directory, subdirectories, names in os.walk(path):
            subdirectories[:] = sorted(
                name for name in subdirectories if not name.startswith(".") and name not in _SKIPPED_DIRECTORIES
            )
            for name in sorted(names):
                if name.endswith(".py"):
                    yield os.path.join(directory, name)
    for directory in (Path(root).resolve(), *Path(root).resolve().parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            yield str(candidate)
            break


def tree_key(paths, root):
    """A digest of every Python file under ``paths`` (path, size, mtime) and the project config."""
    digest = hashlib.sha256(VERSION.encode())
    for file in _key_files(paths, root):
        stat = os.stat(file)
        digest.update(f"{file}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def default_cache_file(root):
    """A file of the temporary directory named after the project and the user running it."""
    name = hashlib.sha256(str(Path(root).resolve()).encode()).hexdigest()[:16]
    user = os.getuid() if hasattr(os, "getuid") else "user"
    return Path(tempfile.gettempdir()) / f"transaction-usage-{user}-{name}.json"


def _read_own(path):
    """The cache file's text, only when this user wrote it: another user's file could hide findings."""
    if hasattr(os, "getuid") and path.stat().st_uid != os.getuid():
        raise OSError(f"{path} belongs to another user")
    return path.read_text(encoding="utf-8")


def cached_findings(paths, root, cache_file=None):
    """The findings for ``paths``, from ``cache_file`` when the tree has not changed since."""
    cache_file = Path(cache_file) if cache_file is not None else default_cache_file(root)
    key = tree_key(paths, root)
    try:
        stored = json.loads(_read_own(cache_file))
        if stored.get("key") == key:
            if not stored["findings"]:
                return []
            from .findings import Finding

            return [Finding(**item) for item in stored["findings"]]
    except (OSError, ValueError, TypeError, KeyError):
        pass
    from .transaction_usage import analyse_paths

    findings = analyse_paths(paths, root=root).findings
    payload = json.dumps({"key": key, "findings": [finding.__dict__ for finding in findings]})
    try:
        partial = cache_file.with_name(f"{cache_file.name}.{os.getpid()}")
        partial.write_text(payload, encoding="utf-8")
        os.replace(partial, cache_file)
    except OSError:
        pass  # a read-only temp directory costs speed, not correctness
    return findings
