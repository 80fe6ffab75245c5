"""The project's own settings for the analysis, read from ``pyproject.toml``.

::

    [project]
    requires-python = ">=3.12"

    [tool.transaction-usage]
    boundary-helpers = ["myproject.db.traced_atomic"]   # more helpers that open a transaction
    exclude = ["legacy/*", "*/tests/*"]                   # paths not analysed (fnmatch patterns)
    read-aliases = ["analytics"]                          # database aliases that only read

``requires-python`` tells a file written for a newer Python than the one running the analysis
(a warning) from a file the project's declared Pythons cannot run (an error).
"""

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

#: Paths never analysed unless asked for by name: generated migrations run in a transaction of
#: their own on databases that have transactional DDL, and virtualenvs are not the project's.
DEFAULT_EXCLUDE = ("*/migrations/*", "migrations/*")

_VERSION = re.compile(r">=?\s*(\d+)\.(\d+)")


@dataclass(frozen=True)
class Config:
    boundary_helpers: frozenset = frozenset()
    exclude: tuple = DEFAULT_EXCLUDE
    read_aliases: frozenset = frozenset()
    #: The oldest Python the project declares, as ``(3, 11)``; ``None`` when it declares none.
    requires_python: tuple | None = None
    source: str = ""


def _strings(value, key):
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"[tool.transaction-usage] {key} must be a list of strings")
    return tuple(value)


def minimum_python(specifier):
    """The lowest version a ``requires-python`` specifier allows, as ``(3, 11)``."""
    found = [(int(major), int(minor)) for major, minor in _VERSION.findall(specifier or "")]
    return min(found) if found else None


def find_pyproject(start):
    """The nearest ``pyproject.toml`` at or above ``start``."""
    start = Path(start).resolve()
    if start.is_file():
        start = start.parent
    for directory in (start, *start.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load_config(start):
    """The settings of the project around ``start``; defaults where it has no ``pyproject.toml``.

    A malformed file raises ``ValueError`` naming it: a silently ignored exclusion or helper
    would change what the analysis reports.
    """
    path = find_pyproject(start)
    if path is None:
        return Config()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ValueError(f"{path}: {error}") from error
    section = data.get("tool", {}).get("transaction-usage", {})
    helpers = _strings(section.get("boundary-helpers"), "boundary-helpers")
    return Config(
        boundary_helpers=frozenset(name.rsplit(".", 1)[-1] for name in helpers),
        exclude=DEFAULT_EXCLUDE + _strings(section.get("exclude"), "exclude"),
        read_aliases=frozenset(_strings(section.get("read-aliases"), "read-aliases")),
        requires_python=minimum_python(data.get("project", {}).get("requires-python")),
        source=str(path),
    )
