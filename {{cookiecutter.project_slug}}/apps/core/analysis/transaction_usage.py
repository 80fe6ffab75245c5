"""Find database writes that can half-happen, by reading the source code.

The project promises that an operation either commits whole or leaves nothing behind. This module
looks for the places where that promise is usually broken. It uses the standard library's ``ast``
only and never imports Django or the code it reads, so the git pre-commit hook can run it with the
system Python before any virtualenv exists; the transaction dashboard's coverage audit and a
Django system check use the same analysis.

Rules:

TXN000  the file could not be read or parsed.
TXN001  a write entry point writes outside a transaction: a form view's ``handle_valid_form``, a
        DRF view's ``perform_create``/``perform_update``/``perform_destroy``, or a function in a
        ``services`` module that writes twice or more.
TXN002  a side effect that leaves the database (Celery task, e-mail) runs inside a transaction
        instead of after it commits.
TXN003  a signal receiver opens a transaction of its own.
TXN004  a lock is taken without a timeout.
TXN005  a suppression comment gives no reason.

A finding is silenced by a comment on its line (the ``def`` line for TXN001, the call line for
the others) that says why the rule does not apply: ``# txn: ignore[TXN001] <reason>``; several
rules are separated by commas: ``[TXN001,TXN002]``.

The analysis is deliberately local: it reads one file at a time and knows nothing about the
functions a file imports, so a call into another module's service is trusted to hold its own
boundary. What it cannot see it does not report.
"""

import argparse
import ast
import io
import json
import os
import re
import subprocess
import sys
import tokenize
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

# Configuration: the project's own names. Extend these when the project grows new helpers.

#: Helpers that open a transaction, as a ``with`` block or a decorator, under any import alias.
#: ``transaction_boundary`` is the overridable method of the project's atomic view bases.
BOUNDARY_HELPERS = frozenset(
    {
        "atomic_view_operation",
        "signal_aware_transaction",
        "with_lock_and_transaction",
        "lock_and_transaction",
        "transaction_boundary",
    }
)

#: Django's own boundary, by its full dotted name.
DJANGO_ATOMIC = "django.db.transaction.atomic"

_DRF_PERFORM_METHODS = frozenset({"perform_create", "perform_update", "perform_destroy"})

#: Base classes (by name) whose own code runs the listed methods of a subclass in a transaction.
BOUNDARY_BASES = {
    "AtomicFormView": frozenset({"handle_valid_form"}),
    "AtomicModelViewSet": _DRF_PERFORM_METHODS,
    "AtomicCreateReadViewSet": _DRF_PERFORM_METHODS,
    "AtomicWriteMixin": _DRF_PERFORM_METHODS,
}

#: The methods of a view through which each entry point is reached: wrapping one of them in a
#: transaction (in the class or a base of the same file) protects the entry point.
_CALLERS = {
    "handle_valid_form": frozenset({"dispatch", "post", "put", "patch"}),
    "perform_create": frozenset({"dispatch", "post", "create"}),
    "perform_update": frozenset({"dispatch", "put", "patch", "update", "partial_update"}),
    "perform_destroy": frozenset({"dispatch", "delete", "destroy"}),
}

#: Calls that run the functions passed to them inside a transaction: a batch per transaction,
#: or a saga whose every step (action or compensation) is its own transaction.
TRANSACTION_RUNNERS = frozenset({"transactional_batch_operation", "add_step", "SagaStep"})

#: Methods that write to the database. Some names are shared with other APIs (``dict.update``,
#: ``cache.delete``, ``storage.save``); ``write_label`` tells them apart by their arguments.
WRITE_METHODS = frozenset(
    {
        "save",
        "create",
        "update",
        "delete",
        "bulk_create",
        "bulk_update",
        "get_or_create",
        "update_or_create",
        "asave",
        "acreate",
        "aupdate",
        "adelete",
        "abulk_create",
        "abulk_update",
        "aget_or_create",
        "aupdate_or_create",
    }
)

#: ORM methods that take keyword arguments only: a positional argument means another API.
_KEYWORD_ONLY_WRITES = frozenset({"save", "create", "update", "delete", "asave", "acreate", "aupdate", "adelete"})

#: Project functions that write the instance they are given (unless called with ``save=False``).
WRITE_FUNCTIONS = frozenset({"save_userinfo"})

#: Calls that leave the database and so must wait for the commit.
SIDE_EFFECT_METHODS = {
    "delay": "{receiver}.delay_on_commit(...)",
    "apply_async": "{receiver}.apply_async_on_commit(...)",
    "send_task": "transaction.on_commit(lambda: {call}(...), using=get_current_db_name())",
    "send_messages": "transaction.on_commit(lambda: {call}(...), using=get_current_db_name())",
}
SIDE_EFFECT_FUNCTIONS = frozenset({"send_mail", "send_mass_mail", "mail_admins", "mail_managers"})
#: The project's e-mail helpers, by name: ``send_welcome_email``, ``send_permit_email``...
SIDE_EFFECT_FUNCTION_PATTERNS = (re.compile(r"^send_\w+_email$"),)
#: Classes whose instances' ``send()`` sends an e-mail.
EMAIL_MESSAGE_CLASSES = frozenset({"EmailMessage", "EmailMultiAlternatives"})

