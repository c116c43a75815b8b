-- @role@: streaming replication only (the standby's WAL receiver and its pg_basebackup clone);
-- no database privileges, so it can read WAL but connect to no database.
SELECT format('CREATE ROLE %I', '@role@') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '@role@') \gexec
ALTER ROLE "@role@" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT REPLICATION NOBYPASSRLS CONNECTION LIMIT @connection_limit@ PASSWORD :'@password_variable@';
-- The standby's physical slot, reserving WAL from now on (bounded by max_slot_wal_keep_size).
SELECT count(pg_create_physical_replication_slot('@slot@', true)) AS slot_created
  FROM (SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = '@slot@')) AS missing \gset
