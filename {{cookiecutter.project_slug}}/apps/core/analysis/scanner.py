"""Walk one function body in execution order, knowing at each call whether a transaction is open.

The state is the tuple of transactions open at that point, each named by its database alias
(``"*"`` when the alias is worked out at run time). A read-only block on a replica opens no
write transaction; ``savepoint=False`` joins the caller's transaction or opens one.

Nested functions and lambdas are not part of the body: they run when they are called, which
may be after the commit (``transaction.on_commit(lambda: ...)``). A nested function that the
body calls by name is followed at the call, in the caller's transaction. Calls into functions
of the analysed tree are followed one level, through the index: their writes and sends are
reported at the call, naming the line they happen on.
"""

import ast
from dataclasses import dataclass

from .module import FUNCTION_TYPES, label, last_name
from .names import EMAIL_MESSAGE_CLASSES, ON_COMMIT_FUNCTIONS, SIGNALLING_WRITES


@dataclass(frozen=True)
class Event:
    """Something a function body does at a point where a transaction is, or is not, open."""

    kind: str
    node: ast.AST
    label: str
    atomic: bool
    in_loop: bool = False
    fix: str = ""
    #: Rows written by signal receivers of the model this write saves.
    extra: int = 0
    #: For a write or send one call away: ``path:line`` of the statement itself.
    where: str = ""
    #: The ``if``/``match`` branches the event sits in, outermost first: ``((id(if), 0), ...)``.
    branch: tuple = ()

    @property
    def weight(self):
        return (2 if self.in_loop else 1) + self.extra


def _alias_of_write(call):
    """The alias a write names (``.using("x")``, ``using="x"``), or ``None``."""
    for item in call.keywords:
        if item.arg == "using" and isinstance(item.value, ast.Constant) and isinstance(item.value.value, str):
            return item.value.value
    node = call.func.value if isinstance(call.func, ast.Attribute) else None
    while isinstance(node, (ast.Attribute, ast.Call)):
        if isinstance(node, ast.Call):
            if last_name(node.func) == "using" and node.args and isinstance(node.args[0], ast.Constant):
                return node.args[0].value
            node = node.func
        else:
            node = node.value
    return None


def _protects(state, alias):
    return bool(state) and (alias is None or "*" in state or alias in state)


