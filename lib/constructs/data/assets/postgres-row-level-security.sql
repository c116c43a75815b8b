-- Row-level security: rows of tables with column @tenant_column@ in @tenant_schema_list@ are visible only to the tenant in @tenant_setting@.
-- The functions and the event trigger belong to the superuser: no login role can change them.
ALTER DATABASE :"dbname" SET @tenant_setting@ = '';
CREATE OR REPLACE FUNCTION public.current_tenant_id() RETURNS @tenant_type@
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $fn$ SELECT NULLIF(current_setting('@tenant_setting@', true), '')@tenant_cast@ $fn$;
COMMENT ON FUNCTION public.current_tenant_id() IS 'The tenant of the current transaction (setting @tenant_setting@); NULL when unset, so policies match no row.';
CREATE OR REPLACE FUNCTION public.enable_tenant_isolation(target regclass) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  col_type text;
  schema_name text;
BEGIN
  SELECT n.nspname INTO schema_name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = target;
  IF schema_name IS NULL OR NOT (schema_name = ANY (@tenant_schemas@)) THEN
    RAISE EXCEPTION 'enable_tenant_isolation: table % is not in a tenant schema (@tenant_schema_list@)', target;
  END IF;
  SELECT format_type(a.atttypid, a.atttypmod) INTO col_type FROM pg_attribute a
    WHERE a.attrelid = target AND a.attname = '@tenant_column@' AND a.attnum > 0 AND NOT a.attisdropped;
  IF col_type IS NULL THEN
    RAISE EXCEPTION 'enable_tenant_isolation: table % has no column @tenant_column@', target;
  END IF;
  IF col_type <> '@tenant_type@' THEN
    RAISE EXCEPTION 'table %: column @tenant_column@ is %, expected @tenant_type@ (the type of @tenant_setting@)', target, col_type;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = target AND polname = 'tenant_isolation') THEN
    EXECUTE format('CREATE POLICY tenant_isolation ON %s AS PERMISSIVE FOR ALL TO PUBLIC USING (%I = public.current_tenant_id()) WITH CHECK (%I = public.current_tenant_id())',
      target, '@tenant_column@', '@tenant_column@');
  END IF;
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY', target);
END
$fn$;
REVOKE ALL ON FUNCTION public.enable_tenant_isolation(regclass) FROM PUBLIC;
@owner_grant@
CREATE OR REPLACE FUNCTION public.tenant_isolation_on_ddl() RETURNS event_trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  rel regclass;
BEGIN
  FOR rel IN
    SELECT DISTINCT c.oid::regclass FROM pg_event_trigger_ddl_commands() d
      JOIN pg_class c ON d.classid = 'pg_class'::regclass AND c.oid = d.objid
      JOIN pg_namespace n ON n.oid = c.relnamespace
@tenant_tables@
      AND NOT (c.relrowsecurity AND c.relforcerowsecurity AND EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = 'tenant_isolation'))
  LOOP
    PERFORM public.enable_tenant_isolation(rel);
  END LOOP;
END
$fn$;
REVOKE ALL ON FUNCTION public.tenant_isolation_on_ddl() FROM PUBLIC;
DROP EVENT TRIGGER IF EXISTS tenant_isolation;
CREATE EVENT TRIGGER tenant_isolation ON ddl_command_end WHEN TAG IN ('CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO', 'ALTER TABLE')
  EXECUTE FUNCTION public.tenant_isolation_on_ddl();
DO $rls$
DECLARE
  rel regclass;
BEGIN
  FOR rel IN
    SELECT c.oid::regclass FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
@tenant_tables@
  LOOP
    PERFORM public.enable_tenant_isolation(rel);
  END LOOP;
END
$rls$;
