#!/usr/bin/env python3
"""wav_tone.py - what a real client recorded is the other side's tone.

wav_tone.py FILE HZ MIN_SECS [--window S] [--skip S]

FILE is a 16-bit mono PCM wav (the samples after "data": the header's
size is not trusted). It must hold >= MIN_SECS s of audio, and each whole
window of S seconds (default 10) after the first --skip seconds (default
0) must be loud (rms >= 1000) and the HZ tone (zero crossings within
5 %). Prints the figures; exits non-zero with the reason otherwise.
"""
import array
import struct
import sys


def main():
    args = sys.argv[1:]
    if len(args) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    name, hz, min_secs = args[0], float(args[1]), float(args[2])
    window = int(args[args.index("--window") + 1]) if "--window" in args else 10
    skip = int(args[args.index("--skip") + 1]) if "--skip" in args else 0
    raw = open(name, "rb").read()
    i, f = raw.find(b"data"), raw.find(b"fmt ")
    if raw[:4] != b"RIFF" or i < 0 or f < 0:
        sys.exit("%s: not a wav file" % name)
    fmt, channels, rate, _, _, bits = struct.unpack("<HHIIHH", raw[f + 8:f + 24])
    if fmt != 1 or channels != 1 or bits != 16:
        sys.exit("%s: format %d, %d channels, %d bits" % (name, fmt, channels, bits))
    a = array.array("h")
    a.frombytes(raw[i + 8:len(raw) - (len(raw) - i - 8) % 2])
    secs = len(a) / rate
    w = window * rate
    bad, stats = [], []
    for k in range(skip * rate, len(a) - w + 1, w):
        x = a[k:k + w]
        rms = (sum(v * v for v in x) / len(x)) ** 0.5
        freq = sum(1 for j in range(1, len(x)) if (x[j - 1] < 0) != (x[j] < 0)) / 2 / window
        stats.append((rms, freq))
        if rms < 1000 or abs(freq - hz) > hz * 0.05:
            bad.append("%d-%d s: rms %.0f, %.0f Hz" % (k // rate, (k + w) // rate, rms, freq))
    if stats:
        print("%.1f s at %d Hz, %d windows of %d s: rms %.0f-%.0f, %.0f-%.0f Hz" % (
            secs, rate, len(stats), window, min(r for r, _ in stats), max(r for r, _ in stats),
            min(q for _, q in stats), max(q for _, q in stats)))
    if secs < min_secs:
        sys.exit("%.1f s of audio, expected >= %.0f s" % (secs, min_secs))
    if bad:
        sys.exit("%d windows are not the %.0f Hz tone: %s" % (len(bad), hz, "; ".join(bad[:5])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
