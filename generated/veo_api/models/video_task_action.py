from enum import StrEnum


class VideoTaskAction(StrEnum):
    GENERATE = "generate"
    REMIX = "remix"

    def __str__(self) -> str:
        return str(self.value)
