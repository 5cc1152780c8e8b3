from enum import StrEnum


class VideoModel(StrEnum):
    VEO3_1_FAST = "veo3.1-fast"

    def __str__(self) -> str:
        return str(self.value)
