"""Static checks of the project's own source code.

Modules here use the standard library only and never import Django: the git pre-commit hook runs
them with the system Python, before a virtualenv or a settings module exists.
"""
