from .base import BaseModel
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
    "SagaExecutionLog",
    "TransactionFailureLog",
    "TransactionHealthCheck",
    "TransactionMetrics",
    "VersionedModel",
]
