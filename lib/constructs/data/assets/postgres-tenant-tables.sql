    WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY (@tenant_schemas@)
      AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = '@tenant_column@' AND a.attnum > 0 AND NOT a.attisdropped)
