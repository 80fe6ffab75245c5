"""The facts of one parsed file, collected in a single walk of its tree.

Imports, classes, functions with their qualified names, which names are called and which are
passed on, which functions are handed to a transaction runner or connected to a signal, and the
string constants assigned to names. The rules and the index read these instead of walking the
tree again.
"""

import ast
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


def module_name(path):
    """The dotted module name of a ``/``-separated path: ``apps/foo/__init__.py`` is ``apps.foo``."""
    parts = path[:-3].split("/") if path.endswith(".py") else path.split("/")
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(part for part in parts if part and part != ".")


class ParsedModule:
    """One file's tree and the facts about it."""

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
        self.called = set()
        self.loaded = {}
        self.runners = {}
        self.connected = []
        self.strings = {}
        self._visit(tree, "", tree)
        self.module_functions = {fn.name: fn for fn in self.functions if fn.is_module_level}
        self.methods = {fn.qualname: fn for fn in self.functions if fn.class_node is not None}
        self.passed_on = {name for name, ids in self.loaded.items() if any(i not in self.called for i in ids)}

    def _visit(self, node, prefix, container):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                self.classes.setdefault(child.name, child)
                self.scopes.append((child, prefix + child.name))
                self._visit(child, f"{prefix}{child.name}.", child)
                continue
            if isinstance(child, FUNCTION_TYPES):
                class_node = container if isinstance(container, ast.ClassDef) else None
                self.functions.append(Function(child, prefix + child.name, container, class_node))
                self.scopes.append((child, prefix + child.name))
                self._visit(child, f"{prefix}{child.name}.", child)
                continue
            if isinstance(child, ast.Name):
                if isinstance(child.ctx, ast.Load):
                    self.loaded.setdefault(child.id, []).append(id(child))
            elif isinstance(child, ast.Call):
                self._visit_call(child)
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

    def _visit_call(self, call):
        self.called.add(id(call.func))
        name = last_name(call.func)
        if name in TRANSACTION_RUNNERS:
            arguments = call.args + [item.value for item in call.keywords]
            self.runners.update((arg.id, name) for arg in arguments if isinstance(arg, ast.Name))
        elif name == "connect" and isinstance(call.func, ast.Attribute):
            candidates = call.args[:1] + [item.value for item in call.keywords if item.arg == "receiver"]
            for candidate in candidates:
                if isinstance(candidate, ast.Name):
                    self.connected.append((candidate.id, call))

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
