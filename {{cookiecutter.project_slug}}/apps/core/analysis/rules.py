"""The rules, applied to one parsed file with the index of its tree at hand.

``ModuleAnalysis`` answers the scanner's questions (is this a boundary, a write, a side effect,
a call into the tree?) and turns the scans of the file's functions into findings and write
entry points.
"""

import ast
import re
from dataclasses import dataclass

from .findings import EntryPoint, Finding
from .locks import lock_findings
from .module import is_constant, keyword, label, last_name, own_nodes, positional
from .names import (
    ASYNC_FIX,
    BOUNDARY_BASES,
    CALLERS,
    CELERY_CANVAS,
    DJANGO_ATOMIC,
    DRF_PERFORM_METHODS,
    DRF_SAVING_VIEWS,
    EMAIL_MESSAGE_CLASSES,
    KEYWORD_ONLY_WRITES,
    MODEL_FORM_VIEWS,
    RECEIVER_FIX,
    SERVICE_FIX,
    SIDE_EFFECT_FUNCTION_PATTERNS,
    SIDE_EFFECT_FUNCTIONS,
    SIDE_EFFECT_METHODS,
    VIEW_FIX,
    WRITE_FUNCTIONS,
    WRITE_HTTP_METHODS,
    WRITE_METHODS,
)
from .scanner import Scanner
from .sources import is_services_module, is_views_module

_MANAGERS = frozenset({"objects", "_default_manager", "_base_manager"})
#: Attributes that hold dicts, whose ``update(...)`` writes nothing to the database.
_MAPPINGS = frozenset(
    {"session", "context", "extra_context", "kwargs", "data", "initial", "cleaned_data", "headers", "META", "defaults"}
    | {"params", "attrs", "options", "environ", "__dict__", "extra", "metadata", "errors", "fields", "config"}
)
#: Calls whose value is a queryset (``qs = Foo.objects.filter(...)``).
_QUERYSET_WORDS = re.compile(
    r"\.objects\b|_set\b|\.(?:filter|exclude|all|select_for_update|select_related|prefetch_related|annotate"
    r"|order_by|only|defer|using|none|distinct)\("
)
_INSTANCE_GETTERS = frozenset({"get", "create", "first", "last", "latest", "earliest", "aget", "acreate"})
_SIGNALS_WITH_RECEIVERS = frozenset({"receiver"})


@dataclass(frozen=True)
class Boundary:
    """A transaction opened by a ``with`` block or a decorator.

    ``kind`` is "write" (a transaction of its own, or a savepoint), "join" (``savepoint=False``:
    joins the caller's transaction, opens one when there is none) or "read" (a block on a
    read-only alias: no write transaction at all). ``alias`` is the alias's name, or ``"*"``.
    """

    kind: str
    alias: str


def _decorated_method_name(decorator):
    """The ``name=`` of a class decorator ``method_decorator(..., name="dispatch")``."""
    if isinstance(decorator, ast.Call):
        name = keyword(decorator, "name")
        if name is not None and isinstance(name.value, ast.Constant):
            return name.value.value
    return None


def _weight(events, depth=0):
    """How many writes run in the heaviest way through the body: ``if``/``else`` branches exclude each other."""
    total, branches = 0, {}
    for event in events:
        if len(event.branch) <= depth:
            total += event.weight
        else:
            node, number = event.branch[depth]
            branches.setdefault(node, {}).setdefault(number, []).append(event)
    for arms in branches.values():
        total += max(_weight(arm, depth + 1) for arm in arms.values())
    return total