#: Project lock factories and classes whose locks carry their own expiry and bounded wait.
PROJECT_LOCK_FACTORIES = frozenset({"get_lock", "RedisLock", "InProcessLock", "PostgresAdvisoryLock"})
#: Calls whose string arguments are raw SQL.
SQL_CALLS = frozenset({"execute", "executemany", "raw", "RawSQL", "extra"})
_SESSION_ADVISORY_LOCK = re.compile(r"\bpg_advisory_lock(?:_shared)?\s*\(\s*[\w%$:]", re.IGNORECASE)
_LOCK_WORDS = frozenset({"lock", "locks", "rlock", "mutex", "semaphore", "sem"})

RULES = {
    "TXN000": "file could not be parsed",
    "TXN001": "writes outside a transaction",
    "TXN002": "side effect inside a transaction",
    "TXN003": "transaction opened in a signal receiver",
    "TXN004": "lock without a timeout",
    "TXN005": "suppression without a reason",
}
SUPPRESSIBLE = frozenset({"TXN001", "TXN002", "TXN003", "TXN004"})

_FUNCTION_TYPES = (ast.FunctionDef, ast.AsyncFunctionDef)
_SKIPPED_DIRECTORIES = frozenset({"__pycache__", "node_modules", "site-packages", "venv"})

_SUPPRESSION = re.compile(r"#\s*txn:\s*ignore\b(?P<rest>.*)$", re.IGNORECASE)
_SUPPRESSION_CODES = re.compile(r"\s*\[(?P<codes>[^\]]*)\](?P<reason>.*)$")

_WRAP_FIX = "  with transaction.atomic(using=get_current_db_name()):\n      ..."
_VIEW_FIX = (
    "move the writes into a service decorated with @atomic_view_operation(), inherit from {base},\n"
    "or wrap the writes:\n" + _WRAP_FIX
)
_SERVICE_FIX = "decorate the function with @atomic_view_operation() or wrap the writes:\n" + _WRAP_FIX
_ASYNC_FIX = (
    "Django opens no transaction in async code: move the writes into a sync service decorated\n"
    "with @atomic_view_operation() and await it through sync_to_async(service)(...)"
)
_ON_COMMIT_FIX = "transaction.on_commit(lambda: {call}(...), using=get_current_db_name())"
_RECEIVER_FIX = (
    "remove the boundary: a receiver runs inside the transaction of the code that sent the\n"
    "signal, and its writes commit or roll back with it. Schedule side effects with\n"
    "transaction.on_commit(...); open the transaction in the caller (signal_aware_transaction())."
)


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

    def format(self):
        """The report block: a ``path:line: CODE in name`` headline, the issue and the fix."""
        headline = f"{self.location}: {self.code}"
        if self.qualname:
            headline += f" in {self.qualname}"
        lines = [headline, f"  issue: {self.message}"]
        fix_lines = self.fix.splitlines() or [""]
        lines.append(f"  fix:   {fix_lines[0]}")
        lines.extend(f"         {line}" for line in fix_lines[1:])
        return "\n".join(lines)


