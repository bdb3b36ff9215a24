#!/bin/bash
# Compare the current snapshots of two data directories table by table: every table as CSV
# (ecstat query --confidential), columns naming a run or snapshot and `received` (a run id)
# and `person_hash` (salted per data directory) dropped, the inbox prefix
# `sample_data/inbox/` removed from values, rows sorted; prints `same T` or `DIFFERENT T`.
# Used to check that a refactoring leaves every published table as it was:
#   compare_snapshots.sh OLD_BIN OLD_CHECKOUT OLD_DATA NEW_BIN NEW_CHECKOUT NEW_DATA
set -u
tables() { (cd "$2" && "$1" --data-dir "$3" tables --format csv | tail -n +2 | cut -d, -f1); }
dump() { (cd "$2" && "$1" --data-dir "$3" query --confidential --format csv "SELECT * FROM $4") | python3 -c '
import csv,sys
r=list(csv.reader(sys.stdin))
if not r: sys.exit()
h=r[0]; keep=[i for i,c in enumerate(h) if "run" not in c and "snapshot" not in c and c not in ("received","person_hash")]
print(",".join(h[i] for i in keep))
for row in sorted(",".join(x[i] for i in keep).replace("sample_data/inbox/","") for x in r[1:]): print(row)'; }
diff <(tables "$1" "$2" "$3" | sort) <(tables "$4" "$5" "$6" | sort) && echo "same tables"
for t in $(tables "$1" "$2" "$3"); do
  a=$(dump "$1" "$2" "$3" "$t" | sha256sum); b=$(dump "$4" "$5" "$6" "$t" | sha256sum)
  if [ "$a" = "$b" ]; then echo "same $t"; else echo "DIFFERENT $t"; fi
done
