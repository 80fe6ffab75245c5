from .base import BaseModel
from .transaction_monitoring import SagaExecutionLog, TransactionFailureLog, TransactionHealthCheck, TransactionMetrics

__all__ = ["BaseModel", "SagaExecutionLog", "TransactionFailureLog", "TransactionHealthCheck", "TransactionMetrics"]
