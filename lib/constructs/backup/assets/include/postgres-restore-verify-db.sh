# shellcheck shell=bash
# shellcheck disable=SC2154 # name comes from postgres-restore-read.sh, schemas from postgres-restore-verify-dump.sh, safety from the including script
problems=0
while IFS= read -r schema; do
  [ -n "$schema" ] || continue
  found=$(psql -X --no-password -At -v ON_ERROR_STOP=1 -v schema="$schema" <<'SQL'
SELECT count(*) FROM pg_namespace WHERE quote_ident(nspname) = :'schema';
SQL
) || die "could not query pg_namespace"
  if [ "$found" = 1 ]; then log "schema $schema present"; else log "schema $schema MISSING"; problems=$((problems + 1)); fi
done <<< "$schemas"

if [ -n "$expected_rows" ]; then
  sql=
  while IFS=$'\t' read -r table rows; do
    [ -n "$table" ] || continue
    literal=$(printf '%s' "$table" | sed "s/'/''/g")
    sql="${sql}SELECT '$literal'::text, $rows::bigint, (SELECT count(*) FROM ONLY $table) UNION ALL "
  done <<< "$expected_rows"
  counts=$(printf '%s ORDER BY 1;\n' "${sql% UNION ALL }" | psql -X --no-password -At -F $'\t' -v ON_ERROR_STOP=1 -v VERBOSITY=terse) \
    || die "counting the rows of the restored tables failed"
  log "row counts (restored / in dump):"
  while IFS=$'\t' read -r table rows actual; do
    [ -n "$table" ] || continue
    if [ "$rows" = "$actual" ]; then
      log "  $table: $actual"
    else
      log "  $table: $actual, but the dump has $rows"
      problems=$((problems + 1))
    fi
  done <<< "$counts"
fi
[ "$problems" -eq 0 ] || die "verification found $problems problem(s) after restoring $name (safety dump: $BACKUP_DIR/$safety)"
psql -X --no-password --quiet -v ON_ERROR_STOP=1 -c 'ANALYZE;' > /dev/null || die "ANALYZE after the restore failed"
