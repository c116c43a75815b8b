    function parse(name,    stem) {
      P_PREFIX = ""; P_TS = ""; P_EXT = ""
@backup_extension_branches@
      else return 0
      if (length(stem) < 18) return 0
      if (substr(stem, length(stem) - 16, 1) != "-") return 0
      P_TS = substr(stem, length(stem) - 15)
      P_PREFIX = substr(stem, 1, length(stem) - 17)
      if (P_TS !~ /^[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z$/) return 0
      if (P_PREFIX !~ /^[A-Za-z0-9][A-Za-z0-9._-]*$/) return 0
      return 1
    }
