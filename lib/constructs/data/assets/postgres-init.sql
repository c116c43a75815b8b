-- Rendered from lib/constructs/data/assets/postgres-init.sql by renderInitSql; edit the asset, not this output.
-- Keep passwords out of error output, the server log and pg_stat_statements.
\set VERBOSITY terse
\set SHOW_CONTEXT never
SET log_statement = 'none';
SET log_min_error_statement = 'panic';
SET log_min_duration_statement = -1;
SET log_min_duration_sample = -1;
SET pg_stat_statements.track_utility = off;
SET password_encryption = 'scram-sha-256';
SET client_min_messages = 'warning';
BEGIN;
@superuser_check@

-- Nothing for PUBLIC: every role gets exactly what its access level says.
REVOKE CONNECT, TEMPORARY ON DATABASE :"dbname" FROM PUBLIC;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
@extensions@
@roles@
@schemas@
@grants@
@row_level_security@
@search_path@

COMMIT;
