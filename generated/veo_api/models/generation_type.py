from enum import StrEnum


class GenerationType(StrEnum):
    FIRST_AND_LAST = "FIRST&LAST"
    REFERENCE = "REFERENCE"
    TEXT = "TEXT"

    def __str__(self) -> str:
        return str(self.value)
