"""The folded text a search by name or postcode runs against: lower case, accents off, postcode with and
without its space ("Héloïse Lefèvre 75011 75011", "Oliver Twist SW1A 1AA SW1A1AA" → "oliver twist sw1a 1aa sw1a1aa").

One rule with two implementations that must agree:

- `search_key` in Python: SQLite calls it as the SQL function `care_search_key` (registered on every new
  connection) whenever a delivery is written, to keep its trigram index of the keys (care.search_index), and a
  query is folded with `fold` before it is compared;
- the SQL function `care_search_key` on PostgreSQL, built on the unaccent extension and declared IMMUTABLE so a
  trigram index can be built on it (migration 0002 creates both). unaccent itself is only STABLE (its
  dictionary could change), which is why the index cannot be built on `lower(unaccent(...))` directly.
"""

from __future__ import annotations

import re
import unicodedata

from django.db.models import F, Func, TextField

SQL_FUNCTION = "care_search_key"
# Letters that unaccent spells out but Unicode does not decompose into a letter and an accent.
_SPELLED_OUT = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th",
                              "ı": "i"})
# A query longer than this in words is someone pasting a paragraph: the first words are enough to find a person.
MAX_WORDS = 6
WORD = re.compile(r"\w+")


# The combining accents of Latin, Greek and Cyrillic letters once decomposed (é → e + U+0301).
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def fold(text: str) -> str:
    """Lower case without accents: "Héloïse LEFÈVRE" → "heloise lefevre", "Cœur" → "coeur".

    SQLite calls it once per delivery written (and per delivery when its index is built again), so the common cases
    stay cheap: plain ASCII is only lowered, and accents go in one regular expression rather than a loop.
    """
    text = text.lower()
    if text.isascii():
        return text
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text)).translate(_SPELLED_OUT)


def search_key(name: str | None, postcode: str | None) -> str:
    name, postcode = name or "", postcode or ""
    return fold(f"{name} {postcode} {postcode.replace(' ', '')}")


def search_words(query: str) -> list[str]:
    """The folded words of a query, each to be found somewhere in the key: "Lefèvre, Héloïse" → lefevre, heloise."""
    return WORD.findall(fold(query))[:MAX_WORDS]


class SearchKey(Func):
    """`care_search_key(recipient_name, address_postcode)`: the expression PostgreSQL's trigram index is built on,
    written the same way here so the planner recognises it."""

    function = SQL_FUNCTION
    output_field = TextField()

    def __init__(self, name: str = "recipient_name", postcode: str = "address_postcode"):
        super().__init__(F(name), F(postcode))


def register_on_sqlite(sender, connection, **kwargs) -> None:
    """Give a new SQLite connection the function PostgreSQL gets from a migration (SQLite has no stored functions)."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(SQL_FUNCTION, 2, search_key, deterministic=True)
