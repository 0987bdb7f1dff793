"""Exit 0 when a PostgreSQL server answers at the URL given, 1 otherwise."""

import sys

import psycopg

try:
    with psycopg.connect(sys.argv[1], connect_timeout=3) as conn:
        conn.execute("select 1")
except Exception:
    sys.exit(1)
