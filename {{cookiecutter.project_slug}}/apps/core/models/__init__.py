from .base import BaseModel
from .transaction_monitoring import SagaExecutionLog

__all__ = ["BaseModel", "SagaExecutionLog"]
