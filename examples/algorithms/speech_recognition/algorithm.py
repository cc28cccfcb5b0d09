"""sphinx/SpeechRecognition: speech to text with CMU PocketSphinx, written with the official ADK.

Inputs:
- WAV bytes (any sample rate, any channel count, 8/16/24/32-bit PCM): returns the transcript text.
- {"inputUrl": <data, connector or http(s) URI of a WAV>, "outputFile": <URI>}: writes
  {"transcript": ..., "source": ...} as JSON to outputFile and returns {"output": outputFile}.
"""
import io
import json
import struct
import wave
from array import array

import Algorithmia
from adk import ADK
from pocketsphinx import Decoder

RATE = 16000


class InputError(Exception):
    error_type = "InputError"


def samples_of(raw, width):
    """PCM frames as a list of ints (signed), whatever the sample width."""
    if width == 1:
        return [b - 128 for b in raw]
    if width == 2:
        values = array("h")
        values.frombytes(raw)
        return values.tolist()
    if width == 3:
        return [int.from_bytes(raw[i:i + 3], "little", signed=True) >> 8 for i in range(0, len(raw) - 2, 3)]
    if width == 4:
        values = array("i")
        values.frombytes(raw)
        return [v >> 16 for v in values]
    raise InputError("unsupported sample width: %d bytes" % width)


def to_pcm16_mono_16k(wav_bytes):
    """Decode a WAV and return 16 kHz mono 16-bit PCM bytes."""
    try:
        with wave.open(io.BytesIO(wav_bytes)) as w:
            channels, width, rate = w.getnchannels(), w.getsampwidth(), w.getframerate()
            raw = w.readframes(w.getnframes())
    except (wave.Error, EOFError, struct.error) as e:
        raise InputError("the input is not a PCM WAV file: %s" % e)
    samples = samples_of(raw, width)
    if width == 1:
        samples = [s << 8 for s in samples]
    if channels > 1:
        samples = [sum(samples[i:i + channels]) // channels for i in range(0, len(samples) - channels + 1, channels)]
    if rate != RATE and samples:
        step = rate / RATE
        count = int(len(samples) / step)
        resampled = []
        for i in range(count):
            position = i * step
            j = int(position)
            frac = position - j
            nxt = samples[j + 1] if j + 1 < len(samples) else samples[j]
            resampled.append(int(samples[j] + (nxt - samples[j]) * frac))
        samples = resampled
    clipped = array("h", (max(-32768, min(32767, s)) for s in samples))
    return clipped.tobytes()


def transcribe(wav_bytes):
    pcm = to_pcm16_mono_16k(wav_bytes)
    decoder = Decoder(samprate=RATE)
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()
    hypothesis = decoder.hyp()
    return hypothesis.hypstr if hypothesis else ""


def load():
    return Algorithmia.client()


def apply(input, client):
    if isinstance(input, (bytes, bytearray)):
        return transcribe(bytes(input))
    if isinstance(input, dict) and "inputUrl" in input and "outputFile" in input:
        try:
            audio = client.file(input["inputUrl"]).getBytes()
        except Exception as e:
            raise InputError("could not read %s: %s" % (input["inputUrl"], e))
        transcript = transcribe(audio)
        client.file(input["outputFile"]).putJson({"transcript": transcript, "source": input["inputUrl"]})
        return {"output": input["outputFile"]}
    raise InputError('send WAV bytes, or {"inputUrl": ..., "outputFile": ...}')


algorithm = ADK(apply, load)
algorithm.init()