@dataclass(frozen=True)
class EntryPoint:
    """A function that starts writes: whether a transaction protects them, and how.

    ``kind`` is "form view", "api view" or "service". ``boundary`` names the protection
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
class Report:
    """The findings over a set of files, and the write entry points for a coverage figure."""

    findings: list[Finding] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    entry_points: list[EntryPoint] = field(default_factory=list)

    @property
    def coverage(self):
        total = len(self.entry_points)
        protected = sum(1 for entry in self.entry_points if entry.protected)
        percent = round(100.0 * protected / total, 1) if total else 100.0
        return {"entry_points": total, "protected": protected, "unprotected": total - protected, "percent": percent}

    def as_dict(self):
        return {
            "files": list(self.files),
            "findings": [asdict(finding) for finding in self.findings],
            "entry_points": [asdict(entry) for entry in self.entry_points],
            "coverage": self.coverage,
        }


@dataclass(frozen=True)
class _Event:
    """Something a function body does at a point where a transaction is, or is not, open."""

    kind: str
    node: ast.AST
    label: str
    atomic: bool
    in_loop: bool = False
    fix: str = ""


@dataclass(frozen=True)
class _Function:
    node: ast.AST
    qualname: str
    container: ast.AST
    class_node: ast.ClassDef | None

    @property
    def name(self):
        return self.node.name

    @property
    def is_module_level(self):
        return isinstance(self.container, ast.Module)


@dataclass(frozen=True)
class _Suppression:
    codes: frozenset
    reason: str


def _label(expr):
    """A short readable name for a callee: ``Foo.objects.filter(...).update``."""
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        return f"{_label(expr.value)}.{expr.attr}"
    if isinstance(expr, ast.Call):
        return f"{_label(expr.func)}({'...' if expr.args or expr.keywords else ''})"
    if isinstance(expr, ast.Subscript):
        return f"{_label(expr.value)}[...]"
    return "(...)"


def _last_name(expr):
    """The name a call is known by: ``send_mail`` for both ``send_mail`` and ``mail.send_mail``."""
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        return expr.attr
    return None


def _keyword(call, name):
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword
    return None


def _is_constant(node, value):
    return isinstance(node, ast.Constant) and node.value is value


def _positional(call):
    return [arg for arg in call.args if not isinstance(arg, ast.Starred)]


def _has_double_star(call):
    return any(keyword.arg is None for keyword in call.keywords)


def _string_texts(expression):
    """The string literals in ``expression``; an f-string with each placeholder read as ``0``."""
    for node in ast.walk(expression):
        if isinstance(node, ast.JoinedStr):
            yield "".join(part.value if isinstance(part, ast.Constant) else "0" for part in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value


def _import_aliases(tree):
    """Map each name bound by an import to the dotted name it stands for."""
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    aliases[alias.asname] = alias.name
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            for alias in node.names:
                if alias.name == "*":
                    continue
                prefix = module if not module or module.endswith(".") else module + "."
                aliases[alias.asname or alias.name] = prefix + alias.name
    return aliases


def _decorated_method_name(decorator):
    """The ``name=`` of a class decorator ``method_decorator(..., name="dispatch")``."""
    if isinstance(decorator, ast.Call):
        name = _keyword(decorator, "name")
        if name is not None and isinstance(name.value, ast.Constant):
            return name.value.value
    return None


def _is_services_module(path):
    parts = Path(path).parts
    return bool(parts) and (parts[-1] == "services.py" or "services" in parts[:-1])


def _own_nodes(scope):
    """The nodes of ``scope`` that are not inside a nested function or class."""
    pending = list(ast.iter_child_nodes(scope))
    while pending:
        node = pending.pop()
        yield node
        if not isinstance(node, (*_FUNCTION_TYPES, ast.ClassDef)):
            pending.extend(ast.iter_child_nodes(node))


def _nested_functions(function_node):
    """The functions defined directly in ``function_node``'s body, by name."""
    return {node.name: node for node in _own_nodes(function_node) if isinstance(node, _FUNCTION_TYPES)}


def _called_nodes(tree):
    """The ids of the expressions that are called (``f`` in ``f(...)``)."""
    return {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}


def _parse_suppressions(source):
    """The ``# txn: ignore[...]`` comments by line, and the lines of those that give no reason."""
    suppressions, problems = {}, []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
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
        suppressions[line] = _Suppression(codes & SUPPRESSIBLE, reason)
    return suppressions, problems


class _Scanner:
    """Walk one function body in execution order, knowing at each call whether a transaction is open.

    Nested functions and lambdas are not part of the body: they run when they are called, which
    may be after the commit (``transaction.on_commit(lambda: ...)``). A nested function that the
    body calls by name is followed at the call, in the caller's transaction.
    """

    def __init__(self, module, function_node, atomic):
        self.module = module
        self.events = []
        self._nested = _nested_functions(function_node)
        self._following = {function_node.name}
        self._email_names = set()
        self._visit_all(function_node.body, atomic, in_loop=False)

    def of_kind(self, *kinds):
        return [event for event in self.events if event.kind in kinds]

    def _visit_all(self, nodes, atomic, in_loop):
        for node in nodes:
            self._visit(node, atomic, in_loop)

    def _visit(self, node, atomic, in_loop):
        if isinstance(node, (*_FUNCTION_TYPES, ast.ClassDef, ast.Lambda)):
            return
        if isinstance(node, (ast.With, ast.AsyncWith)):
            self._visit_with(node, atomic, in_loop)
            return
        if isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            self._visit(node.iter if isinstance(node, (ast.For, ast.AsyncFor)) else node.test, atomic, in_loop)
            self._visit_all(node.body, atomic, in_loop=True)
            self._visit_all(node.orelse, atomic, in_loop)
            return
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            self._visit_all(ast.iter_child_nodes(node), atomic, in_loop=True)
            return
        if isinstance(node, ast.Assign) and self._is_email_message(node.value):
            self._email_names.update(target.id for target in node.targets if isinstance(target, ast.Name))
        if isinstance(node, ast.Call):
            self._visit_call(node, atomic, in_loop)
        self._visit_all(ast.iter_child_nodes(node), atomic, in_loop)

    def _visit_with(self, node, atomic, in_loop):
        opened = False
        for item in node.items:
            self._visit(item.context_expr, atomic, in_loop)
            if self.module.is_boundary(item.context_expr):
                self.events.append(_Event("boundary", item.context_expr, _label(item.context_expr), atomic, in_loop))
                opened = True
        self._visit_all(node.body, atomic or opened, in_loop)

    def _visit_call(self, call, atomic, in_loop):
        label = _label(call.func)
        self.events.append(_Event("call", call, label, atomic, in_loop))
        write = self.module.write_label(call)
        if write is not None:
            self.events.append(_Event("write", call, write, atomic, in_loop))
        elif self.module.is_atomic_service_call(call):
            self.events.append(_Event("atomic call", call, f"{label}() [own transaction]", atomic, in_loop))
        fix = self._side_effect_fix(call)
        if fix is not None:
            self.events.append(_Event("side effect", call, label, atomic, in_loop, fix))
        if isinstance(call.func, ast.Name) and call.func.id in self._nested and call.func.id not in self._following:
            self._follow(self._nested[call.func.id], atomic, in_loop)

    def _follow(self, nested, atomic, in_loop):
        self._following.add(nested.name)
        opened = any(self.module.is_boundary(decorator) for decorator in nested.decorator_list)
        self._visit_all(nested.body, atomic or opened, in_loop)
        self._following.discard(nested.name)

    def _is_email_message(self, node):
        return isinstance(node, ast.Call) and _last_name(node.func) in EMAIL_MESSAGE_CLASSES

    def _side_effect_fix(self, call):
        """How to run ``call`` after the commit, when it is a side effect; otherwise ``None``."""
        func = call.func
        name = _last_name(func)
        if name is None:
            return None
        if isinstance(func, ast.Attribute):
            receiver = _label(func.value)
            if name in SIDE_EFFECT_METHODS:
                return SIDE_EFFECT_METHODS[name].format(receiver=receiver, call=_label(func))
            if name == "send" and (
                self._is_email_message(func.value)
                or (isinstance(func.value, ast.Name) and func.value.id in self._email_names)
            ):
                return _ON_COMMIT_FIX.format(call=_label(func))
        if name in SIDE_EFFECT_FUNCTIONS or any(pattern.match(name) for pattern in SIDE_EFFECT_FUNCTION_PATTERNS):
            return _ON_COMMIT_FIX.format(call=_label(func))
        return None


