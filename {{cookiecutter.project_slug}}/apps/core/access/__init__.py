"""Who may do what: roles, the scoping of every entry point to the user's client, and the checks.

Layered on their own: ``roles`` (groups and their model permissions), ``scoping`` (querysets
limited to a client), ``permissions`` (what a role may do, DRF permission class), ``fields``
(related-field choices of forms and serializers limited to the client).
"""
