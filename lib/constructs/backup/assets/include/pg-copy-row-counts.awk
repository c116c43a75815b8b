/^COPY .* FROM stdin;$/ { t = $0; sub(/^COPY /, "", t); sub(/ FROM stdin;$/, "", t); sub(/ [(].*[)]$/, "", t); n = 0; incopy = 1; next }
incopy && $0 == "\\." { print t "\t" n; incopy = 0; next }
incopy { n++ }
