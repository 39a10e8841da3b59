"""The header of the WAVs the SIP agent records, and its repair after a crash.

PJSIP's WAV writer puts the RIFF and data sizes into the header only when the
recorder is closed (and it closes it on its media clock thread, a moment after
the recorder object is dropped). After a crash or ``kill -9`` both sizes are
still 0, although the audio up to the crash (less at most a few hundred
milliseconds of buffers) is in the file. :func:`repair_wav` rewrites the two
sizes from the file length, which makes the file a valid WAV again without
touching a single sample.
"""
from __future__ import annotations

import os
import struct
from pathlib import Path


def header_complete(path: Path) -> bool:
    """The RIFF size in the header matches the file: its writer has closed it."""
    with path.open("rb") as handle:
        header = handle.read(12)
        size = os.fstat(handle.fileno()).st_size
    return len(header) == 12 and header[:4] == b"RIFF" and struct.unpack("<I", header[4:8])[0] == size - 8


class UnrepairableRecording(ValueError):
    """The file is not a WAV this module can repair (too short, or not RIFF/WAVE)."""


def repair_wav(path: Path) -> bool:
    """Make the header's sizes match the audio in the file; True if anything changed.

    A trailing partial sample frame is cut off so the data size is a whole number of frames.
    """
    with path.open("r+b") as handle:
        header = handle.read(12)
        if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"WAVE":
            raise UnrepairableRecording(f"{path.name} is not a RIFF/WAVE file")
        file_size = os.fstat(handle.fileno()).st_size
        block_align = 0
        offset = 12
        while offset + 8 <= file_size:
            handle.seek(offset)
            chunk_id, chunk_size = struct.unpack("<4sI", handle.read(8))
            if chunk_id == b"fmt ":
                handle.seek(offset + 8 + 12)
                (block_align,) = struct.unpack("<H", handle.read(2))
            elif chunk_id == b"data":
                break
            offset += 8 + chunk_size + (chunk_size & 1)
        else:
            raise UnrepairableRecording(f"{path.name} has no data chunk")
        if block_align <= 0:
            raise UnrepairableRecording(f"{path.name} has no usable fmt chunk")
        data_start = offset + 8
        data_size = (file_size - data_start) // block_align * block_align
        end = data_start + data_size
        riff_size = end - 8
        (old_riff,) = struct.unpack("<I", header[4:8])
        if old_riff == riff_size and chunk_size == data_size and end == file_size:
            return False
        handle.truncate(end)
        handle.seek(4)
        handle.write(struct.pack("<I", riff_size))
        handle.seek(offset + 4)
        handle.write(struct.pack("<I", data_size))
        handle.flush()
        os.fsync(handle.fileno())
    return True
