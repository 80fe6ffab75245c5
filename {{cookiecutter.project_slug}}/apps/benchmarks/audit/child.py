"""The audit's steps that read or write its database, run as processes of their own.

The command that drives the audit never connects to its own configured database: everything on
the audit's database (its set-up, the count of what each request wrote, the wait for delivery
receipts) runs here, in a process started with the audit's settings and servers in its
environment, and hands its result back as a JSON file::

    python -m apps.benchmarks.audit.child setup OUT --seats N
    python -m apps.benchmarks.audit.child verify OUT --wait SECONDS
"""

import argparse
import json
import sys
from pathlib import Path


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m apps.benchmarks.audit.child")
    parser.add_argument("step", choices=("setup", "verify"))
    parser.add_argument("out", type=Path)
    parser.add_argument("--seats", type=int, default=4)
    parser.add_argument("--wait", type=float, default=0.0)
    args = parser.parse_args(argv)

    import django

    django.setup()
    from . import records

    if args.step == "setup":
        result = records.make_audit_data(args.seats).as_json()
        records.install_holds()
    else:
        missing, expected = records.tasks_without_receipt(args.wait)
        result = {
            "written": dict(records.written_counts()),
            "tasks_expected": expected,
            "tasks_missing": missing,
        }
    args.out.write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