class _Module:
    """The analysis of one parsed file."""

    def __init__(self, tree, path):
        self.tree = tree
        self.path = path
        self.aliases = _import_aliases(tree)
        self.is_services = _is_services_module(path)
        self.classes = {}
        self.functions = []
        self.scopes = [(tree, "")]
        self._collect(tree, "", tree)
        self._called = _called_nodes(tree)
        self._passed_on = {
            node.id
            for node in ast.walk(tree)
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and id(node) not in self._called
        }
        self.roots = self._root_functions()
        self._module_functions = {fn.name: fn for fn in self.functions if fn.is_module_level}
        self._atomic_services = {
            name for name, fn in self._module_functions.items() if self.has_boundary_decorator(fn.node)
        }
        self._runners = self._functions_passed_to_runners()
        self._scans = {}
        self.contexts = self._transaction_contexts()

    # Structure

    def _collect(self, node, prefix, container):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                self.classes.setdefault(child.name, child)
                self.scopes.append((child, prefix + child.name))
                self._collect(child, f"{prefix}{child.name}.", child)
            elif isinstance(child, _FUNCTION_TYPES):
                class_node = container if isinstance(container, ast.ClassDef) else None
                self.functions.append(_Function(child, prefix + child.name, container, class_node))
                self.scopes.append((child, prefix + child.name))
                self._collect(child, f"{prefix}{child.name}.", child)
            else:
                self._collect(child, prefix, container)

    def qualname_at(self, line):
        """The innermost function or class around ``line``, for findings not tied to a function."""
        best, best_start = "", -1
        for node, qualname in self.scopes[1:]:
            if node.lineno <= line <= (node.end_lineno or node.lineno) and node.lineno > best_start:
                best, best_start = qualname, node.lineno
        return best

    def resolve(self, expr):
        """The dotted name ``expr`` stands for, through import aliases; ``None`` if not a name."""
        if isinstance(expr, ast.Name):
            return self.aliases.get(expr.id, expr.id)
        if isinstance(expr, ast.Attribute):
            base = self.resolve(expr.value)
            return None if base is None else f"{base}.{expr.attr}"
        return None

    def _resolved_last_name(self, expr):
        if isinstance(expr, ast.Subscript):
            expr = expr.value
        name = self.resolve(expr)
        return None if name is None else name.rsplit(".", 1)[-1]

    # Boundaries

    def is_boundary(self, expr):
        """True for an expression that opens a transaction: ``transaction.atomic(...)`` and kin."""
        if isinstance(expr, ast.Call):
            if self._resolved_last_name(expr.func) == "method_decorator":
                return bool(expr.args) and self.is_boundary(expr.args[0])
            expr = expr.func
        name = self.resolve(expr)
        if name is None:
            return False
        if name == DJANGO_ATOMIC or name == "transaction.atomic" or name.endswith(".transaction.atomic"):
            return True
        return name.rsplit(".", 1)[-1] in BOUNDARY_HELPERS

    def has_boundary_decorator(self, function_node):
        return any(self.is_boundary(decorator) for decorator in function_node.decorator_list)

    def class_boundary(self, class_node, method, seen=None):
        """The class that runs ``method`` of ``class_node`` inside a transaction, if one does."""
        seen = seen if seen is not None else set()
        seen.add(id(class_node))
        if method in BOUNDARY_BASES.get(class_node.name, ()) or self._class_wraps(class_node, method):
            return class_node.name
        for base in class_node.bases:
            name = self._resolved_last_name(base)
            if name is None:
                continue
            if method in BOUNDARY_BASES.get(name, ()):
                return name
            local = self.classes.get(name)
            if local is not None and id(local) not in seen:
                provider = self.class_boundary(local, method, seen)
                if provider is not None:
                    return provider
        return None

    def _class_wraps(self, class_node, method):
        """True when the class's own code runs ``method`` inside a transaction.

        That is a ``method_decorator(transaction.atomic, name=...)`` on the class naming a method
        that leads to ``method`` (``dispatch``, ``post``, DRF's ``create``...), or one of the
        class's methods calling ``self.<method>(...)``, or the ``super()`` version of a method
        that leads to it, inside a boundary.
        """
        callers = _CALLERS.get(method, frozenset())
        for decorator in class_node.decorator_list:
            if self.is_boundary(decorator) and _decorated_method_name(decorator) in callers | {method}:
                return True
        for node in class_node.body:
            if not isinstance(node, _FUNCTION_TYPES):
                continue
            wrapped = {f"self.{method}"}
            if node.name in callers:
                wrapped.add(f"super().{node.name}")
            scan = self.scan(node, self.has_boundary_decorator(node))
            if any(event.atomic and event.label in wrapped for event in scan.of_kind("call")):
                return True
        return False

    def _functions_passed_to_runners(self):
        """The functions of this file handed to a transaction runner, with the runner's name."""
        runners = {}
        for node in ast.walk(self.tree):
            runner = _last_name(node.func) if isinstance(node, ast.Call) else None
            if runner in TRANSACTION_RUNNERS:
                arguments = node.args + [keyword.value for keyword in node.keywords]
                runners.update((arg.id, runner) for arg in arguments if isinstance(arg, ast.Name))
        return runners

    def _transaction_contexts(self):
        """Why each function's body always runs inside a transaction, by function node id.

        A private module-level function is covered when every use of it in this file is a call
        made inside a transaction; that is worked out until nothing changes, since covering one
        helper may cover the helpers it calls.
        """
        contexts = {}
        for fn in self.functions:
            reason = self._own_context(fn)
            if reason:
                contexts[id(fn.node)] = reason
        candidates = [
            fn
            for fn in self._module_functions.values()
            if fn.name.startswith("_") and id(fn.node) not in contexts and fn.name not in self._passed_on
        ]
        changed = True
        while changed and candidates:
            changed = False
            sites = self._call_sites(contexts)
            for fn in list(candidates):
                calls = sites.get(fn.name, [])
                if calls and all(calls):
                    contexts[id(fn.node)] = "called only inside transactions"
                    candidates.remove(fn)
                    changed = True
        return contexts

    def _own_context(self, fn):
        if self.has_boundary_decorator(fn.node):
            return "decorator"
        if fn.is_module_level and fn.name in self._runners:
            return f"runs in {self._runners[fn.name]}"
        if fn.class_node is not None and fn.name in _CALLERS:
            provider = self.class_boundary(fn.class_node, fn.name)
            if provider is not None:
                return f"base class {provider}"
        return ""

    def _call_sites(self, contexts):
        """For each called name, whether each call to it runs inside a transaction."""
        sites = {}
        for fn in self.roots:
            scan = self.scan(fn.node, bool(contexts.get(id(fn.node))))
            for event in scan.of_kind("call"):
                sites.setdefault(event.label, []).append(event.atomic)
        return sites

    def _root_functions(self):
        """The functions scanned on their own: all but nested ones that only run where called.

        A nested function that is only ever called by name runs in its caller's transaction
        and is followed there; one that is passed on (to ``on_commit``, a thread...) or
        decorated runs at a time the analysis cannot know, so it stands on its own.
        """
        roots = []
        for fn in self.functions:
            if isinstance(fn.container, _FUNCTION_TYPES) and not fn.node.decorator_list:
                used = [node for node in _own_nodes(fn.container) if isinstance(node, ast.Name) and node.id == fn.name]
                if all(id(node) in self._called for node in used):
                    continue
            roots.append(fn)
        return roots

    def scan(self, function_node, atomic):
        key = (id(function_node), bool(atomic))
        if key not in self._scans:
            self._scans[key] = _Scanner(self, function_node, bool(atomic))
        return self._scans[key]

    # Writes

    def write_label(self, call):
        """How to name ``call`` in a report when it writes to the database; otherwise ``None``."""
        func = call.func
        name = _last_name(func)
        if name in WRITE_FUNCTIONS:
            save = _keyword(call, "save")
            return None if save is not None and _is_constant(save.value, False) else _label(func)
        if not isinstance(func, ast.Attribute) or name not in WRITE_METHODS:
            return None
        if "cache" in _label(func.value).rsplit(".", 1)[-1].lower():
            return None
        if name in _KEYWORD_ONLY_WRITES and _positional(call):
            return None
        commit = _keyword(call, "commit")
        if name in {"save", "asave"} and commit is not None and _is_constant(commit.value, False):
            return None
        return _label(func)

    def is_atomic_service_call(self, call):
        return isinstance(call.func, ast.Name) and call.func.id in self._atomic_services

    # Rules

    def check(self):
        findings, entry_points = [], []
        for fn in self.functions:
            entry = self._check_entry_point(fn, findings)
            if entry is not None:
                entry_points.append(entry)
        self._check_side_effects(findings)
        self._check_receivers(findings)
        self._check_locks(findings)
        return findings, entry_points

    def _entry_kind(self, fn):
        if fn.class_node is not None and fn.name == "handle_valid_form":
            return "form view"
        if fn.class_node is not None and fn.name in _DRF_PERFORM_METHODS:
            return "api view"
        if fn.is_module_level and self.is_services:
            return "service"
        return None

    def _check_entry_point(self, fn, findings):
        kind = self._entry_kind(fn)
        if kind is None:
            return None
        context = self.contexts.get(id(fn.node), "")
        scan = self.scan(fn.node, bool(context))
        if kind == "service":
            writes = scan.of_kind("write", "atomic call")
            weight = sum(2 if event.in_loop else 1 for event in writes)
            if not writes and context != "decorator":
                return None
            needs_boundary = weight >= 2
        else:
            writes = scan.of_kind("write")
            needs_boundary = bool(writes)
        labels = tuple(dict.fromkeys(event.label for event in writes))
        unprotected = [event for event in writes if not event.atomic]
        if context or not unprotected:
            boundary = context or ("with block" if writes else "no writes of its own")
            return EntryPoint(self.path, fn.node.lineno, fn.qualname, kind, True, boundary, labels)
        if not needs_boundary:
            return EntryPoint(self.path, fn.node.lineno, fn.qualname, kind, True, "single write", labels)
        findings.append(self._unprotected_writes_finding(fn, kind, unprotected))
        return EntryPoint(self.path, fn.node.lineno, fn.qualname, kind, False, "none", labels)

    def _unprotected_writes_finding(self, fn, kind, unprotected):
        described = [event.label + (" in a loop" if event.in_loop else "") for event in unprotected]
        message = f"writes ({', '.join(dict.fromkeys(described))}) run outside a transaction"
        if kind == "service":
            message += ": a failure part-way leaves the earlier writes committed"
        if isinstance(fn.node, ast.AsyncFunctionDef):
            fix = _ASYNC_FIX
        elif kind == "service":
            fix = _SERVICE_FIX
        else:
            fix = _VIEW_FIX.format(base="AtomicFormView" if kind == "form view" else "AtomicModelViewSet")
        return Finding("TXN001", self.path, fn.node.lineno, fn.qualname, message, fix)

    def _check_side_effects(self, findings):
        for fn in self.roots:
            scan = self.scan(fn.node, bool(self.contexts.get(id(fn.node))))
            for event in scan.of_kind("side effect"):
                if event.atomic:
                    message = (
                        f"{event.label}() runs inside a transaction: it acts even if the transaction rolls back, "
                        "and a worker may not see the uncommitted rows"
                    )
                    fix = f"run it after the commit:\n  {event.fix}"
                    findings.append(Finding("TXN002", self.path, event.node.lineno, fn.qualname, message, fix))

    def _check_receivers(self, findings):
        connected = set()
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "connect":
                candidates = node.args[:1] + [kw.value for kw in node.keywords if kw.arg == "receiver"]
                connected.update(arg.id for arg in candidates if isinstance(arg, ast.Name))
        for fn in self.functions:
            decorated = any(
                isinstance(decorator, ast.Call) and self._resolved_last_name(decorator.func) == "receiver"
                for decorator in fn.node.decorator_list
            )
            if not decorated and fn.name not in connected:
                continue
            boundaries = [(d, _label(d)) for d in fn.node.decorator_list if self.is_boundary(d)]
            boundaries += [(event.node, event.label) for event in self.scan(fn.node, False).of_kind("boundary")]
            for node, label in boundaries:
                message = f"signal receiver opens its own transaction ({label})"
                findings.append(Finding("TXN003", self.path, node.lineno, fn.qualname, message, _RECEIVER_FIX))

    def _check_locks(self, findings):
        strings = self._string_assignments()
        for scope, qualname in self.scopes:
            nodes = list(_own_nodes(scope))
            assigned = {}
            for node in nodes:
                if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                    for target in node.targets:
                        assigned[_label(target)] = node.value
            for node in nodes:
                if not isinstance(node, ast.Call):
                    continue
                problem = self._lock_problem(node, assigned) or self._advisory_lock_problem(node, strings)
                if problem is not None:
                    message, fix = problem
                    findings.append(Finding("TXN004", self.path, node.lineno, qualname, message, fix))

    def _lock_problem(self, call, assigned):
        func = call.func
        if not isinstance(func, ast.Attribute) or func.attr not in {"acquire", "lock"}:
            return None
        if _has_double_star(call) or "LockRegistry" in _label(func.value):
            return None
        if func.attr == "lock":
            if not (_positional(call) or _keyword(call, "name")) or len(_positional(call)) >= 2:
                return None
            timeout = _keyword(call, "timeout")
            if timeout is not None and not _is_constant(timeout.value, None):
                return None
            return (
                f"{_label(func)}(...) has no timeout: a holder that crashes keeps the lock forever",
                f"give it an expiry and a bounded wait:\n  {_label(func)}(name, timeout=30, blocking_timeout=10)\n"
                "or use LockRegistry.get_lock(lock_type, resource_id)",
            )
        if not self._is_lock_like(func.value, assigned) or self._acquire_is_bounded(call, func.value, assigned):
            return None
        return (
            f"{_label(func)}() waits without a timeout: one stuck holder blocks every caller",
            "bound the wait with timeout= (threading) or blocking_timeout= (Redis):\n"
            f"  {_label(func)}(timeout=10)\nor use LockRegistry.get_lock(lock_type, resource_id)",
        )

    def _is_lock_like(self, receiver, assigned):
        origin = assigned.get(_label(receiver))
        labels = [_label(receiver)] + ([_label(origin.func)] if origin is not None else [])
        for label in labels:
            for identifier in re.findall(r"\w+", label):
                words = {word.lower() for word in identifier.split("_")}
                if words & _LOCK_WORDS or identifier.endswith("Lock"):
                    return True
        return False

    def _acquire_is_bounded(self, call, receiver, assigned):
        """True when the wait is bounded by the call's arguments or by how the lock was made."""
        for name in ("timeout", "blocking_timeout"):
            keyword = _keyword(call, name)
            if keyword is not None and not _is_constant(keyword.value, None):
                return True
        blocking = _keyword(call, "blocking")
        positional = _positional(call)
        if (blocking is not None and _is_constant(blocking.value, False)) or len(positional) >= 2:
            return True
        if positional and _is_constant(positional[0], False):
            return True
        origin = receiver if isinstance(receiver, ast.Call) else assigned.get(_label(receiver))
        if isinstance(origin, ast.Call):
            if _last_name(origin.func) in PROJECT_LOCK_FACTORIES:
                return True
            bound = _keyword(origin, "blocking_timeout")
            return bound is not None and not _is_constant(bound.value, None)
        return False

    def _string_assignments(self):
        """Names bound to string literals anywhere in the file, so ``cursor.execute(SQL)`` can be read."""
        strings = {}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                strings.setdefault(node.targets[0].id, []).append(node.value)
        return strings

    def _advisory_lock_problem(self, call, strings):
        if _last_name(call.func) not in SQL_CALLS:
            return None
        arguments = call.args + [keyword.value for keyword in call.keywords]
        expressions = []
        for argument in arguments:
            expressions.append(argument)
            if isinstance(argument, ast.Name):
                expressions.extend(strings.get(argument.id, []))
        for expression in expressions:
            if any(_SESSION_ADVISORY_LOCK.search(text) for text in _string_texts(expression)):
                return (
                    "session-level pg_advisory_lock waits without a timeout and outlives a rollback",
                    "use pg_advisory_xact_lock (released at commit or rollback) under SET LOCAL lock_timeout,\n"
                    "or LockRegistry.get_lock(lock_type, resource_id)",
                )
        return None


