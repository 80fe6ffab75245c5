from .base import BaseModel
from .idempotency import IdempotencyKey
from .outbox import DeliveryReceipt, OutboxMessage
from .transaction_monitoring import (
    AfterCommitIncident,
    SagaExecutionLog,
    TransactionFailureLog,
    TransactionHealthCheck,
    TransactionMetrics,
)
from .versioned import VersionedModel

__all__ = [
    "AfterCommitIncident",
    "BaseModel",
    "DeliveryReceipt",
    "IdempotencyKey",
    "OutboxMessage",
    "SagaExecutionLog",
    "TransactionFailureLog",
    "TransactionHealthCheck",
    "TransactionMetrics",
    "VersionedModel",
]
