"""Static checks of the project's own source code: the transaction analyser.

Modules here use the standard library only and never import Django: the git pre-commit hook runs
them with the system Python, before a virtualenv or a settings module exists. One job each:

- ``transaction_usage``: the public entry (``analyse_paths``, ``analyse_source``, ``main``).
- ``cli``: the command line. ``config``: ``[tool.transaction-usage]`` in ``pyproject.toml``.
- ``sources``: finding, reading (working copy or git's index), pre-filtering and parsing files.
- ``module``: the facts of one parsed file. ``index``: the tree's modules, helpers, receivers.
- ``scanner``: one function body in execution order. ``rules``: TXN001 to TXN003 on one file.
- ``locks``: TXN004. ``findings``: what is reported. ``names``: the names the rules look for.
- ``cache``: the system check's result, kept until a file of the tree changes.
"""