class Scanner:
    def __init__(self, analysis, function, state, follow=True):
        self.analysis = analysis
        self.function = function
        self.follow_calls = follow
        self.events = []
        node = function.node
        self._nested = analysis.parsed.children.get(id(node), {})
        self._following = {node.name}
        self._email_names = set()
        self._models = {}
        self._querysets = set()
        self._eager = set()
        self._branch = ()
        self._visit_all(node.body, tuple(state), in_loop=False)

    def of_kind(self, *kinds):
        return [event for event in self.events if event.kind in kinds]

    def _add(self, kind, node, text, atomic, in_loop, **details):
        self.events.append(Event(kind, node, text, atomic, in_loop, branch=self._branch, **details))

    def _visit_branches(self, node, branches, state, in_loop):
        outer = self._branch
        for number, body in enumerate(branches):
            self._branch = outer + ((id(node), number),)
            self._visit_all(body, state, in_loop)
        self._branch = outer

    def _visit_all(self, nodes, state, in_loop):
        for node in nodes:
            self._visit(node, state, in_loop)

    def _visit(self, node, state, in_loop):
        if isinstance(node, (*FUNCTION_TYPES, ast.ClassDef, ast.Lambda)):
            return
        if isinstance(node, (ast.With, ast.AsyncWith)):
            self._visit_with(node, state, in_loop)
            return
        if isinstance(node, ast.If):
            self._visit(node.test, state, in_loop)
            self._visit_branches(node, [node.body, node.orelse], state, in_loop)
            return
        if isinstance(node, ast.Match):
            self._visit(node.subject, state, in_loop)
            self._visit_branches(node, [case.body for case in node.cases], state, in_loop)
            return
        if isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            self._visit(node.iter if isinstance(node, (ast.For, ast.AsyncFor)) else node.test, state, in_loop)
            self._visit_all(node.body, state, in_loop=True)
            self._visit_all(node.orelse, state, in_loop)
            return
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            self._visit_all(ast.iter_child_nodes(node), state, in_loop=True)
            return
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            self._remember_assignment(node)
        if isinstance(node, ast.Call):
            self._visit_call(node, state, in_loop)
        self._visit_all(ast.iter_child_nodes(node), state, in_loop)

    def _remember_assignment(self, node):
        call = node.value
        names = [target.id for target in node.targets if isinstance(target, ast.Name)]
        if last_name(call.func) in EMAIL_MESSAGE_CLASSES:
            self._email_names.update(names)
        if self.analysis.is_queryset(call):
            self._querysets.update(names)
        else:
            self._querysets.difference_update(names)
        model = self.analysis.model_of(call)
        constructed = last_name(call.func) == model
        for name in names:
            if model is not None:
                self._models[name] = (model, constructed)
            else:
                self._models.pop(name, None)

    def _visit_with(self, node, state, in_loop):
        inner = state
        for item in node.items:
            self._visit(item.context_expr, state, in_loop)
            boundary = self.analysis.boundary(item.context_expr)
            if boundary is not None:
                text = label(item.context_expr)
                self._add("boundary", item.context_expr, text, bool(state), in_loop, fix=boundary.kind)
                if boundary.kind != "read":
                    inner = inner + (boundary.alias,)
        self._visit_all(node.body, inner, in_loop)

    def _visit_call(self, call, state, in_loop):
        analysis = self.analysis
        atomic = bool(state)
        self._add("call", call, label(call.func), atomic, in_loop)
        write = analysis.write_label(call, self.function, self._querysets)
        if write is not None:
            extra, described = self._signal_writes(call)
            self._add("write", call, write + described, _protects(state, _alias_of_write(call)), in_loop, extra=extra)
        if id(call) not in self._eager:
            fix = analysis.side_effect_fix(call, self._email_names)
            if fix is not None:
                self._add("side effect", call, label(call.func), atomic, in_loop, fix=fix)
        if last_name(call.func) in ON_COMMIT_FUNCTIONS and call.args:
            first = call.args[0]
            if isinstance(first, ast.Call) and analysis.side_effect_fix(first, self._email_names) is not None:
                self._eager.add(id(first))
                self._add("eager on_commit", call, label(first.func), atomic, in_loop)
        func = call.func
        if isinstance(func, ast.Name) and func.id in self._nested:
            if func.id not in self._following:
                self._follow(self._nested[func.id], state, in_loop)
            return
        if self.follow_calls and write is None:
            self._follow_callee(call, state, in_loop)

    def _signal_writes(self, call):
        """Rows that ``post_save``/``pre_save`` receivers write when ``call`` saves a model.

        A new row fires every receiver; an update only those that do not wait for ``created``.
        """
        func = call.func
        if not isinstance(func, ast.Attribute):
            return 0, ""
        analysis, view = self.analysis, self.function.class_node
        model, creating = None, True
        if func.attr == "form_valid" and view is not None:
            model = analysis.view_model(view)
            creating = not analysis.is_update_view(view)
        elif func.attr not in SIGNALLING_WRITES:
            return 0, ""
        elif func.attr in {"save", "asave"}:
            if isinstance(func.value, ast.Name) and func.value.id == "serializer" and view is not None:
                model = analysis.serializer_model(view)
                creating = self.function.name != "perform_update"
            elif isinstance(func.value, ast.Name):
                model, creating = self._models.get(func.value.id, (None, True))
            elif isinstance(func.value, ast.Call):
                model = analysis.model_of(func.value)
        else:
            model = analysis.manager_model(func.value)
        receivers = analysis.writing_receivers(model, creating) if model else ()
        if not receivers:
            return 0, ""
        described = ", ".join(f"{receiver.name} at {receiver.where} writes {receiver.writes}" for receiver in receivers)
        return len(receivers), f" [+ {model} save receivers: {described}]"

    def _follow(self, nested, state, in_loop):
        self._following.add(nested.name)
        boundary = self.analysis.decorator_boundary(nested)
        if boundary is not None and boundary.kind != "read":
            state = state + (boundary.alias,)
        self._visit_all(nested.body, state, in_loop)
        self._following.discard(nested.name)

    def _follow_callee(self, call, state, in_loop):
        summary = self.analysis.callee(call, self.function)
        if summary is None:
            return
        atomic = bool(state)
        called = label(call.func)
        if summary.own_transaction:
            self._add("atomic call", call, f"{called}() [own transaction]", atomic, in_loop)
        for write in summary.writes:
            self._add(
                "write",
                call,
                f"{called}() -> {write.label} at {write.where}",
                atomic,
                in_loop or write.in_loop,
                extra=write.extra,
                where=write.where,
            )
        for send in summary.sends:
            self._add(
                "side effect", call, f"{called}() -> {send.label}", atomic, in_loop, fix=send.fix, where=send.where
            )
