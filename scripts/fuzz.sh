#!/bin/bash
# Run each libFuzzer target for SECONDS, starting from (and adding to) a copy
# of its seed corpus.  Prints one line per target with the executions made.
#   scripts/fuzz.sh BUILD_DIR SECONDS NAME...
set -u
dir=$1 secs=$2
shift 2
status=0
mkdir -p "$dir/work"
for name in "$@"; do
	work=$dir/work/$name
	mkdir -p "$work" "$dir/artifacts/$name"
	cp -n tests/fuzz/corpus/"$name"/* "$work"/ 2>/dev/null || true
	log=$dir/$name.log
	"$dir/fuzz_$name" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$dir/artifacts/$name/" "$work" >"$log" 2>&1
	rc=$?
	execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
	[ -z "$execs" ] && execs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
	if [ $rc -eq 0 ]; then
		printf '%-16s ok      %12s executions in %s s\n' "$name" "${execs:-?}" "$secs"
	else
		printf '%-16s FINDING (exit %d), see %s\n' "$name" $rc "$log"
		status=1
	fi
done
exit $status
