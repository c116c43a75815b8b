SELECT format('CREATE ROLE %I', '@role@') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '@role@') \gexec
ALTER ROLE "@role@" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT NOREPLICATION NOBYPASSRLS CONNECTION LIMIT @connection_limit@ PASSWORD :'@password_variable@';
GRANT @database_privileges@ ON DATABASE :"dbname" TO "@role@";
