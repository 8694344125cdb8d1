"""Slugs derived from names."""

from __future__ import annotations

import re
import unicodedata


def slugify(name: str, max_length: int = 48) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:max_length].strip("-")
    return slug or "x"
