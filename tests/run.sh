#!/bin/bash
# Run every test against one build tree and print "N passed, N failed".
#
#   tests/run.sh build/release [FILTER]
#
# Unit tests are cmocka binaries (each test case counts); every fuzz target's
# seed corpus is replayed (one count per target); integration tests are the
# executable scripts in tests/integration/ (exit 0 pass, 77 skip, else fail).
# Logs of failing runs are kept under BUILD/test-logs/.
set -u
BUILD=${1:?usage: tests/run.sh BUILD_DIR [FILTER]}
FILTER=${2:-}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
LOGS=$BUILD/test-logs
rm -rf "$LOGS"
mkdir -p "$LOGS"
export EV_BUILD=$ROOT/$BUILD EV_ROOT=$ROOT
pass=0 fail=0 skip=0
failed_names=()

record() { # name status(0 pass, 77 skip, else fail)
	case $2 in
	0) pass=$((pass + 1)) ;;
	77) skip=$((skip + 1)); echo "SKIP $1" ;;
	*) fail=$((fail + 1)); failed_names+=("$1"); echo "FAIL $1" ;;
	esac
}

want() { [ -z "$FILTER" ] || [[ $1 == *"$FILTER"* ]]; }

for t in "$BUILD"/tests/unit/test_*; do
	[ -x "$t" ] || continue
	case $t in *.o | *.d) continue ;; esac
	name=$(basename "$t")
	want "$name" || continue
	log=$LOGS/$name.log
	(cd tests/data && "$ROOT/$t") >"$log" 2>&1
	rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
	p=${p:-0} f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi # crashed before its summary
	pass=$((pass + p))
	fail=$((fail + f))
	if [ "$f" -ne 0 ]; then
		failed_names+=("$name")
		echo "FAIL $name ($f failed, see $log)"
		grep -E '^\[  (FAILED|  ERROR) \]|error:|Failure' "$log" | head -20
	else
		echo "ok   $name ($p)"
	fi
done

for t in "$BUILD"/tests/fuzz/replay_*; do
	[ -x "$t" ] || continue
	case $t in *.o | *.d) continue ;; esac
	name=${t##*/replay_}
	want "fuzz-$name" || continue
	corpus=tests/fuzz/corpus/$name
	if [ ! -d "$corpus" ]; then
		record "fuzz-$name (no corpus at $corpus)" 1
		continue
	fi
	"$t" "$corpus" >"$LOGS/replay_$name.log" 2>&1
	rc=$?
	record "corpus replay $name" $rc
	[ $rc -eq 0 ] && echo "ok   corpus replay $name ($(ls "$corpus" | wc -l) inputs)"
done

for t in tests/integration/*; do
	[ -f "$t" ] && [ -x "$t" ] || continue
	name=$(basename "$t")
	want "$name" || continue
	log=$LOGS/$name.log
	start=$(date +%s)
	"$t" >"$log" 2>&1
	rc=$?
	# A script that counts its own cases ends with "N passed, N failed".
	summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
	if [ -n "$summary" ] && [ $rc -ne 77 ]; then
		p=${summary%% passed*}
		f=${summary#*passed, }
		f=${f%% failed*}
		[ $rc -ne 0 ] && [ "$f" -eq 0 ] && f=1
		pass=$((pass + p))
		fail=$((fail + f))
		if [ "$f" -ne 0 ]; then
			failed_names+=("$name")
			echo "FAIL $name ($f failed, see $log)"
			grep -E '^FAIL' "$log" | head -20
			tail -15 "$log"
		else
			echo "ok   $name ($p, $(($(date +%s) - start)) s)"
		fi
		continue
	fi
	record "$name" $rc
	if [ $rc -eq 0 ]; then
		echo "ok   $name ($(($(date +%s) - start)) s)"
	elif [ $rc -ne 77 ]; then
		tail -30 "$log"
	fi
done

if [ ${#failed_names[@]} -gt 0 ]; then
	echo "failed: ${failed_names[*]}"
fi
if [ $skip -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ $fail -eq 0 ]