class ModuleAnalysis:
    """The analysis of one parsed file."""

    def __init__(self, parsed, index):
        self.parsed = parsed
        self.index = index
        self.path = parsed.path
        self.is_services = is_services_module(parsed.path)
        self.is_views = is_views_module(parsed.path)
        self.is_command = "/management/commands/" in f"/{parsed.path}"
        self._scans = {}
        self._contexts = None
        self._roots = None

    # Boundaries

    def boundary(self, expr):
        """The ``Boundary`` that ``expr`` opens as a ``with`` item or decorator, else ``None``."""
        call = None
        if isinstance(expr, ast.Call):
            if self.parsed.resolved_last_name(expr.func) == "method_decorator":
                return self.boundary(expr.args[0]) if expr.args else None
            call, expr = expr, expr.func
        name = self.parsed.resolve(expr)
        if name is None:
            return None
        if name == DJANGO_ATOMIC or name == "transaction.atomic" or name.endswith(".transaction.atomic"):
            kind = "write"
        else:
            kind = self.index.helpers.get(name.rsplit(".", 1)[-1])
            if kind is None:
                return None
        alias = "*"
        if call is not None:
            using = keyword(call, "using")
            value = using.value if using is not None else (call.args[0] if call.args else None)
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                alias = value.value
            if value is not None and self.index.is_read_alias(value):
                kind = "read"
            savepoint = keyword(call, "savepoint")
            if kind == "write" and savepoint is not None and is_constant(savepoint.value, False):
                kind = "join"
        return Boundary(kind, alias)

    def decorator_boundary(self, function_node):
        for decorator in function_node.decorator_list:
            boundary = self.boundary(decorator)
            if boundary is not None:
                return boundary
        return None

    def opening_state(self, function_node):
        boundary = self.decorator_boundary(function_node)
        return (boundary.alias,) if boundary is not None and boundary.kind != "read" else ()

    def _takes_locks(self, class_node, seen=None):
        """True when the view (or a base of this file) sets ``service_takes_locks = True``."""
        seen = seen if seen is not None else set()
        seen.add(id(class_node))
        for node in class_node.body:
            if isinstance(node, ast.Assign) and any(
                isinstance(target, ast.Name) and target.id == "service_takes_locks" for target in node.targets
            ):
                return is_constant(node.value, True)
        for base in class_node.bases:
            local = self.parsed.classes.get(self.parsed.resolved_last_name(base) or "")
            if local is not None and id(local) not in seen and self._takes_locks(local, seen):
                return True
        return False

    def class_boundary(self, class_node, method, seen=None, takes_locks=None):
        """The class that runs ``method`` of ``class_node`` inside a transaction, if one does."""
        if takes_locks is None:
            takes_locks = method == "handle_valid_form" and self._takes_locks(class_node)
        seen = seen if seen is not None else set()
        seen.add(id(class_node))
        known = () if takes_locks else BOUNDARY_BASES.get(class_node.name, ())
        if method in known or self._class_wraps(class_node, method):
            return class_node.name
        for base in class_node.bases:
            name = self.parsed.resolved_last_name(base)
            if name is None:
                continue
            if not takes_locks and method in BOUNDARY_BASES.get(name, ()):
                return name
            local = self.parsed.classes.get(name)
            if local is not None and id(local) not in seen:
                provider = self.class_boundary(local, method, seen, takes_locks)
                if provider is not None:
                    return provider
        return None

    def _inherits(self, class_node, names, seen=None):
        seen = seen if seen is not None else set()
        seen.add(id(class_node))
        for base in class_node.bases:
            name = self.parsed.resolved_last_name(base)
            if name in names:
                return True
            local = self.parsed.classes.get(name or "")
            if local is not None and id(local) not in seen and self._inherits(local, names, seen):
                return True
        return False

    def _class_wraps(self, class_node, method):
        """True when the class's own code runs ``method`` inside a transaction.

        That is a ``method_decorator(transaction.atomic, name=...)`` on the class naming a method
        that leads to ``method`` (``dispatch``, ``post``, DRF's ``create``...), or one of the
        class's methods calling ``self.<method>(...)``, or the ``super()`` version of a method
        that leads to it, inside a boundary.
        """
        callers = CALLERS.get(method, frozenset())
        for decorator in class_node.decorator_list:
            boundary = self.boundary(decorator)
            if boundary is not None and boundary.kind != "read":
                if _decorated_method_name(decorator) in callers | {method}:
                    return True
        for fn in self.parsed.functions:
            if fn.class_node is not class_node:
                continue
            wrapped = {f"self.{method}"}
            if fn.name in callers:
                wrapped.add(f"super().{fn.name}")
            scan = self.scan(fn, self.opening_state(fn.node))
            if any(event.atomic and event.label in wrapped for event in scan.of_kind("call")):
                return True
        return False

    # What calls do

    def write_label(self, call, function=None, querysets=()):
        """How to name ``call`` in a report when it writes to the database; otherwise ``None``.

        ``querysets`` are the local names bound to a queryset: ``update`` on any other bare name
        is a dict's (``context.update(user=...)``), not a write.
        """
        func = call.func
        name = last_name(func)
        if name in WRITE_FUNCTIONS:
            save = keyword(call, "save")
            return None if save is not None and is_constant(save.value, False) else label(func)
        if not isinstance(func, ast.Attribute) or name not in WRITE_METHODS:
            if (
                name == "form_valid"
                and isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Call)
                and last_name(func.value.func) == "super"
                and function is not None
                and function.class_node is not None
                and self._inherits(function.class_node, MODEL_FORM_VIEWS)
            ):
                return "super().form_valid (saves the form)"
            return None
        if "cache" in label(func.value).rsplit(".", 1)[-1].lower():
            return None
        if name in KEYWORD_ONLY_WRITES and positional(call):
            return None
        if name in {"update", "aupdate"}:
            receiver = func.value
            if isinstance(receiver, ast.Name) and receiver.id not in querysets:
                return None
            if isinstance(receiver, ast.Attribute) and receiver.attr in _MAPPINGS:
                return None
        commit = keyword(call, "commit")
        if name in {"save", "asave"} and commit is not None and is_constant(commit.value, False):
            return None
        return label(func)

    def _is_canvas(self, expr):
        name = self.parsed.resolve(expr)
        if name is None or name.rsplit(".", 1)[-1] not in CELERY_CANVAS:
            return False
        return name.startswith("celery.") or name.startswith("celery")

    def side_effect_fix(self, call, email_names=()):
        """How to run ``call`` after the commit, when it is a side effect; otherwise ``None``."""
        func = call.func
        if isinstance(func, ast.Call) and self._is_canvas(func.func):
            return self.index.after_commit_fix(f"{label(func.func)}(...)", "canvas")
        name = last_name(func)
        if name is None:
            return None
        if isinstance(func, ast.Attribute):
            if name in SIDE_EFFECT_METHODS:
                if name in {"delay", "apply_async"}:
                    return self.index.after_commit_fix(label(func.value), name)
                return self.index.after_commit_fix(label(func), "call")
            if name == "send" and (
                (isinstance(func.value, ast.Call) and last_name(func.value.func) in EMAIL_MESSAGE_CLASSES)
                or (isinstance(func.value, ast.Name) and func.value.id in email_names)
            ):
                return self.index.after_commit_fix(label(func), "call")
        if name in SIDE_EFFECT_FUNCTIONS or any(pattern.match(name) for pattern in SIDE_EFFECT_FUNCTION_PATTERNS):
            return self.index.after_commit_fix(label(func), "call")
        return None

    def is_queryset(self, call):
        return bool(_QUERYSET_WORDS.search(label(call)))

    def manager_model(self, expr):
        """``Foo`` for ``Foo.objects``, ``Foo.objects.using("x")``, ``Foo._default_manager``..."""
        while True:
            if isinstance(expr, ast.Call):
                expr = expr.func
            elif isinstance(expr, ast.Attribute) and expr.attr not in _MANAGERS:
                expr = expr.value
            else:
                break
        if isinstance(expr, ast.Attribute) and expr.attr in _MANAGERS:
            return last_name(expr.value)
        return None

    def model_of(self, call):
        """The model an expression's value is an instance of: ``Foo(...)``, ``Foo.objects.get(...)``."""
        func = call.func
        name = last_name(func)
        if name is None:
            return None
        if isinstance(func, ast.Attribute) and name in _INSTANCE_GETTERS:
            return self.manager_model(func.value)
        return name if name[:1].isupper() else None

    def writing_receivers(self, model, creating=True):
        return self.index.writing_receivers(model, creating)

    def is_update_view(self, class_node):
        return self._inherits(class_node, {"UpdateView", "BaseUpdateView"})

    def callee(self, call, function):
        """The summary of the function of the tree that ``call`` calls, one level down."""
        func = call.func
        parsed = self.parsed
        if isinstance(func, ast.Name):
            if func.id in parsed.module_functions:
                return self.index.summary(self.path, func.id)
            target = parsed.aliases.get(func.id)
            return self.index.summary_of(target) if target else None
        if not isinstance(func, ast.Attribute) or not isinstance(func.value, ast.Name):
            return None
        base = func.value.id
        if base in {"self", "cls"} and function is not None and function.class_node is not None:
            qualname = self._method_of(function.class_node, func.attr)
            if qualname:
                return self.index.summary(self.path, qualname)
            return self._inherited_method(function.class_node, func.attr)
        if base in parsed.classes:
            qualname = self._method_of(parsed.classes[base], func.attr)
            return self.index.summary(self.path, qualname) if qualname else None
        target = parsed.aliases.get(base)
        return self.index.summary_of(f"{target}.{func.attr}") if target else None

    def _inherited_method(self, class_node, name):
        """The summary of ``name`` defined on a base class imported from another module of the tree."""
        for base in class_node.bases:
            if isinstance(base, (ast.Name, ast.Attribute)):
                root = base.id if isinstance(base, ast.Name) else None
                dotted = self.parsed.resolve(base)
                if dotted and (root is None or root in self.parsed.aliases):
                    summary = self.index.summary_of(f"{dotted}.{name}")
                    if summary is not None:
                        return summary
        return None

    def _method_of(self, class_node, name, seen=None):
        seen = seen if seen is not None else set()
        seen.add(id(class_node))
        for fn in self.parsed.functions:
            if fn.class_node is class_node and fn.name == name:
                return fn.qualname
        for base in class_node.bases:
            local = self.parsed.classes.get(self.parsed.resolved_last_name(base) or "")
            if local is not None and id(local) not in seen:
                found = self._method_of(local, name, seen)
                if found:
                    return found
        return None

    def scan(self, function, state, follow=True):
        key = (id(function.node), tuple(state), follow)
        if key not in self._scans:
            self._scans[key] = Scanner(self, function, state, follow)
        return self._scans[key]

    # Which functions run where

    @property
    def roots(self):
        """The functions scanned on their own: all but nested ones that only run where called.

        A nested function that is only ever called by name runs in its caller's transaction
        and is followed there; one that is passed on (to ``on_commit``, a thread...) or
        decorated runs at a time the analysis cannot know, so it stands on its own.
        """
        if self._roots is None:
            roots = []
            for fn in self.parsed.functions:
                if isinstance(fn.container, (ast.FunctionDef, ast.AsyncFunctionDef)) and not fn.node.decorator_list:
                    nodes = list(own_nodes(fn.container))
                    called = {id(node.func) for node in nodes if isinstance(node, ast.Call)}
                    used = [node for node in nodes if isinstance(node, ast.Name) and node.id == fn.name]
                    if all(id(node) in called for node in used):
                        continue
                roots.append(fn)
            self._roots = roots
        return self._roots

    @property
    def contexts(self):
        """Why each function's body always runs inside a transaction, by function node id.

        A private module-level function is covered when every use of it in this file is a call
        made inside a transaction; that is worked out until nothing changes, since covering one
        helper may cover the helpers it calls.
        """
        if self._contexts is not None:
            return self._contexts
        contexts = {}
        for fn in self.parsed.functions:
            reason = self._own_context(fn)
            if reason:
                contexts[id(fn.node)] = reason
        candidates = []
        if contexts or self.parsed.with_items or self.parsed.schedules:
            candidates = [
                fn
                for fn in self.parsed.module_functions.values()
                if fn.name.startswith("_") and id(fn.node) not in contexts and fn.name not in self.parsed.passed_on
            ]
        changed = True
        while changed and candidates:
            changed = False
            sites = self._call_sites(contexts, [fn.name for fn in candidates])
            for fn in list(candidates):
                calls = sites.get(fn.name, [])
                if calls and all(calls):
                    contexts[id(fn.node)] = "called only inside transactions"
                    candidates.remove(fn)
                    changed = True
        self._contexts = contexts
        return contexts

    def _state(self, fn, contexts=None):
        contexts = self.contexts if contexts is None else contexts
        own = self.opening_state(fn.node)
        return own or (("*",) if contexts.get(id(fn.node)) else ())

    def _own_context(self, fn):
        boundary = self.decorator_boundary(fn.node)
        if boundary is not None and boundary.kind != "read":
            return "decorator"
        if fn.is_module_level and fn.name in self.parsed.runners:
            return f"runs in {self.parsed.runners[fn.name]}"
        if fn.class_node is not None and fn.name in CALLERS:
            provider = self.class_boundary(fn.class_node, fn.name)
            if provider is not None:
                return f"base class {provider}"
        return ""

    def _call_sites(self, contexts, names):
        """For each called name, whether each call to it runs inside a transaction.

        Only the functions whose text mentions one of ``names`` are scanned.
        """
        sites = {}
        lines = self.parsed.text.splitlines()
        for fn in self.roots:
            if lines:
                segment = "\n".join(lines[fn.node.lineno - 1 : fn.node.end_lineno or fn.node.lineno])
                if not any(name in segment for name in names):
                    continue
            scan = self.scan(fn, self._state(fn, contexts))
            for event in scan.of_kind("call"):
                sites.setdefault(event.label, []).append(event.atomic)
        return sites

    # Rules

    def check(self):
        findings, entry_points = [], []
        for fn in self.parsed.functions:
            entry = self._check_entry_point(fn, findings)
            if entry is not None:
                entry_points.append(entry)
        for class_node in self.parsed.classes.values():
            entry = self._check_generic_model_view(class_node, findings)
            if entry is not None:
                entry_points.append(entry)
        self._check_side_effects(findings)
        self._check_receivers(findings)
        findings.extend(lock_findings(self.parsed))
        return findings, entry_points

    def view_model(self, class_node, seen=None):
        """The model a generic view saves: its ``model = X`` or ``queryset = X.objects...``."""
        seen = seen if seen is not None else set()
        seen.add(id(class_node))
        for node in class_node.body:
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) for t in node.targets):
                names = {t.id for t in node.targets if isinstance(t, ast.Name)}
                if "model" in names and isinstance(node.value, (ast.Name, ast.Attribute)):
                    return last_name(node.value)
                if "queryset" in names:
                    model = self.manager_model(node.value)
                    if model:
                        return model
        for base in class_node.bases:
            local = self.parsed.classes.get(self.parsed.resolved_last_name(base) or "")
            if local is not None and id(local) not in seen:
                model = self.view_model(local, seen)
                if model:
                    return model
        return None

    def serializer_model(self, class_node):
        """The model of the view's ``serializer_class`` (its ``Meta.model``), in this file or imported."""
        for node in class_node.body:
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "serializer_class" for t in node.targets
            ):
                return self.index.meta_model(self, node.value)
        return None

    def _check_generic_model_view(self, class_node, findings):
        """A generic view that leaves the save to Django (``form_valid``) or DRF (``perform_*``),
        of a model whose receivers write more rows."""
        if self._inherits(class_node, DRF_SAVING_VIEWS):
            for method in ("perform_create", "perform_update"):
                if self._method_of(class_node, method):
                    continue
                entry = self._generic_save(class_node, method, self.serializer_model(class_node), findings)
                if entry is not None:
                    return entry
            return None
        if not self._inherits(class_node, MODEL_FORM_VIEWS) or self._method_of(class_node, "form_valid"):
            return None
        return self._generic_save(class_node, "form_valid", self.view_model(class_node), findings)

    def _generic_save(self, class_node, method, model, findings):
        creating = method == "perform_create" or (method == "form_valid" and not self.is_update_view(class_node))
        receivers = self.writing_receivers(model, creating) if model else ()
        if not receivers:
            return None
        qualname = f"{class_node.name}.{method}"
        kind = "form view" if method == "form_valid" else "api view"
        writes = (f"save() of {model}",) + tuple(f"{r.name} at {r.where} writes {r.writes}" for r in receivers)
        provider = self.class_boundary(class_node, method)
        if provider is not None:
            boundary = f"class {provider}"
            return EntryPoint(self.path, class_node.lineno, qualname, kind, True, boundary, writes)
        message = (
            f"the inherited {method} saves {model}, whose save receivers write too "
            f"({', '.join(writes[1:])}), outside a transaction"
        )
        if kind == "form view":
            fix = (
                "override form_valid to call a service decorated with @atomic_view_operation(), or wrap the\n"
                'view: @method_decorator(transaction.atomic, name="post")'
            )
        else:
            fix = (
                "inherit from AtomicModelViewSet, or override perform_create/perform_update to call a service\n"
                "decorated with @atomic_view_operation()"
            )
        findings.append(Finding("TXN001", self.path, class_node.lineno, class_node.name, message, fix))
        return EntryPoint(self.path, class_node.lineno, qualname, kind, False, "none", writes)

    def decorator_names(self, node):
        return {self.parsed.resolved_last_name(d.func if isinstance(d, ast.Call) else d) for d in node.decorator_list}

    def _entry_kind(self, fn):
        name = fn.name
        if fn.class_node is not None:
            if name in {"handle_valid_form", "form_valid"}:
                return "form view"
            if name in DRF_PERFORM_METHODS or "action" in self.decorator_names(fn.node):
                return "api view"
            if name in WRITE_HTTP_METHODS and self.is_views:
                return "view"
            return None
        if not fn.is_module_level:
            return None
        decorators = self.decorator_names(fn.node)
        if "api_view" in decorators:
            return "api view"
        if self.is_services:
            return "service"
        args = fn.node.args.posonlyargs + fn.node.args.args
        if self.is_views and args and args[0].arg == "request":
            return "view"
        return None

    def _check_entry_point(self, fn, findings):
        kind = self._entry_kind(fn)
        if kind is None:
            return None
        context = self.contexts.get(id(fn.node), "")
        scan = self.scan(fn, self._state(fn))
        writes = scan.of_kind("write", "atomic call")
        labels = tuple(dict.fromkeys(event.label for event in writes))
        always_listed = kind in {"form view", "api view"} and fn.name not in {"form_valid"}
        if not writes and context != "decorator" and not always_listed:
            return None
        unprotected = [event for event in writes if not event.atomic]
        if context or not unprotected:
            boundary = context or ("with block" if writes else "no writes of its own")
            return EntryPoint(self.path, fn.node.lineno, fn.qualname, kind, True, boundary, labels)
        if _weight(writes) < 2:
            return EntryPoint(self.path, fn.node.lineno, fn.qualname, kind, True, "single write", labels)
        findings.append(self._unprotected_writes_finding(fn, kind, unprotected))
        return EntryPoint(self.path, fn.node.lineno, fn.qualname, kind, False, "none", labels)

    def _unprotected_writes_finding(self, fn, kind, unprotected):
        described = [event.label + (" in a loop" if event.in_loop else "") for event in unprotected]
        message = f"writes ({', '.join(dict.fromkeys(described))}) run outside a transaction"
        if kind != "form view" and kind != "api view":
            message += ": a failure part-way leaves the earlier writes committed"
        if isinstance(fn.node, ast.AsyncFunctionDef):
            fix = ASYNC_FIX
        elif kind == "service" or fn.class_node is None:
            fix = SERVICE_FIX
        else:
            fix = VIEW_FIX.format(base="AtomicModelViewSet" if kind == "api view" else "AtomicFormView")
        return Finding("TXN001", self.path, fn.node.lineno, fn.qualname, message, fix)

    def _check_side_effects(self, findings):
        for fn in self.roots:
            state = self._state(fn)
            if not state and not self._may_open_or_schedule(fn):
                continue  # no transaction is ever open in it, and it schedules nothing
            scan = self.scan(fn, state)
            for event in scan.events:
                if event.kind == "eager on_commit":
                    message = (
                        f"on_commit({event.label}(...)) calls {event.label}() at once, inside or outside a "
                        "transaction, and hands its result to on_commit"
                    )
                    fix = f"pass a callable:\n  {self.index.after_commit_fix(event.label.rsplit('.', 1)[0], 'delay')}"
                    findings.append(Finding("TXN002", self.path, event.node.lineno, fn.qualname, message, fix))
                elif event.kind == "side effect" and event.atomic:
                    if event.where:
                        message = (
                            f"{event.label}() at {event.where} runs inside the transaction open at this call: it "
                            "acts even if the transaction rolls back, and a worker may not see the uncommitted rows"
                        )
                    else:
                        message = (
                            f"{event.label}() runs inside a transaction: it acts even if the transaction rolls "
                            "back, and a worker may not see the uncommitted rows"
                        )
                    fix = f"run it after the commit:\n  {event.fix}"
                    findings.append(Finding("TXN002", self.path, event.node.lineno, fn.qualname, message, fix))

    def _may_open_or_schedule(self, fn):
        if id(fn.node) in self.parsed.schedules:
            return True
        return any(self.boundary(expr) is not None for expr in self.parsed.with_items.get(id(fn.node), ()))

    def is_receiver(self, fn):
        connected = {name for name, _ in self.parsed.connected}
        return fn.name in connected or "receiver" in {
            self.parsed.resolved_last_name(d.func) for d in fn.node.decorator_list if isinstance(d, ast.Call)
        }

    def _check_receivers(self, findings):
        for fn in self.parsed.functions:
            if not self.is_receiver(fn):
                continue
            boundaries = []
            for decorator in fn.node.decorator_list:
                boundary = self.boundary(decorator)
                if boundary is not None:
                    boundaries.append((decorator, label(decorator), boundary.kind))
            boundaries += [(event.node, event.label, event.fix) for event in self.scan(fn, ()).of_kind("boundary")]
            for node, text, kind in boundaries:
                if kind == "write":
                    message = f"signal receiver opens its own transaction ({text})"
                    findings.append(Finding("TXN003", self.path, node.lineno, fn.qualname, message, RECEIVER_FIX))