def _parse_error(path, error):
    line = getattr(error, "lineno", None) or 1
    detail = getattr(error, "msg", None) or str(error)
    message = f"could not parse {path}:{line}: {detail}"
    fix = "fix the syntax error; the transaction rules are checked once the file parses"
    return Finding("TXN000", path, line, "", message, fix)


def _analyse(source, path):
    """Findings (suppressions applied) and entry points of one file's source."""
    try:
        tree = ast.parse(source, filename=path)
    except (SyntaxError, ValueError, RecursionError) as error:
        return [_parse_error(path, error)], []
    try:
        module = _Module(tree, path)
        findings, entry_points = module.check()
    except RecursionError:
        message = f"could not analyse {path}: the code is nested too deeply"
        return [Finding("TXN000", path, 1, "", message, "split the deeply nested code into functions")], []
    suppressions, problems = _parse_suppressions(source)
    kept = []
    for finding in dict.fromkeys(findings):
        suppression = suppressions.get(finding.line)
        if suppression is None or finding.code not in suppression.codes:
            kept.append(finding)
    for line, problem in problems:
        fix = "say why the rule does not apply here: # txn: ignore[TXN001] <reason>"
        kept.append(Finding("TXN005", path, line, module.qualname_at(line), problem, fix))
    silenced = {finding.line for finding in findings if finding not in kept and finding.code == "TXN001"}
    entry_points = [
        replace(entry, boundary=f"suppressed: {suppressions[entry.line].reason}")
        if entry.line in silenced and not entry.protected
        else entry
        for entry in entry_points
    ]
    kept.sort(key=lambda finding: (finding.line, finding.code))
    return kept, entry_points


