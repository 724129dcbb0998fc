"""On SQLite, the index a search by name or postcode reads: the folded key of every delivery, in a trigram index.

PostgreSQL indexes `care_search_key(name, postcode)` itself (migration 0005). SQLite cannot index the substrings of
an expression, so care keeps a copy of each delivery's key beside the delivery table and lets SQLite's full-text
engine (FTS5, trigram tokenizer) index it: `key GLOB '*moreau*'` then reads the index, where it called the Python
fold on every delivery before. A word is found anywhere in the key, as on PostgreSQL.

1. `care_delivery_search_key` holds (id, delivery_id, key); its integer id, stable across VACUUM, is the row's id
   in the index `care_delivery_search` (an FTS5 table over it: "external content").
2. Triggers on scheduling's delivery table keep the keys right on every insert, update of the name or postcode,
   and delete, whoever writes (bulk inserts and raw updates included); triggers on the key table keep the index.
3. The triggers call `care_search_key`, which care registers on every connection Django opens (care.search_key):
   a row written by a connection without it (the sqlite3 shell) is refused rather than left out of the index.
4. Django rebuilds a table to alter it on SQLite, which drops its triggers: after every `migrate`, `install`
   puts back what is missing and, when triggers were missing, builds every key again.
"""

from __future__ import annotations

from care.search_key import SQL_FUNCTION

KEYS = "care_delivery_search_key"
INDEX = "care_delivery_search"
DELIVERIES = "scheduling_delivery"

TABLES = [
    f"CREATE TABLE IF NOT EXISTS {KEYS} (id INTEGER PRIMARY KEY, delivery_id TEXT NOT NULL UNIQUE, key TEXT NOT NULL)",
    # Keys are folded to lower case already: a case-sensitive index is the one GLOB can read.
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {INDEX} USING fts5(key, content='{KEYS}', content_rowid='id', "
    "tokenize='trigram case_sensitive 1')",
]
KEY = f"{SQL_FUNCTION}(NEW.recipient_name, NEW.address_postcode)"
TRIGGERS = {
    "care_delivery_search_key_ai": f"AFTER INSERT ON {DELIVERIES} BEGIN "
    f"INSERT INTO {KEYS} (delivery_id, key) VALUES (NEW.id, {KEY}) "
    "ON CONFLICT (delivery_id) DO UPDATE SET key = excluded.key; END",
    "care_delivery_search_key_au": f"AFTER UPDATE OF recipient_name, address_postcode ON {DELIVERIES} BEGIN "
    f"INSERT INTO {KEYS} (delivery_id, key) VALUES (NEW.id, {KEY}) "
    "ON CONFLICT (delivery_id) DO UPDATE SET key = excluded.key; END",
    "care_delivery_search_key_ad": f"AFTER DELETE ON {DELIVERIES} BEGIN "
    f"DELETE FROM {KEYS} WHERE delivery_id = OLD.id; END",
    "care_delivery_search_ai": f"AFTER INSERT ON {KEYS} BEGIN "
    f"INSERT INTO {INDEX} (rowid, key) VALUES (NEW.id, NEW.key); END",
    "care_delivery_search_ad": f"AFTER DELETE ON {KEYS} BEGIN "
    f"INSERT INTO {INDEX} ({INDEX}, rowid, key) VALUES ('delete', OLD.id, OLD.key); END",
    "care_delivery_search_au": f"AFTER UPDATE ON {KEYS} BEGIN "
    f"INSERT INTO {INDEX} ({INDEX}, rowid, key) VALUES ('delete', OLD.id, OLD.key); "
    f"INSERT INTO {INDEX} (rowid, key) VALUES (NEW.id, NEW.key); END",
}


def install(connection) -> bool:
    """Create the key table, its index and the triggers where missing; when a trigger was missing, build every key
    again (deliveries may have been written without it). True when the keys were built. SQLite only."""
    from django.db import transaction

    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        for statement in TABLES:
            cursor.execute(statement)
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name IN "
                       f"({', '.join(['%s'] * len(TRIGGERS))})", list(TRIGGERS))
        if {name for (name,) in cursor.fetchall()} == set(TRIGGERS):
            return False
        # Without the triggers while the keys are built: the index is built once at the end, not row by row.
        for name in TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        cursor.execute(f"DELETE FROM {KEYS}")
        cursor.execute(f"INSERT INTO {KEYS} (delivery_id, key) SELECT id, {SQL_FUNCTION}(recipient_name, "
                       f"address_postcode) FROM {DELIVERIES}")
        cursor.execute(f"INSERT INTO {INDEX} ({INDEX}) VALUES ('rebuild')")
        for name, body in TRIGGERS.items():
            cursor.execute(f"CREATE TRIGGER {name} {body}")
    return True


def uninstall(connection) -> None:
    with connection.cursor() as cursor:
        for name in TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        cursor.execute(f"DROP TABLE IF EXISTS {INDEX}")
        cursor.execute(f"DROP TABLE IF EXISTS {KEYS}")


def matching_sql(words: list[str]) -> tuple[str, list[str]]:
    """The ids of the deliveries whose key holds every word, as SQL and its parameters (words already folded).

    The index reads words of three letters or more (a trigram's length); shorter ones are tested on the keys it
    found, or on every key when no word is long enough (text compared in C: tens of milliseconds on 100,000). They
    never reach the index: SQLite 3.40's trigram index crashes the process on a short GLOB beside a long one.
    """
    long = [word for word in words if len(word) >= 3]
    short = [word for word in words if len(word) < 3]
    where = [f"id IN (SELECT rowid FROM {INDEX} WHERE {' AND '.join(['key GLOB %s'] * len(long))})"] if long else []
    where += ["key GLOB %s"] * len(short)
    return (f"SELECT delivery_id FROM {KEYS} WHERE {' AND '.join(where)}",
            [f"*{word}*" for word in [*long, *short]])


def install_after_migrate(sender, using, **kwargs) -> None:
    """post_migrate: on SQLite, put back what a table rebuild dropped."""
    from django.db import connections

    connection = connections[using]
    if connection.vendor == "sqlite":
        install(connection)
