"""The indexes care's search reads deliveries through, so an agent's search stays fast on a large table.

Care owns the search, so it owns these indexes on scheduling's delivery table; they are plain SQL because two
of them exist only on PostgreSQL and the model state need not know about any of them.

On both databases: the recipient's phone (a caller reads it out; compared exactly, in E.164).
On PostgreSQL only:
- btree indexes on `UPPER(order_ref)` and `UPPER(recipient_email)`, which serve an exact reference or email in
  any case (`iexact`; SQLite compares those with LIKE, which these could not serve);
- the extensions pg_trgm and unaccent (both "trusted": a database owner may create them);
- `care_search_key(name, postcode)`, an IMMUTABLE wrapper around unaccent (see care/search_key.py), and a
  trigram GIN index on it, which serves `LIKE '%moreau%'` for names and postcodes;
- a trigram GIN index on `UPPER(order_ref)`, which serves a partial reference (`icontains`).
On a busy production table, build the indexes by hand with CREATE INDEX CONCURRENTLY before migrating:
`IF NOT EXISTS` then skips them here.
"""

from django.db import migrations

BOTH = ["CREATE INDEX IF NOT EXISTS care_delivery_phone ON scheduling_delivery (recipient_phone)"]
BOTH_REVERSE = ["DROP INDEX IF EXISTS care_delivery_phone"]
POSTGRESQL_BTREE = [
    "CREATE INDEX IF NOT EXISTS care_delivery_order_ref_upper ON scheduling_delivery (UPPER(order_ref))",
    "CREATE INDEX IF NOT EXISTS care_delivery_email_upper ON scheduling_delivery (UPPER(recipient_email))",
]

SEARCH_KEY_FUNCTION = """
CREATE OR REPLACE FUNCTION care_search_key(name text, postcode text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT lower({unaccent}.unaccent('{unaccent}.unaccent'::regdictionary,
                                     name || ' ' || postcode || ' ' || replace(postcode, ' ', '')))
$$
"""


def _extension_schema(cursor, name: str) -> str:
    cursor.execute("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
                   "WHERE e.extname = %s", [name])
    return cursor.fetchone()[0]


def create(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for statement in BOTH:
            cursor.execute(statement)
        if connection.vendor != "postgresql":
            return
        for statement in POSTGRESQL_BTREE:
            cursor.execute(statement)
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        cursor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        # Qualified by the extensions' schema: an index must not depend on the search_path of whoever writes a row.
        unaccent = connection.ops.quote_name(_extension_schema(cursor, "unaccent"))
        trgm = connection.ops.quote_name(_extension_schema(cursor, "pg_trgm"))
        cursor.execute(SEARCH_KEY_FUNCTION.format(unaccent=unaccent))
        cursor.execute("CREATE INDEX IF NOT EXISTS care_delivery_search_key_trgm ON scheduling_delivery "
                       f"USING gin (care_search_key(recipient_name, address_postcode) {trgm}.gin_trgm_ops)")
        cursor.execute("CREATE INDEX IF NOT EXISTS care_delivery_order_ref_trgm ON scheduling_delivery "
                       f"USING gin (UPPER(order_ref) {trgm}.gin_trgm_ops)")


def drop(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for statement in BOTH_REVERSE:
            cursor.execute(statement)
        if connection.vendor != "postgresql":
            return
        # The extensions stay: something else may use them by now.
        cursor.execute("DROP INDEX IF EXISTS care_delivery_order_ref_upper")
        cursor.execute("DROP INDEX IF EXISTS care_delivery_email_upper")
        cursor.execute("DROP INDEX IF EXISTS care_delivery_search_key_trgm")
        cursor.execute("DROP INDEX IF EXISTS care_delivery_order_ref_trgm")
        cursor.execute("DROP FUNCTION IF EXISTS care_search_key(text, text)")


class Migration(migrations.Migration):
    dependencies = [
        ("care", "0004_care_searches"),
        ("scheduling", "0006_delivery_drop_choice"),
    ]

    operations = [migrations.RunPython(create, drop)]