def analyse_source(source: str, path: str) -> list[Finding]:
    """The findings for one file's source; ``path`` is used in the report and to spot services."""
    findings, _ = _analyse(source, str(path))
    return findings


def _find_root(start):
    """The git work tree around ``start``, else ``start`` itself."""
    start = Path(start).resolve()
    for directory in (start, *start.parents):
        if (directory / ".git").exists():
            return directory
    return start


def _display_path(path, root):
    try:
        return Path(path).resolve().relative_to(root).as_posix()
    except ValueError:
        return Path(path).as_posix()


def _python_files(paths):
    """The ``.py`` files named by ``paths``, directories searched recursively, each once."""
    seen = set()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            candidates = sorted(
                candidate
                for candidate in path.rglob("*.py")
                if not any(
                    part.startswith(".") or part in _SKIPPED_DIRECTORIES
                    for part in candidate.relative_to(path).parts[:-1]
                )
            )
        else:
            candidates = [path] if path.suffix == ".py" else []
        for candidate in candidates:
            key = os.path.normpath(candidate)
            if key not in seen:
                seen.add(key)
                yield candidate


def _read_source(path, staged):
    """The text of ``path``: the working copy, or with ``staged`` the version in git's index."""
    if not staged:
        with tokenize.open(path) as handle:
            return handle.read()
    relative = os.path.relpath(path)
    result = subprocess.run(["git", "show", f":./{relative}"], capture_output=True, check=False)
    if result.returncode != 0:
        raise OSError(result.stderr.decode(errors="replace").strip() or "not in the git index")
    encoding, _ = tokenize.detect_encoding(io.BytesIO(result.stdout).readline)
    return result.stdout.decode(encoding)


