"""The full-text index over SearchDocument: a GIN-indexed tsvector on PostgreSQL, FTS5 on SQLite.

Both are built by the database from the segmented words the application writes into
knowledge_searchdocument (title_terms, tag_terms, body_terms), so they can never disagree
with it. NOTE for later migrations: SQLite rebuilds a table on most ALTERs, which drops
the triggers below; a migration that alters SearchDocument must create them again.
"""

from django.db import migrations

POSTGRES_FORWARD = [
    """
    ALTER TABLE knowledge_searchdocument ADD COLUMN document tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple'::regconfig, coalesce(title_terms, '')), 'A')
        || setweight(to_tsvector('simple'::regconfig, coalesce(tag_terms, '')), 'B')
        || setweight(to_tsvector('simple'::regconfig, coalesce(body_terms, '')), 'C')
    ) STORED
    """,
    "CREATE INDEX knowledge_searchdocument_document_gin ON knowledge_searchdocument USING gin (document)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS knowledge_searchdocument_document_gin",
    "ALTER TABLE knowledge_searchdocument DROP COLUMN IF EXISTS document",
]

_COLUMNS = "title_terms, tag_terms, body_terms"
_NEW = "new.id, new.title_terms, new.tag_terms, new.body_terms"
_OLD = "'delete', old.id, old.title_terms, old.tag_terms, old.body_terms"
SQLITE_FORWARD = [
    # External content: the words stay in knowledge_searchdocument, FTS5 keeps only its index.
    f"""
    CREATE VIRTUAL TABLE knowledge_search_fts USING fts5(
        {_COLUMNS}, content='knowledge_searchdocument', content_rowid='id',
        tokenize='unicode61 remove_diacritics 0'
    )
    """,
    f"""
    CREATE TRIGGER knowledge_search_fts_insert AFTER INSERT ON knowledge_searchdocument BEGIN
        INSERT INTO knowledge_search_fts(rowid, {_COLUMNS}) VALUES ({_NEW});
    END
    """,
    f"""
    CREATE TRIGGER knowledge_search_fts_delete AFTER DELETE ON knowledge_searchdocument BEGIN
        INSERT INTO knowledge_search_fts(knowledge_search_fts, rowid, {_COLUMNS}) VALUES ({_OLD});
    END
    """,
    f"""
    CREATE TRIGGER knowledge_search_fts_update AFTER UPDATE ON knowledge_searchdocument BEGIN
        INSERT INTO knowledge_search_fts(knowledge_search_fts, rowid, {_COLUMNS}) VALUES ({_OLD});
        INSERT INTO knowledge_search_fts(rowid, {_COLUMNS}) VALUES ({_NEW});
    END
    """,
    "INSERT INTO knowledge_search_fts(knowledge_search_fts) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS knowledge_search_fts_insert",
    "DROP TRIGGER IF EXISTS knowledge_search_fts_delete",
    "DROP TRIGGER IF EXISTS knowledge_search_fts_update",
    "DROP TABLE IF EXISTS knowledge_search_fts",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": POSTGRES_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        )
    ]
