#!/bin/sh
# usage: help_test.sh BINARY NAME — BINARY --help exits 0 and prints "usage: NAME" (any case) first,
# then an options heading, and no heading written twice (as "optionsoptions:" once was).
set -u
out="$("$1" --help)" || { echo "$2 --help exited $?"; exit 1; }
printf '%s\n' "$out" | head -1 | grep -qi "^usage: $2" || { echo "first line is not the usage:"; printf '%s\n' "$out" | head -3; exit 1; }
printf '%s\n' "$out" | grep -q 'options:$' || { echo "no options heading"; exit 1; }
if printf '%s\n' "$out" | grep -q 'optionsoptions'; then echo "heading written twice"; exit 1; fi
exit 0
