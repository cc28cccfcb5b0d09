"""Make the speech workflow's test audio with espeak-ng (Debian package `espeak-ng`).

Run from the repository root: `.venv/bin/python examples/audio/make_test_audio.py`. It writes
hello-world.wav (22,050 Hz mono 16-bit, as espeak-ng speaks) and variants at other rates,
channel counts and sample widths, so the recogniser's input conversion is exercised. The voice and
speed are ones PocketSphinx's bundled English model transcribes exactly.
"""
import os
import subprocess
import wave
from array import array

HERE = os.path.dirname(os.path.abspath(__file__))
VOICE = ["-v", "en-us+m3", "-s", "120"]


def speak(text, path):
    subprocess.run(["espeak-ng", *VOICE, "-w", path, text], check=True)


def read(path):
    with wave.open(path) as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1
        samples = array("h")
        samples.frombytes(w.readframes(w.getnframes()))
        return w.getframerate(), samples.tolist()


def resample(samples, rate, target):
    step = rate / target
    out = []
    for i in range(int(len(samples) / step)):
        position = i * step
        j = int(position)
        frac = position - j
        nxt = samples[j + 1] if j + 1 < len(samples) else samples[j]
        out.append(int(samples[j] + (nxt - samples[j]) * frac))
    return out


def write(path, rate, channels, width, samples):
    with wave.open(path, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        frames = []
        for s in samples:
            for _ in range(channels):
                if width == 1:
                    frames.append(bytes([(s >> 8) + 128]))
                else:
                    frames.append(int(s).to_bytes(2, "little", signed=True))
        w.writeframes(b"".join(frames))


if __name__ == "__main__":
    base = os.path.join(HERE, "hello-world.wav")
    speak("hello world", base)
    rate, samples = read(base)
    write(os.path.join(HERE, "hello-world-44k-stereo.wav"), 44100, 2, 2, resample(samples, rate, 44100))
    write(os.path.join(HERE, "hello-world-16k-8bit.wav"), 16000, 1, 1, resample(samples, rate, 16000))
    for name in sorted(os.listdir(HERE)):
        if name.endswith(".wav"):
            print(name, os.path.getsize(os.path.join(HERE, name)), "bytes")