def analyse_paths(paths: Iterable[str | Path], root: str | Path | None = None, staged: bool = False) -> Report:
    """Analyse every Python file in ``paths`` (files or directories) and return a ``Report``.

    Paths in the report are relative to ``root``, by default the git work tree around the
    current directory. With ``staged``, each file is read from git's index: what a commit
    about to be made contains, which may differ from the working copy.
    """
    root = Path(root).resolve() if root is not None else _find_root(Path.cwd())
    report = Report()
    for path in _python_files(paths):
        shown = _display_path(path, root)
        report.files.append(shown)
        try:
            source = _read_source(path, staged)
        except (OSError, UnicodeDecodeError, SyntaxError) as error:
            fix = "make the file readable UTF-8 (or declare its encoding)"
            report.findings.append(Finding("TXN000", shown, 1, "", f"could not read {shown}: {error}", fix))
            continue
        findings, entry_points = _analyse(source, shown)
        report.findings.extend(findings)
        report.entry_points.extend(entry_points)
    return report


def format_report(findings: Iterable[Finding]) -> str:
    """The findings as the pre-commit hook prints them, ending with a one-line summary."""
    findings = list(findings)
    if not findings:
        return "No transaction issues found."
    ordered = sorted(findings, key=lambda finding: (finding.path, finding.line, finding.code))
    files = len({finding.path for finding in findings})
    blocks = "\n\n".join(finding.format() for finding in ordered)
    return f"{blocks}\n\n{len(findings)} transaction issue(s) in {files} file(s)"


