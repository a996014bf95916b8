#!/bin/sh
# npm run gen: every generator of tests/ts, run at once (each is one node
# process, mostly starting up), into gen/ and zodios/gen/. A failure prints
# that generator's output and fails the script.
set -u
cd "$(dirname "$0")"
bin=node_modules/.bin
logs=$(mktemp -d)
mkdir -p zodios/gen
"$bin/openapi-typescript" ../../api/openapi.yaml -o gen/schema.d.ts > "$logs/openapi-typescript" 2>&1 &
p1=$!
"$bin/openapi-ts" > "$logs/openapi-ts" 2>&1 &
p2=$!
"$bin/kubb" generate --config kubb.config.js --silent > "$logs/kubb" 2>&1 &
p3=$!
"$bin/openapi-zod-client" ../../api/openapi-3.1.yaml -o zodios/gen/client.ts --export-schemas > "$logs/openapi-zod-client" 2>&1 &
p4=$!
"$bin/orval" --config orval.config.js > "$logs/orval" 2>&1 &
p5=$!
failed=0
for job in "openapi-typescript $p1" "openapi-ts $p2" "kubb $p3" "openapi-zod-client $p4" "orval $p5"; do
  set -- $job
  if ! wait "$2"; then
    echo "$1 failed:"; cat "$logs/$1"; failed=1
  fi
done
rm -rf "$logs"
exit $failed
