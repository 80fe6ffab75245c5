#!/usr/bin/env python3
"""Check Python files for database writes that can half-happen; exit 1 when there are findings.

The pre-commit hook runs this with the system Python, before any virtualenv exists, so it
imports the standard-library analyser only, never Django or the rest of the project. Usage:

    python3 .githooks/validate-transaction-usage.py apps/foo/views.py apps/foo/services.py
    python3 .githooks/validate-transaction-usage.py --exclude '*/tests/*' --statistics path/to/any/django/project
    git diff --cached --name-only -z -- '*.py' | python3 .githooks/validate-transaction-usage.py --staged --stdin-list

Exit status: 0 clean (warnings allowed), 1 findings, 2 a wrong command (such as a missing path).
"""

import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def run(argv):
    sys.dont_write_bytecode = True
    sys.path.insert(0, str(PROJECT_ROOT))
    from apps.core.analysis.transaction_usage import main

    return main(argv)


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
