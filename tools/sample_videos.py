"""Write the mock's sample videos: veo/mock/sample-16x9.mp4 and veo/mock/sample-9x16.mp4.

The vendor's videos are 8 seconds long, landscape (16:9) or portrait (9:16); the mock
serves one of these two in the ratio a task asked for. They are tiny (160x90 and 90x160,
8 frames a second, H.264 with the index first) and show a bar moving across a
gradient, so a player shows motion and a test can check duration and shape.

Not part of the package or its dependencies: run it by hand when the samples must
change, in any environment with PyAV (``pip install av``)::

    python tools/sample_videos.py
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

SECONDS = 8
FPS = 8
SIZES = {"16x9": (160, 90), "9x16": (90, 160)}
OUT = Path(__file__).resolve().parents[1] / "veo" / "mock"


def frame(width: int, height: int, index: int) -> np.ndarray:
    """A gradient with a bar that crosses the long side once over the video."""
    x = np.linspace(0, 255, width, dtype=np.uint8)
    y = np.linspace(0, 255, height, dtype=np.uint8)
    image = np.zeros((height, width, 3), dtype=np.uint8)
    image[..., 0] = x[None, :]
    image[..., 1] = y[:, None]
    image[..., 2] = 128
    span = max(width, height)
    at = index * span // (SECONDS * FPS)
    if width >= height:
        image[:, at : at + 8] = 255
    else:
        image[at : at + 8, :] = 255
    return image


def write(path: Path, width: int, height: int) -> None:
    with av.open(str(path), "w", options={"movflags": "+faststart"}) as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = Fraction(1, FPS)
        stream.options = {"crf": "35", "preset": "veryslow", "profile": "baseline"}
        for index in range(SECONDS * FPS):
            video = av.VideoFrame.from_ndarray(frame(width, height, index), format="rgb24")
            video.pts = index
            container.mux(stream.encode(video))
        container.mux(stream.encode())


def main() -> None:
    for name, (width, height) in SIZES.items():
        path = OUT / f"sample-{name}.mp4"
        write(path, width, height)
        print(f"{path}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
