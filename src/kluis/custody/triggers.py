"""Database triggers that refuse UPDATE and DELETE on the audit tables (AUD-2).

The triggers stop the application, an administrator's slip or a careless script from changing the
trail. They do not stop someone who owns the database and drops them first: that is what the hash
chain and the signed checkpoints are for. TRUNCATE on PostgreSQL fires no row triggers; a
truncated trail is found by `kluis audit verify` against the chain heads and checkpoints.
"""

from __future__ import annotations

from django.db.backends.base.schema import BaseDatabaseSchemaEditor

TABLES = ("custody_auditentry", "custody_checkpoint")

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION custody_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""


def create_sql(vendor: str) -> list[str]:
    if vendor == "postgresql":
        statements = [_PG_FUNCTION]
        for table in TABLES:
            statements.append(
                f"CREATE OR REPLACE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON "
                f"{table} FOR EACH ROW EXECUTE FUNCTION custody_refuse_change();"
            )
        return statements
    if vendor == "sqlite":
        statements = []
        for table in TABLES:
            for op in ("UPDATE", "DELETE"):
                statements.append(
                    f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: {op} on {table} "
                    "refused'); END;"
                )
        return statements
    raise NotImplementedError(f"no append-only triggers for {vendor}")


def drop_sql(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {t}_append_only ON {t};" for t in TABLES] + [
            "DROP FUNCTION IF EXISTS custody_refuse_change();"
        ]
    if vendor == "sqlite":
        return [
            f"DROP TRIGGER IF EXISTS {t}_no_{op};" for t in TABLES for op in ("update", "delete")
        ]
    raise NotImplementedError(f"no append-only triggers for {vendor}")


def create(schema_editor_or_connection) -> None:
    _run(schema_editor_or_connection, create_sql)


def drop(schema_editor_or_connection) -> None:
    _run(schema_editor_or_connection, drop_sql)


def _run(target, statements) -> None:
    connection = target.connection if isinstance(target, BaseDatabaseSchemaEditor) else target
    with connection.cursor() as cursor:
        for sql in statements(connection.vendor):
            cursor.execute(sql)
