"""Idempotency keys: a write retried with the same ``Idempotency-Key`` header is done once.

A client that lost an answer (a timeout, a killed worker, a dropped connection) cannot tell
whether its write committed. Sending the same key again answers that question: the middleware
(``middleware``) claims the key before the request runs, the key is marked committed inside the
transaction of the request's write (``transaction_manager.before_commit``), and the answer is
stored once the response is ready (``keys``). A retry with the same key and the same request
gets the stored answer and writes nothing new; with a different request, 422; while the first
is still running, 409 with ``Retry-After``; if the first never committed, it runs again.
"""
