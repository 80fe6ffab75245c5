"""The facts of one parsed file, collected in a single walk of its tree.

Imports, classes, functions with their qualified names, which names are called and which are
passed on, which functions are handed to a transaction runner or connected to a signal, and the
string constants assigned to names. The rules and the index read these instead of walking the
tree again.
"""

import ast
import re
from dataclasses import dataclass

from .names import TRANSACTION_RUNNERS

FUNCTION_TYPES = (ast.FunctionDef, ast.AsyncFunctionDef)


@dataclass(frozen=True)
class Function:
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


def label(expr):
    """A short readable name for a callee: ``Foo.objects.filter(...).update``."""
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        return f"{label(expr.value)}.{expr.attr}"
    if isinstance(expr, ast.Call):
        return f"{label(expr.func)}({'...' if expr.args or expr.keywords else ''})"
    if isinstance(expr, ast.Subscript):
        return f"{label(expr.value)}[...]"
    return "(...)"


def last_name(expr):
    """The name a call is known by: ``send_mail`` for both ``send_mail`` and ``mail.send_mail``."""
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        return expr.attr
    return None


def keyword(call, name):
    for item in call.keywords:
        if item.arg == name:
            return item
    return None


def is_constant(node, value):
    return isinstance(node, ast.Constant) and node.value is value


def positional(call):
    return [arg for arg in call.args if not isinstance(arg, ast.Starred)]


def has_double_star(call):
    return any(item.arg is None for item in call.keywords)


def own_nodes(scope):
    """The nodes of ``scope`` that are not inside a nested function or class."""
    pending = list(ast.iter_child_nodes(scope))
    while pending:
        node = pending.pop()
        yield node
        if not isinstance(node, (*FUNCTION_TYPES, ast.ClassDef)):
            pending.extend(ast.iter_child_nodes(node))


def _statements(node):
    """The statements directly inside ``node``'s blocks (bodies, ``else``, handlers, cases)."""
    for field in ("body", "orelse", "finalbody"):
        block = getattr(node, field, None)
        if isinstance(block, list):
            yield from block
    for handler in getattr(node, "handlers", None) or ():
        yield from handler.body
    for case in getattr(node, "cases", None) or ():
        yield from case.body


def module_name(path):
    """The dotted module name of a ``/``-separated path: ``apps/foo/__init__.py`` is ``apps.foo``."""
    parts = path[:-3].split("/") if path.endswith(".py") else path.split("/")
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(part for part in parts if part and part != ".")


