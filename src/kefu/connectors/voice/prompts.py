"""Recorded prompts (语音提示): espeak-ng reads the text once, the WAV is cached in the data dir.

Prompts are stored as telephone audio — 8 kHz, mono, 16-bit WAV — named by a hash of the text,
so the menu's prompts are generated on the first call and queue announcements ("您前面还有3位")
once per distinct sentence.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
import threading
import wave
from pathlib import Path

from django.conf import settings

SAMPLE_RATE = 8000
VOICE = "cmn"  # espeak-ng's Mandarin
_lock = threading.Lock()


class PromptError(RuntimeError):
    """espeak-ng is missing or could not read the text."""


def prompt_dir() -> Path:
    path = Path(settings.KEFU_VOICE_PROMPT_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def prompt_path(text: str) -> Path:
    """The cached 8 kHz WAV of `text`, generated with espeak-ng the first time."""
    digest = hashlib.sha256(f"{VOICE}:{text}".encode()).hexdigest()[:24]
    path = prompt_dir() / f"{digest}.wav"
    if path.exists():
        return path
    with _lock:
        if not path.exists():
            _generate(text, path)
    return path


def _generate(text: str, path: Path) -> None:
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise PromptError("espeak-ng is not installed (Debian: apt-get install espeak-ng)")
    with tempfile.TemporaryDirectory() as scratch:
        spoken = Path(scratch) / "spoken.wav"
        result = subprocess.run(  # noqa: S603 — a fixed program, the text is one argument
            [espeak, "-v", VOICE, "-w", str(spoken), text], capture_output=True, timeout=60, check=False
        )
        if result.returncode != 0 or not spoken.exists():
            raise PromptError(f"espeak-ng failed: {result.stderr.decode(errors='replace')[:200]}")
        frames, rate, width = _read(spoken)
        telephone = _resample(frames, width, rate)
        partial = path.with_suffix(".part")
        with wave.open(str(partial), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(SAMPLE_RATE)
            out.writeframes(telephone)
        partial.replace(path)  # readers never see half a prompt


def _read(path: Path) -> tuple[bytes, int, int]:
    with wave.open(str(path), "rb") as source:
        if source.getnchannels() != 1:
            raise PromptError("espeak-ng wrote a stereo prompt")
        return source.readframes(source.getnframes()), source.getframerate(), source.getsampwidth()


def _resample(frames: bytes, width: int, rate: int) -> bytes:
    """16-bit samples at 8 kHz (espeak-ng speaks at 22 050 Hz): linear interpolation."""
    import array

    if width != 2:
        raise PromptError("espeak-ng wrote other than 16-bit samples")
    samples = array.array("h")
    samples.frombytes(frames)
    count = len(samples) * SAMPLE_RATE // rate
    out = array.array("h", bytes(2 * count))
    step = rate / SAMPLE_RATE
    for index in range(count):
        position = index * step
        left = int(position)
        right = min(left + 1, len(samples) - 1)
        fraction = position - left
        out[index] = int(samples[left] * (1 - fraction) + samples[right] * fraction)
    return out.tobytes()


def telephone_audio(text: str) -> bytes:
    """The prompt's 16-bit 8 kHz samples (generated and cached as needed)."""
    frames, _rate, _width = _read(prompt_path(text))
    return frames


def unsigned_8bit(frames: bytes) -> bytes:
    """16-bit signed samples → 8-bit unsigned, what pyVoIP's RTP writer expects."""
    return bytes(((frames[index + 1] ^ 0x80) & 0xFF) for index in range(0, len(frames) - 1, 2))
