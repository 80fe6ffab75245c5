"""The task outbox: a committed operation's tasks are delivered at least once and done once.

``send_task_on_commit`` (``apps.core.services.transaction_manager``) records the task as an
``OutboxMessage`` in the operation's transaction (``sending``) and publishes it right after the
commit. What could not be published then is published by the relay (``relay``: the
``core.relay_outbox`` beat task and ``manage.py relay_outbox``), in the order the messages were
recorded for each record. Tasks built on ``IdempotentTask`` (``consumer``) write a
``DeliveryReceipt`` with their work, so a message delivered twice is done once.

A small outbox of the project's own rather than a library: django-celery-outbox replaces the
Celery app class and intercepts every task the process sends, keeps its table on one database
and needs ``SKIP LOCKED`` (the project also runs on SQLite); under tenant routing the rows must
live on each operation's own alias and the relay must serve every alias; and neither it nor
django-jaiminho or django-outbox-pattern (events over STOMP) gives the consumer side, the receipt
that makes a redelivery harmless.
"""