def _split_list(text):
    """Paths read from stdin: NUL-separated (``git diff -z``) or one a line."""
    separator = "\0" if "\0" in text else "\n"
    return [item for item in text.split(separator) if item.strip()]


def main(argv: list[str] | None = None) -> int:
    """Command line: report the findings in the given files; exit 1 when there are any."""
    parser = argparse.ArgumentParser(
        prog="validate-transaction-usage",
        description="Find database writes outside a transaction and side effects inside one.",
    )
    parser.add_argument("paths", nargs="*", help="Python files or directories to analyse")
    parser.add_argument(
        "--stdin-list", action="store_true", help="also read paths from stdin, one a line or NUL-separated"
    )
    parser.add_argument("--staged", action="store_true", help="read each file as staged in git's index")
    parser.add_argument("--root", help="show paths relative to this directory (default: the git work tree)")
    parser.add_argument("--json", action="store_true", help="print the report, with write coverage, as JSON")
    args = parser.parse_args(argv)
    paths = list(args.paths)
    if args.stdin_list:
        paths.extend(_split_list(sys.stdin.read()))
    report = analyse_paths(paths, root=args.root, staged=args.staged)
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    elif report.findings:
        print(format_report(report.findings))
    else:
        print(f"Transaction usage: {len(report.files)} file(s) checked, no issues.")
    return 1 if report.findings else 0


if __name__ == "__main__":
    sys.exit(main())
