"""name candidates in PostgreSQL functions with generic plans

The names read of every message (storage/repo/names.py) was planned anew each time: PostgreSQL's
`plan_cache_mode = auto` keeps custom plans for it, as the arrays' sizes make the generic plan look dearer, and
planning took ~0.4–1 ms against ~0.1–0.3 ms to run it (issue 12, 360° view). These functions hold that query with
`plan_cache_mode = force_generic_plan`, so it is planned once per connection; nothing else's plans change. Their
bodies are `storage.repo.names.candidates_function` at this revision (a test keeps them equal). SQLite: nothing.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 16:30:00
"""
from __future__ import annotations

from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

_ARGS = "m_alias text[], m_pinyin text[], w_alias text[], w_pinyin text[], grams text[], learned text[], guessed boolean"
_RETURNS = "RETURNS TABLE(customer_id integer, via text) LANGUAGE plpgsql STABLE ROWS 20"
_SETTINGS = "SET plan_cache_mode = force_generic_plan"

_FOR = """\
#variable_conflict use_column
BEGIN
    RETURN QUERY SELECT customer_id, 'm' AS via FROM customer_name_keys WHERE kind = 'a' AND key = ANY(CAST(m_alias AS TEXT[])) AND visible_to = ANY(CAST(audience AS INTEGER[])) UNION SELECT customer_id, 'm' FROM customer_name_keys WHERE kind = 'p' AND key = ANY(CAST(m_pinyin AS TEXT[])) AND visible_to = ANY(CAST(audience AS INTEGER[])) UNION SELECT customer_id, 'a' FROM customer_name_keys WHERE kind = 'a' AND key = ANY(CAST(w_alias AS TEXT[])) AND visible_to = ANY(CAST(audience AS INTEGER[])) UNION SELECT customer_id, 'a' FROM customer_name_keys WHERE kind = 'p' AND key = ANY(CAST(w_pinyin AS TEXT[])) AND visible_to = ANY(CAST(audience AS INTEGER[])) UNION SELECT customer_id, 'g' FROM (SELECT customer_id FROM customer_name_keys WHERE kind = 'g' AND key = ANY(CAST(grams AS TEXT[])) AND visible_to = ANY(CAST(audience AS INTEGER[])) AND NOT (CAST(guessed AS BOOLEAN) AND EXISTS (SELECT 1 FROM customer_name_keys WHERE kind = 'a' AND key = ANY(CAST(m_alias AS TEXT[])) AND visible_to = ANY(CAST(audience AS INTEGER[])) UNION ALL SELECT 1 FROM customer_name_keys WHERE kind = 'p' AND key = ANY(CAST(m_pinyin AS TEXT[])) AND visible_to = ANY(CAST(audience AS INTEGER[])))) GROUP BY customer_id ORDER BY count(*) DESC, customer_id LIMIT 64) top UNION SELECT customer_id, key FROM customer_name_keys WHERE kind = 'l' AND key = ANY(CAST(learned AS TEXT[])) AND visible_to = ANY(CAST(audience AS INTEGER[]));
END
"""

_EVERYONE = """\
#variable_conflict use_column
BEGIN
    RETURN QUERY SELECT customer_id, 'm' AS via FROM customer_name_keys WHERE kind = 'a' AND key = ANY(CAST(m_alias AS TEXT[])) UNION SELECT customer_id, 'm' FROM customer_name_keys WHERE kind = 'p' AND key = ANY(CAST(m_pinyin AS TEXT[])) UNION SELECT customer_id, 'a' FROM customer_name_keys WHERE kind = 'a' AND key = ANY(CAST(w_alias AS TEXT[])) UNION SELECT customer_id, 'a' FROM customer_name_keys WHERE kind = 'p' AND key = ANY(CAST(w_pinyin AS TEXT[])) UNION SELECT customer_id, 'g' FROM (SELECT customer_id FROM customer_name_keys WHERE kind = 'g' AND key = ANY(CAST(grams AS TEXT[])) AND NOT (CAST(guessed AS BOOLEAN) AND EXISTS (SELECT 1 FROM customer_name_keys WHERE kind = 'a' AND key = ANY(CAST(m_alias AS TEXT[])) UNION ALL SELECT 1 FROM customer_name_keys WHERE kind = 'p' AND key = ANY(CAST(m_pinyin AS TEXT[])))) GROUP BY customer_id ORDER BY count(*) DESC, customer_id LIMIT 64) top UNION SELECT customer_id, key FROM customer_name_keys WHERE kind = 'l' AND key = ANY(CAST(learned AS TEXT[]));
END
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"CREATE FUNCTION name_candidates_for(audience integer[], {_ARGS}) {_RETURNS} {_SETTINGS} AS $body$\n{_FOR}$body$")
    op.execute(f"CREATE FUNCTION name_candidates({_ARGS}) {_RETURNS} {_SETTINGS} AS $body$\n{_EVERYONE}$body$")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION name_candidates_for(integer[], text[], text[], text[], text[], text[], text[], boolean)")
    op.execute("DROP FUNCTION name_candidates(text[], text[], text[], text[], text[], text[], boolean)")
