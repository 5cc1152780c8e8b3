from enum import StrEnum


class VideoTaskState(StrEnum):
    ERROR = "error"
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"

    def __str__(self) -> str:
        return str(self.value)
