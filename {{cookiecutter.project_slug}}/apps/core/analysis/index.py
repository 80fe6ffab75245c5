"""What the analysed tree knows about itself: modules by name, boundary helpers, receivers.

A finding can depend on another file: the helper a ``with`` block uses, the function a call
runs, the receivers a save fires. The index answers those questions for the whole tree while
parsing only the files it needs: the files that mention ``atomic`` (helpers), ``post_save`` or
``pre_save`` (receivers) and ``on_commit`` (the project's after-commit helper) when it is built,
and the file of each function a call is followed into, when it is.
"""

import ast
import re
from dataclasses import dataclass

from .config import Config
from .findings import Finding
from .module import FUNCTION_TYPES, ParsedModule, label, last_name, module_name
from .names import BOUNDARY_HELPERS, READ_ALIAS
from .rules import ModuleAnalysis
from .sources import parse

_CONTEXT_MANAGER_DECORATORS = frozenset({"contextmanager", "asynccontextmanager"})
_SAVE_SIGNALS = frozenset({"post_save", "pre_save"})
_AFTER_COMMIT_NAME = re.compile(r"on_commit|after_commit")
#: Text a file defining a boundary helper must contain besides ``atomic``: a context manager, an
#: ``__enter__``, a nested (indented) function, or a ``return`` of a boundary.
_HELPER_SHAPES = re.compile(r"contextmanager|__enter__|^[ \t]+(?:async[ \t]+)?def |return[^\n]*atomic", re.MULTILINE)


@dataclass(frozen=True)
class Step:
    """A write or a send inside a function one call away, with where it happens."""

    label: str
    where: str
    in_loop: bool = False
    extra: int = 0
    fix: str = ""


@dataclass(frozen=True)
class Summary:
    """What calling a function of the tree does, seen from its caller."""

    own_transaction: bool
    writes: tuple = ()
    sends: tuple = ()


@dataclass(frozen=True)
class Receiver:
    name: str
    where: str
    writes: str
    #: True when the receiver writes only for a new row (``if created:``): an update writes once.
    on_create_only: bool = False


