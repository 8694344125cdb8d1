"""Blank and trim as the original (JavaScript) services mean them.

JSON Schema patterns are ECMA-262 regular expressions, where ``\\s`` is JavaScript's
whitespace; Python's ``\\s`` and ``str.strip()`` also treat U+001C–U+001F and U+0085 as space
and do not treat U+FEFF as space. A field "non-empty after trim" therefore uses one explicit
character class, the same in both dialects, and handlers trim with the same set.
"""

from __future__ import annotations

# String.prototype.trim: WhiteSpace (TAB, VT, FF, SP, NBSP, ZWNBSP, Zs) and LineTerminator
JS_WHITESPACE = ("\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
                 "\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff")

# "contains a character JavaScript's trim keeps", written so ECMA and Python read it alike
NON_BLANK_PATTERN = r"[^\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]"


def trim(text: str) -> str:
    return text.strip(JS_WHITESPACE)


def is_blank(text) -> bool:
    return not isinstance(text, str) or not trim(text)
