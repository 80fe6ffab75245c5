from .base import BaseModel
from .transaction_monitoring import SagaExecutionLog, TransactionFailureLog, TransactionHealthCheck, TransactionMetrics
from .versioned import VersionedModel

__all__ = [
    "BaseModel",
    "SagaExecutionLog",
    "TransactionFailureLog",
    "TransactionHealthCheck",
    "TransactionMetrics",
    "VersionedModel",
]