class ProjectIndex:
    """The tree's files by path (``/``-separated, as reported) and what they define."""

    def __init__(self, texts, config=None):
        self.texts = texts
        self.config = config or Config()
        self._parsed = {}
        self._analyses = {}
        self._summaries = {}
        self._modules, self._suffixes = {}, {}
        for path in texts:
            name = module_name(path)
            self._modules[name] = path
            parts = name.split(".")
            for start in range(1, len(parts)):
                suffix = ".".join(parts[start:])
                self._suffixes[suffix] = path if suffix not in self._suffixes else None
        self.helpers = {name: "write" for name in BOUNDARY_HELPERS | self.config.boundary_helpers}
        self._receivers = {}
        self._after_commit = None
        self._find_helpers()
        self._receivers = self._find_receivers()

    # Files

    def mentioning(self, *words):
        for path, text in self.texts.items():
            if isinstance(text, str) and any(word in text for word in words):
                yield path

    def parsed(self, path):
        """The ``ParsedModule`` of ``path``, or the ``Finding`` saying why it has none."""
        if path not in self._parsed:
            text = self.texts.get(path)
            if not isinstance(text, str):
                self._parsed[path] = None
            else:
                tree = parse(text, path, self.config.requires_python)
                self._parsed[path] = tree if isinstance(tree, Finding) else ParsedModule(tree, path, text)
        return self._parsed[path]

    def analysis(self, path):
        if path not in self._analyses:
            parsed = self.parsed(path)
            self._analyses[path] = ModuleAnalysis(parsed, self) if isinstance(parsed, ParsedModule) else None
        return self._analyses[path]

    @property
    def parsed_count(self):
        return sum(1 for value in self._parsed.values() if isinstance(value, ParsedModule))

    def find_module(self, dotted):
        return self._modules.get(dotted) or self._suffixes.get(dotted)

    # Calls one level away

    def summary_of(self, dotted):
        """The summary of the function or method a dotted name stands for, if it is in the tree."""
        parts = dotted.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            path = self.find_module(".".join(parts[:cut]))
            if path is not None:
                return self.summary(path, ".".join(parts[cut:]))
        return None

    def summary(self, path, qualname):
        key = (path, qualname)
        if key in self._summaries:
            return self._summaries[key]
        self._summaries[key] = None  # a function calling itself is not followed into itself
        analysis = self.analysis(path)
        if analysis is None:
            return None
        parsed = analysis.parsed
        function = parsed.module_functions.get(qualname) or parsed.methods.get(qualname)
        if function is None:
            return None
        boundary = analysis.decorator_boundary(function.node)
        scan = analysis.scan(function, analysis.opening_state(function.node), follow=False)
        writes, protected = [], 0
        for event in scan.of_kind("write"):
            if event.atomic:
                protected += 1
            else:
                where = f"{path}:{event.node.lineno}"
                writes.append(Step(event.label, where, event.in_loop, event.extra))
        sends = tuple(
            Step(event.label, f"{path}:{event.node.lineno}", fix=event.fix)
            for event in scan.of_kind("side effect")
            if not event.atomic
        )
        own = (boundary is not None and boundary.kind != "read") or (protected > 0 and not writes)
        summary = Summary(own, tuple(writes), sends)
        self._summaries[key] = summary
        return summary

    def class_node(self, analysis, expr):
        """The ``(analysis, ClassDef)`` of a class named in ``analysis``'s file, local or imported."""
        if isinstance(expr, ast.Name) and expr.id in analysis.parsed.classes:
            return analysis, analysis.parsed.classes[expr.id]
        dotted = analysis.parsed.resolve(expr)
        if not dotted or "." not in dotted:
            return None
        module, name = dotted.rsplit(".", 1)
        path = self.find_module(module)
        other = self.analysis(path) if path else None
        if other is None or name not in other.parsed.classes:
            return None
        return other, other.parsed.classes[name]

    def meta_model(self, analysis, expr):
        """The ``Meta.model`` of the serializer or form class ``expr`` names, by name."""
        found = self.class_node(analysis, expr)
        if found is None:
            return None
        _, class_node = found
        for node in class_node.body:
            if isinstance(node, ast.ClassDef) and node.name == "Meta":
                for item in node.body:
                    if isinstance(item, ast.Assign) and any(
                        isinstance(t, ast.Name) and t.id == "model" for t in item.targets
                    ):
                        return last_name(item.value)
        return None

    # Aliases and helpers

    def is_read_alias(self, expr):
        """True for an alias expression naming a read-only database (a replica)."""
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            text = expr.value
            if text in self.config.read_aliases:
                return True
        elif isinstance(expr, ast.Call):
            return last_name(expr.func) == "db_for_read"
        elif isinstance(expr, (ast.Name, ast.Attribute)):
            text = label(expr)
        else:
            return False
        return bool(READ_ALIAS.search(text.lower().replace(".", "_")))

    def _find_helpers(self):
        """Functions and classes of the tree that open a transaction for their caller.

        A ``@contextmanager`` that yields inside a boundary, a decorator whose wrapper calls the
        wrapped function inside one, a function returning a boundary, and a class whose
        ``__enter__`` opens one. Helpers may build on each other, so this runs until no new one
        turns up.
        """
        candidates = [
            path
            for path in self.mentioning("atomic")
            if _HELPER_SHAPES.search(self.texts[path]) and self.analysis(path) is not None
        ]
        for _ in range(4):
            changed = False
            for path in candidates:
                for name, kind in self._helpers_in(self.analysis(path)):
                    if name not in self.helpers:
                        self.helpers[name] = kind
                        changed = True
            if not changed:
                break

    def _helpers_in(self, analysis):
        parsed = analysis.parsed
        for class_node in parsed.classes.values():
            for node in class_node.body:
                if isinstance(node, FUNCTION_TYPES) and node.name in {"__enter__", "__aenter__"}:
                    kind = self._opened_in(analysis, node)
                    if kind:
                        yield class_node.name, kind
        for function in parsed.functions:
            if function.class_node is None:
                kind = self._wraps_a_boundary(analysis, function.node)
                if kind:
                    yield function.name, kind

    def _opened_in(self, analysis, node):
        for child in ast.walk(node):
            if isinstance(child, ast.Call):
                boundary = analysis.boundary(child)
                if boundary is not None:
                    return boundary.kind
        return None

    def _wraps_a_boundary(self, analysis, node):
        decorators = {
            analysis.parsed.resolved_last_name(d.func if isinstance(d, ast.Call) else d) for d in node.decorator_list
        }
        parameters = set()
        for child in ast.walk(node):
            if isinstance(child, FUNCTION_TYPES):
                arguments = child.args
                parameters.update(arg.arg for arg in arguments.posonlyargs + arguments.args + arguments.kwonlyargs)
        for child in ast.walk(node):
            if isinstance(child, (ast.With, ast.AsyncWith)):
                for item in child.items:
                    boundary = analysis.boundary(item.context_expr)
                    if boundary is None:
                        continue
                    inside = [inner for statement in child.body for inner in ast.walk(statement)]
                    if decorators & _CONTEXT_MANAGER_DECORATORS:
                        if any(isinstance(inner, (ast.Yield, ast.YieldFrom)) for inner in inside):
                            return boundary.kind
                    elif child is not node and any(
                        isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name) and inner.func.id in parameters
                        for inner in inside
                    ):
                        return boundary.kind
            elif (
                isinstance(child, ast.Return)
                and isinstance(child.value, ast.Call)
                and not (decorators & _CONTEXT_MANAGER_DECORATORS)
            ):
                value = child.value
                boundary = analysis.boundary(value)
                if boundary is None and isinstance(value.func, ast.Call):
                    boundary = analysis.boundary(value.func)
                if boundary is not None:
                    return boundary.kind
        return None

    # Receivers

    def writing_receivers(self, model, creating=True):
        receivers = self._receivers.get(model, ())
        return receivers if creating else tuple(r for r in receivers if not r.on_create_only)

    def _find_receivers(self):
        """``post_save``/``pre_save`` receivers that write, by the name of their sender model."""
        found = {}
        for path in self.mentioning(*_SAVE_SIGNALS):
            analysis = self.analysis(path)
            if analysis is None:
                continue
            for function in analysis.parsed.functions:
                senders = self._senders(analysis, function)
                if not senders:
                    continue
                scan = analysis.scan(function, (), follow=True)
                writes = scan.of_kind("write", "atomic call")
                if not writes:
                    continue
                where = f"{path}:{function.node.lineno}"
                receiver = Receiver(function.qualname, where, writes[0].label, _on_create_only(function.node, writes))
                for sender in senders:
                    found.setdefault(sender, []).append(receiver)
        return {model: tuple(receivers) for model, receivers in found.items()}

    def _senders(self, analysis, function):
        parsed = analysis.parsed
        senders = []
        for decorator in function.node.decorator_list:
            if isinstance(decorator, ast.Call) and parsed.resolved_last_name(decorator.func) == "receiver":
                signals = decorator.args[0] if decorator.args else None
                signals = signals.elts if isinstance(signals, (ast.List, ast.Tuple)) else [signals]
                if any(last_name(signal) in _SAVE_SIGNALS for signal in signals if signal is not None):
                    senders.extend(_sender_names(decorator))
        for name, call in parsed.connected:
            if name == function.name and last_name(call.func.value) in _SAVE_SIGNALS:
                senders.extend(_sender_names(call))
        return senders

    # The project's after-commit helper

    @property
    def after_commit_helper(self):
        """The tree's own function that sends a task after the commit, by name, or ``""``."""
        if self._after_commit is None:
            self._after_commit = ""
            for path in self.mentioning("on_commit"):
                parsed = self.parsed(path)
                if not isinstance(parsed, ParsedModule):
                    continue
                for function in parsed.module_functions.values():
                    if not _AFTER_COMMIT_NAME.search(function.name) or function.name.startswith("_"):
                        continue
                    # Its name says after-commit and its first parameter is the task: it may
                    # register the callback itself or hand the task to an outbox that does.
                    arguments = [arg.arg for arg in function.node.args.args]
                    if arguments and "task" in arguments[0]:
                        self._after_commit = function.name
                        return self._after_commit
        return self._after_commit

    def after_commit_fix(self, receiver, kind):
        """How to send ``receiver`` after the commit, in the project's own words where it has them."""
        helper = self.after_commit_helper
        if kind in {"delay", "apply_async"}:
            if helper:
                return f"{helper}({receiver}, ...)"
            return f"transaction.on_commit(lambda: {receiver}.{kind}(...))"
        if kind == "canvas":
            return f"transaction.on_commit(lambda: {receiver}.apply_async())"
        return f"transaction.on_commit(lambda: {receiver}(...))"


def _mentions_created(test, negated):
    """True when ``test`` is ``created`` (``not created`` with ``negated``), alone or in an ``and``."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return any(_mentions_created(value, negated) for value in test.values)
    if negated:
        return isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and _mentions_created(test.operand, False)
    return isinstance(test, ast.Name) and test.id == "created"


def _on_create_only(function_node, writes):
    """Whether every write of a receiver happens only when ``created`` is true."""
    for statement in function_node.body:
        if isinstance(statement, ast.If) and _mentions_created(statement.test, True):
            if statement.body and isinstance(statement.body[-1], ast.Return):
                return all(write.node.lineno > statement.end_lineno for write in writes)
    guards = {
        id(node) for node in ast.walk(function_node) if isinstance(node, ast.If) and _mentions_created(node.test, False)
    }
    return all(any(node in guards and number == 0 for node, number in write.branch) for write in writes)


def _sender_names(call):
    for item in call.keywords:
        if item.arg == "sender":
            value = item.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                return [value.value.rsplit(".", 1)[-1]]
            name = last_name(value)
            return [name] if name else []
    return []
