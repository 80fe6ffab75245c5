"""TXN004: locks taken without a timeout, Python locks and PostgreSQL session advisory locks.

A holder that crashes keeps a lock without expiry forever, and a wait without a bound turns one
stuck holder into a stuck service.
"""

import ast
import re

from .findings import Finding
from .module import has_double_star, is_constant, keyword, label, last_name, own_nodes, positional
from .names import LOCK_WORDS, PROJECT_LOCK_FACTORIES, SESSION_ADVISORY_LOCK, SQL_CALLS


def _string_texts(expression):
    """The string literals in ``expression``; an f-string with each placeholder read as ``0``."""
    for node in ast.walk(expression):
        if isinstance(node, ast.JoinedStr):
            yield "".join(part.value if isinstance(part, ast.Constant) else "0" for part in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value


def lock_findings(parsed):
    """The TXN004 findings of one parsed file."""
    findings = []
    if not re.search(r"\.acquire\(|\.lock\(|advisory", parsed.text or "acquire lock advisory"):
        return findings
    for scope, qualname in parsed.scopes:
        nodes = list(own_nodes(scope))
        assigned = {}
        for node in nodes:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                for target in node.targets:
                    assigned[label(target)] = node.value
        for node in nodes:
            if not isinstance(node, ast.Call):
                continue
            problem = _lock_problem(node, assigned) or _advisory_lock_problem(node, parsed.strings)
            if problem is not None:
                message, fix = problem
                findings.append(Finding("TXN004", parsed.path, node.lineno, qualname, message, fix))
    return findings


def _lock_problem(call, assigned):
    func = call.func
    if not isinstance(func, ast.Attribute) or func.attr not in {"acquire", "lock"}:
        return None
    if has_double_star(call) or "LockRegistry" in label(func.value):
        return None
    if func.attr == "lock":
        if not (positional(call) or keyword(call, "name")) or len(positional(call)) >= 2:
            return None
        timeout = keyword(call, "timeout")
        if timeout is not None and not is_constant(timeout.value, None):
            return None
        return (
            f"{label(func)}(...) has no timeout: a holder that crashes keeps the lock forever",
            f"give it an expiry and a bounded wait:\n  {label(func)}(name, timeout=30, blocking_timeout=10)\n"
            "or use LockRegistry.get_lock(lock_type, resource_id)",
        )
    if not _is_lock_like(func.value, assigned) or _acquire_is_bounded(call, func.value, assigned):
        return None
    return (
        f"{label(func)}() waits without a timeout: one stuck holder blocks every caller",
        "bound the wait with timeout= (threading) or blocking_timeout= (Redis):\n"
        f"  {label(func)}(timeout=10)\nor use LockRegistry.get_lock(lock_type, resource_id)",
    )


def _is_lock_like(receiver, assigned):
    origin = assigned.get(label(receiver))
    labels = [label(receiver)] + ([label(origin.func)] if origin is not None else [])
    for text in labels:
        for identifier in re.findall(r"\w+", text):
            words = {word.lower() for word in identifier.split("_")}
            if words & LOCK_WORDS or identifier.endswith("Lock"):
                return True
    return False


def _acquire_is_bounded(call, receiver, assigned):
    """True when the wait is bounded by the call's arguments or by how the lock was made."""
    for name in ("timeout", "blocking_timeout"):
        item = keyword(call, name)
        if item is not None and not is_constant(item.value, None):
            return True
    blocking = keyword(call, "blocking")
    args = positional(call)
    if (blocking is not None and is_constant(blocking.value, False)) or len(args) >= 2:
        return True
    if args and is_constant(args[0], False):
        return True
    origin = receiver if isinstance(receiver, ast.Call) else assigned.get(label(receiver))
    if isinstance(origin, ast.Call):
        if last_name(origin.func) in PROJECT_LOCK_FACTORIES:
            return True
        bound = keyword(origin, "blocking_timeout")
        return bound is not None and not is_constant(bound.value, None)
    return False


def _advisory_lock_problem(call, strings):
    if last_name(call.func) not in SQL_CALLS:
        return None
    expressions = []
    for argument in call.args + [item.value for item in call.keywords]:
        expressions.append(argument)
        if isinstance(argument, ast.Name):
            expressions.extend(strings.get(argument.id, []))
    for expression in expressions:
        if any(SESSION_ADVISORY_LOCK.search(text) for text in _string_texts(expression)):
            return (
                "session-level pg_advisory_lock waits without a timeout and outlives a rollback",
                "use pg_advisory_xact_lock (released at commit or rollback) under SET LOCAL lock_timeout,\n"
                "or LockRegistry.get_lock(lock_type, resource_id)",
            )
    return None
