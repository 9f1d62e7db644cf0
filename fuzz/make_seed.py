#!/usr/bin/env python3
"""Writes one corpus file for a fuzz target that reads several strings.

The targets read their inputs with FuzzedDataProvider: every string but the
last with ConsumeRandomLengthString (a backslash is written doubled, and a
backslash followed by any other byte ends the string), the last with
ConsumeRemainingBytes (raw). Usage:

    fuzz/make_seed.py fuzz/corpus/py_regex/my-seed '(a|b)*$' '\\1' 'abab'

Arguments are taken as UTF-8 text; '@FILE' reads the argument from FILE.
"""
import sys


def arg_bytes(arg: str) -> bytes:
    if arg.startswith("@"):
        with open(arg[1:], "rb") as f:
            return f.read()
    return arg.encode("utf-8", "surrogateescape")


def encode(parts: list) -> bytes:
    out = b""
    for part in parts[:-1]:
        out += part.replace(b"\\", b"\\\\") + b"\\ "
    return out + parts[-1]


def main() -> None:
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    with open(sys.argv[1], "wb") as f:
        f.write(encode([arg_bytes(a) for a in sys.argv[2:]]))


if __name__ == "__main__":
    main()
