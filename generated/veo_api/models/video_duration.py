from enum import IntEnum


class VideoDuration(IntEnum):
    SECONDS_8 = 8

    def __str__(self) -> str:
        return str(self.value)
