# shellcheck shell=sh
# select_expired_keys PREFIX NAME_PREFIX CUTOFF KEEP_NAME < keys
select_expired_keys() {
  awk -v prefix="$1/" -v np="$2" -v cutoff="$3" -v keep="$4" '
# @include backup-name.awk
    index($0, prefix) == 1 {
      base = substr($0, length(prefix) + 1)
      if (base ~ /[.]sha256$/) base = substr(base, 1, length(base) - 7)
      if (!parse(base) || P_PREFIX != np || base == keep) next
      if (P_TS < cutoff) print $0
    }'
}

# select_latest_key PREFIX [NAME_PREFIX] < keys
select_latest_key() {
  awk -v prefix="$1/" -v np="${2:-}" '
# @include backup-name.awk
    { seen[$0] = 1; keys[NR] = $0 }
    END {
      best = ""; bestts = ""
      for (i = 1; i <= NR; i++) {
        k = keys[i]
        if (index(k, prefix) != 1) continue
        base = substr(k, length(prefix) + 1)
        if (!parse(base)) continue
        if (np != "" && P_PREFIX != np) continue
        if (!((k ".sha256") in seen)) continue
        if (P_TS > bestts || (P_TS == bestts && k > best)) { best = k; bestts = P_TS }
      }
      if (best != "") print best
    }'
}
