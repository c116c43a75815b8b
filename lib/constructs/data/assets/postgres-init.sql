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
@replication@
@schemas@
@grants@
@row_level_security@
@search_path@

COMMIT;

-- Re-read postgresql.conf, pg_hba.conf and the TLS certificate and key: a running server reads them
-- only at start and on reload, and cert-manager renews the certificate in the mounted Secret (the
-- reconcile CronJob runs this every 15 minutes, so a renewed certificate is served soon after).
SELECT pg_reload_conf() AS reloaded \gset