class ParsedModule:
    """One file's tree and the facts about it.

    The structure (imports, classes, functions, ``with`` blocks, string assignments) comes from
    one walk over the statements only. Facts about expressions (which names are called, which
    are passed on, which functions are handed to a runner or connected to a signal) take a walk
    of every node, so they are gathered only when a rule asks and the text says they can exist.
    """

    def __init__(self, tree, path, text=""):
        self.tree = tree
        self.path = path
        self.text = text
        self.name = module_name(path)
        self.is_package = path.endswith("__init__.py")
        self.aliases = {}
        self.classes = {}
        self.functions = []
        self.scopes = [(tree, "")]
        self.strings = {}
        #: Functions defined directly in each function, by the containing function's node id.
        self.children = {}
        #: Ids of the functions that contain an ``on_commit`` call, nested functions included.
        self.schedules = set()
        #: The ``with`` items inside each function (nested functions included), by function id.
        self.with_items = {}
        self._stack = []
        self._expression_facts = None
        self._visit(tree, "", tree)
        self._mark_on_commit_lines()
        self.module_functions = {fn.name: fn for fn in self.functions if fn.is_module_level}
        self.methods = {fn.qualname: fn for fn in self.functions if fn.class_node is not None}

    def _visit(self, node, prefix, container):
        for child in _statements(node):
            if isinstance(child, ast.ClassDef):
                self.classes.setdefault(child.name, child)
                self.scopes.append((child, prefix + child.name))
                self._visit(child, f"{prefix}{child.name}.", child)
                continue
            if isinstance(child, FUNCTION_TYPES):
                class_node = container if isinstance(container, ast.ClassDef) else None
                self.functions.append(Function(child, prefix + child.name, container, class_node))
                self.scopes.append((child, prefix + child.name))
                if isinstance(container, FUNCTION_TYPES):
                    self.children.setdefault(id(container), {})[child.name] = child
                self._stack.append(id(child))
                self._visit(child, f"{prefix}{child.name}.", child)
                self._stack.pop()
                continue
            if isinstance(child, (ast.With, ast.AsyncWith)):
                for function_id in self._stack:
                    self.with_items.setdefault(function_id, []).extend(item.context_expr for item in child.items)
            elif isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.asname:
                        self.aliases[alias.asname] = alias.name
            elif isinstance(child, ast.ImportFrom):
                self._visit_import_from(child)
            elif isinstance(child, ast.Assign):
                if len(child.targets) == 1 and isinstance(child.targets[0], ast.Name):
                    self.strings.setdefault(child.targets[0].id, []).append(child.value)
            self._visit(child, prefix, container)

    def _mark_on_commit_lines(self):
        if "on_commit" not in self.text:
            return
        lines = [self.text.count("\n", 0, match.start()) + 1 for match in re.finditer(r"on_commit", self.text)]
        for fn in self.functions:
            end = fn.node.end_lineno or fn.node.lineno
            if any(fn.node.lineno <= line <= end for line in lines):
                self.schedules.add(id(fn.node))

    # Facts about expressions, gathered on demand

    def _expressions(self):
        if self._expression_facts is None:
            called, loaded, runners, connected = set(), {}, {}, []
            for node in ast.walk(self.tree):
                if isinstance(node, ast.Name):
                    if isinstance(node.ctx, ast.Load):
                        loaded.setdefault(node.id, []).append(id(node))
                elif isinstance(node, ast.Call):
                    called.add(id(node.func))
                    name = last_name(node.func)
                    if name in TRANSACTION_RUNNERS:
                        arguments = node.args + [item.value for item in node.keywords]
                        runners.update((arg.id, name) for arg in arguments if isinstance(arg, ast.Name))
                    elif name == "connect" and isinstance(node.func, ast.Attribute):
                        candidates = node.args[:1] + [item.value for item in node.keywords if item.arg == "receiver"]
                        connected.extend((c.id, node) for c in candidates if isinstance(c, ast.Name))
            passed_on = {name for name, ids in loaded.items() if any(i not in called for i in ids)}
            self._expression_facts = called, passed_on, runners, connected
        return self._expression_facts

    @property
    def called(self):
        """Ids of the expressions that are called (``f`` in ``f(...)``)."""
        return self._expressions()[0]

    @property
    def passed_on(self):
        """Names used other than by calling them: handed to ``on_commit``, a thread, a list..."""
        return self._expressions()[1]

    @property
    def runners(self):
        """Functions of this file handed to a transaction runner, with the runner's name."""
        if not any(runner in self.text for runner in TRANSACTION_RUNNERS):
            return {}
        return self._expressions()[2]

    @property
    def connected(self):
        """``(function name, connect call)`` for each ``signal.connect(function, ...)``."""
        if ".connect(" not in self.text:
            return []
        return self._expressions()[3]

    def _visit_import_from(self, node):
        if node.level:
            package = self.name.split(".") if self.is_package else self.name.split(".")[:-1]
            if node.level > 1:
                package = package[: len(package) - (node.level - 1)]
            module = ".".join([*package, node.module] if node.module else package)
        else:
            module = node.module or ""
        for alias in node.names:
            if alias.name != "*":
                self.aliases[alias.asname or alias.name] = f"{module}.{alias.name}" if module else alias.name

    def resolve(self, expr):
        """The dotted name ``expr`` stands for, through import aliases; ``None`` if not a name."""
        if isinstance(expr, ast.Name):
            return self.aliases.get(expr.id, expr.id)
        if isinstance(expr, ast.Attribute):
            base = self.resolve(expr.value)
            return None if base is None else f"{base}.{expr.attr}"
        return None

    def resolved_last_name(self, expr):
        if isinstance(expr, ast.Subscript):
            expr = expr.value
        name = self.resolve(expr)
        return None if name is None else name.rsplit(".", 1)[-1]

    def qualname_at(self, line):
        """The innermost function or class around ``line``, for findings not tied to a function."""
        best, best_start = "", -1
        for node, qualname in self.scopes[1:]:
            if node.lineno <= line <= (node.end_lineno or node.lineno) and node.lineno > best_start:
                best, best_start = qualname, node.lineno
        return best
