"""The words of Go's encoding/json for malformed JSON, which kube-apiserver passes on in its 400
answers ("invalid character 'x' after object key", "unexpected end of JSON input"). Pure.

A byte-at-a-time scanner with the states of Go's encoding/json/scanner.go: it only finds the first
syntax error and names it as Go does; decoding stays with the real codec.
"""

from __future__ import annotations

import unicodedata

_SPACE = b" \t\r\n"
_DIGITS = b"0123456789"
_HEX = b"0123456789abcdefABCDEF"
_ESCAPES = b'bfnrt\\/"'
_END = "unexpected end of JSON input"


class _Syntax(Exception):
    pass


def _quote_char(c: int) -> str:
    """Go's quoteChar: the byte as a rune, quoted as strconv.Quote quotes it."""
    if c == ord("'"):
        return "'\\''"
    if c == ord('"'):
        return "'\"'"
    ch = chr(c)
    named = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}
    if ch == "\\":
        text = "\\\\"
    elif ch in named:
        text = named[ch]
    elif ch == " " or (ch.isprintable() and unicodedata.category(ch) != "Zs"):
        text = ch
    elif c < 0x20 or c == 0x7F:
        text = f"\\x{c:02x}"
    else:
        text = f"\\u{c:04x}"
    return f"'{text}'"


def _bad(c: int, context: str) -> _Syntax:
    return _Syntax(f"invalid character {_quote_char(c)} {context}")


class _Scanner:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.i = 0
        self.stack: list[str] = []  # "key" (object, expecting a key's colon) / "value" / "array"

    def peek(self) -> int | None:
        return self.data[self.i] if self.i < len(self.data) else None

    def next(self, space_at_end: bool = False) -> int:
        """The next byte; at the end Go's scanner steps once more with a space, which is an error
        only where a value cannot end (`space_at_end`: inside a literal, number or escape)."""
        c = self.peek()
        if c is None:
            if space_at_end:
                return ord(" ")
            raise _Syntax(_END)
        self.i += 1
        return c

    def skip_space(self) -> None:
        while (c := self.peek()) is not None and c in _SPACE:
            self.i += 1

    def value(self) -> None:
        self.skip_space()
        c = self.next()
        if c == ord("{"):
            self.object()
        elif c == ord("["):
            self.array()
        elif c == ord('"'):
            self.string()
        elif c == ord("-") or c in _DIGITS:
            self.number(c)
        elif c in b"tfn":
            word = {ord("t"): b"true", ord("f"): b"false", ord("n"): b"null"}[c]
            for expected in word[1:]:
                got = self.next(space_at_end=True)
                if got != expected:
                    raise _bad(got, f"in literal {word.decode()} (expecting {_quote_char(expected)})")
        else:
            raise _bad(c, "looking for beginning of value")

    def object(self) -> None:
        self.skip_space()
        if self.peek() == ord("}"):
            self.i += 1
            return
        while True:
            self.skip_space()
            c = self.next()
            if c != ord('"'):
                raise _bad(c, "looking for beginning of object key string")
            self.string()
            self.skip_space()
            c = self.next()
            if c != ord(":"):
                raise _bad(c, "after object key")
            self.value()
            self.skip_space()
            c = self.next()
            if c == ord("}"):
                return
            if c != ord(","):
                raise _bad(c, "after object key:value pair")

    def array(self) -> None:
        self.skip_space()
        if self.peek() == ord("]"):
            self.i += 1
            return
        while True:
            self.value()
            self.skip_space()
            c = self.next()
            if c == ord("]"):
                return
            if c != ord(","):
                raise _bad(c, "after array element")

    def string(self) -> None:
        while True:
            c = self.next()
            if c == ord('"'):
                return
            if c == ord("\\"):
                e = self.next(space_at_end=True)
                if e == ord("u"):
                    for _ in range(4):
                        h = self.next(space_at_end=True)
                        if h not in _HEX:
                            raise _bad(h, "in \\u hexadecimal character escape")
                elif e not in _ESCAPES:
                    raise _bad(e, "in string escape code")
            elif c < 0x20:
                raise _bad(c, "in string literal")

    def digits(self) -> None:
        while (c := self.peek()) is not None and c in _DIGITS:
            self.i += 1

    def number(self, first: int) -> None:
        if first == ord("-"):
            first = self.next(space_at_end=True)
            if first not in _DIGITS:
                raise _bad(first, "in numeric literal")
        if first != ord("0"):
            self.digits()
        if self.peek() == ord("."):
            self.i += 1
            c = self.next(space_at_end=True)
            if c not in _DIGITS:
                raise _bad(c, "after decimal point in numeric literal")
            self.digits()
        if self.peek() in (ord("e"), ord("E")):
            self.i += 1
            c = self.next(space_at_end=True)
            if c in b"+-":
                c = self.next(space_at_end=True)
            if c not in _DIGITS:
                raise _bad(c, "in exponent of numeric literal")
            self.digits()


def syntax_error(data: bytes) -> str | None:
    """Go's message for the first syntax error in `data`, or None when it is well-formed JSON."""
    scanner = _Scanner(data)
    try:
        scanner.value()
        scanner.skip_space()
        c = scanner.peek()
        if c is not None:
            raise _bad(c, "after top-level value")
    except _Syntax as e:
        return str(e)
    except RecursionError:
        return None  # nested past Python's stack: the codec's own depth limit answers
    return None


def summary(data: bytes, limit: int = 30) -> str:
    """kube-apiserver's summarizeData: an object's first bytes as text, anything else in hex."""
    if not data:
        return "<empty>"
    cut = data[:limit]
    more = " ..." if len(data) > limit else ""
    if data[:1] == b"{":
        return cut.decode("utf-8", "replace") + more
    return cut.hex() + more
