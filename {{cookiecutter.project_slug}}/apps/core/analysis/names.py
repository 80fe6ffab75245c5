"""The names the rules look for: Django's, Celery's and this project's, in one table.

Everything the analysis recognises by name lives here, so that a project with other helpers
extends one place (or declares them in ``pyproject.toml``, see ``config``).
"""

import re

RULES = {
    "TXN000": "file could not be read or parsed",
    "TXN001": "writes outside a transaction",
    "TXN002": "side effect inside a transaction",
    "TXN003": "transaction opened in a signal receiver",
    "TXN004": "lock without a timeout",
    "TXN005": "suppression without a reason",
    "TXN006": "file needs a newer Python to be analysed",
}
SUPPRESSIBLE = frozenset({"TXN001", "TXN002", "TXN003", "TXN004"})
#: Findings that are reported but never fail a run.
WARNINGS = frozenset({"TXN006"})

#: Helpers that open a transaction, as a ``with`` block or a decorator, under any import alias.
#: ``transaction_boundary`` is the overridable method of the project's atomic view bases. Helpers
#: defined in the analysed tree are found on their own (see ``index``).
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

DRF_PERFORM_METHODS = frozenset({"perform_create", "perform_update", "perform_destroy"})

#: Base classes (by name) whose own code runs the listed methods of a subclass in a transaction.
BOUNDARY_BASES = {
    "AtomicFormView": frozenset({"handle_valid_form"}),
    "AtomicModelViewSet": DRF_PERFORM_METHODS,
    "AtomicCreateReadViewSet": DRF_PERFORM_METHODS,
    "AtomicWriteMixin": DRF_PERFORM_METHODS,
}

#: Django's generic views whose ``form_valid`` saves the form (``super().form_valid(form)``).
MODEL_FORM_VIEWS = frozenset({"CreateView", "UpdateView", "ModelFormMixin", "BaseCreateView", "BaseUpdateView"})

#: DRF views whose own ``perform_create``/``perform_update`` save the serializer.
DRF_SAVING_VIEWS = frozenset(
    {
        "ModelViewSet",
        "CreateAPIView",
        "ListCreateAPIView",
        "UpdateAPIView",
        "RetrieveUpdateAPIView",
        "RetrieveUpdateDestroyAPIView",
        "CreateModelMixin",
        "UpdateModelMixin",
    }
)

#: The methods of a view through which each entry point is reached: wrapping one of them in a
#: transaction (in the class or a base of the same file) protects the entry point.
CALLERS = {
    "handle_valid_form": frozenset({"dispatch", "post", "put", "patch"}),
    "form_valid": frozenset({"dispatch", "post", "put"}),
    "perform_create": frozenset({"dispatch", "post", "create"}),
    "perform_update": frozenset({"dispatch", "put", "patch", "update", "partial_update"}),
    "perform_destroy": frozenset({"dispatch", "delete", "destroy"}),
}

#: Methods of class-based views that handle a write request.
WRITE_HTTP_METHODS = frozenset({"post", "put", "patch", "delete"})

#: Calls that run the functions passed to them inside a transaction: a batch per transaction,
#: or a saga whose every step (action or compensation) is its own transaction.
TRANSACTION_RUNNERS = frozenset({"transactional_batch_operation", "add_step", "SagaStep"})

#: Methods that write to the database. Some names are shared with other APIs (``dict.update``,
#: ``cache.delete``, ``storage.save``); the scanner tells them apart by their arguments.
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
KEYWORD_ONLY_WRITES = frozenset({"save", "create", "update", "delete", "asave", "acreate", "aupdate", "adelete"})
#: Writes that send ``pre_save``/``post_save`` for the model they write.
SIGNALLING_WRITES = frozenset({"save", "create", "get_or_create", "update_or_create", "asave", "acreate"})
#: Project functions that write the instance they are given (unless called with ``save=False``).
WRITE_FUNCTIONS = frozenset({"save_userinfo"})

#: Methods whose call leaves the database at once.
SIDE_EFFECT_METHODS = frozenset({"delay", "apply_async", "send_task", "send_messages"})
SIDE_EFFECT_FUNCTIONS = frozenset({"send_mail", "send_mass_mail", "mail_admins", "mail_managers"})
#: The project's e-mail helpers, by name: ``send_welcome_email``, ``send_permit_email``...
SIDE_EFFECT_FUNCTION_PATTERNS = (re.compile(r"^send_\w+_email$"),)
#: Classes whose instances' ``send()`` sends an e-mail.
EMAIL_MESSAGE_CLASSES = frozenset({"EmailMessage", "EmailMultiAlternatives"})
#: Celery's canvas: ``chain(...)()``, ``group(...)()`` and ``chord(...)(callback)`` send at once.
CELERY_CANVAS = frozenset({"chain", "group", "chord"})
#: Functions that schedule a callable for after the commit.
ON_COMMIT_FUNCTIONS = frozenset({"on_commit"})

#: Project lock factories and classes whose locks carry their own expiry and bounded wait.
PROJECT_LOCK_FACTORIES = frozenset({"get_lock", "RedisLock", "InProcessLock", "PostgresAdvisoryLock"})
#: Calls whose string arguments are raw SQL.
SQL_CALLS = frozenset({"execute", "executemany", "raw", "RawSQL", "extra"})
SESSION_ADVISORY_LOCK = re.compile(r"\bpg_advisory_lock(?:_shared)?\s*\(\s*[\w%$:]", re.IGNORECASE)
LOCK_WORDS = frozenset({"lock", "locks", "rlock", "mutex", "semaphore", "sem"})

#: Database aliases that only read: a transaction on one of them is not a write transaction.
READ_ALIAS = re.compile(
    r"(?:^|_)(?:replica|replicas|read|reader|readonly|ro|follower|standby|slave|reporting)(?:_|\d|$)"
)

# The fixes printed under each finding.
WRAP_FIX = "  with transaction.atomic(using=get_current_db_name()):\n      ..."
VIEW_FIX = (
    "move the writes into a service decorated with @atomic_view_operation(), inherit from {base},\n"
    "or wrap the writes:\n" + WRAP_FIX
)
SERVICE_FIX = "decorate the function with @atomic_view_operation() or wrap the writes:\n" + WRAP_FIX
ASYNC_FIX = (
    "Django opens no transaction in async code: move the writes into a sync service decorated\n"
    "with @atomic_view_operation() and await it through sync_to_async(service)(...)"
)
ON_COMMIT_FIX = "transaction.on_commit(lambda: {call}(...), using=get_current_db_name())"
RECEIVER_FIX = (
    "remove the boundary: a receiver runs inside the transaction of the code that sent the\n"
    "signal, and its writes commit or roll back with it. Schedule side effects with\n"
    "transaction.on_commit(...); to make the receiver all-or-nothing on its own, join the\n"
    "sender's transaction: transaction.atomic(using=using, savepoint=False)."
)
PARSE_FIX = "fix the syntax error; the transaction rules are checked once the file parses"
