#!/usr/bin/env bash
# Installs the pinned local service toolchain (Temporal CLI dev server, FerretDB, Mailpit) into a
# per-user cache outside the clone, so fresh clones and CI reuse the binaries. Idempotent: a tool whose
# pinned binary is already cached is skipped in milliseconds.
set -euo pipefail

CACHE_DIR="${GREENLINK_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/greenlink}"
BIN_DIR="$CACHE_DIR/bin"
mkdir -p "$BIN_DIR"

ROOT="$(cd "$(dirname "$0")/.." && pwd)"

# name | Go module path of the main package | pinned version | fallbacks (nearest older first)
# FerretDB is built from stack/ferretdb (a small main over its embeddable package, pinned in go.mod; the
# "-glN" suffix is the wrapper's own revision, bumped when its code changes so caches rebuild):
# `go install`ing its own cmd panics for lack of a generated version file.
TOOLS=(
  "temporal|github.com/temporalio/cli/cmd/temporal|v1.5.1|v1.5.0 v1.4.1"
  "ferretdb|stack/ferretdb|v1.24.2-gl2|"
  "mailpit|github.com/axllent/mailpit|v1.27.11|v1.27.10 v1.27.9"
  "temporal-test-server|maven:io.temporal:temporal-test-server|1.38.0|1.37.0"
  "schemathesis|pypi:schemathesis|4.32.5|4.32.4"
)

say() { printf '[services] %s\n' "$*"; }

need_go() {
  if ! command -v go >/dev/null 2>&1; then
    say "ERROR: Go is not installed, and it is needed once to build the local services."
    say "       Install Go 1.23+ (e.g. 'apt-get install golang' or https://go.dev/dl), then run this again."
    say "       Or point Greenlink at running services: TEMPORAL_ADDRESS, MONGODB_URI, SMTP_URL."
    exit 3
  fi
}

build() { # build NAME MODULE VERSION -> 0 on success
  local name=$1 module=$2 version=$3 tmp ok=0
  tmp=$(mktemp -d)
  local started=$SECONDS
  # A heartbeat while Go compiles or Maven downloads, so a multi-minute first build never looks stuck.
  ( while sleep 15; do say "  ... still working on $name ($((SECONDS - started))s elapsed)"; done ) &
  local ticker=$!
  if [[ $module == maven:* ]]; then
    build_maven "$name" "${module#maven:}" "$version" "$tmp" || ok=1
  elif [[ $module == pypi:* ]]; then
    build_pypi "$name" "${module#pypi:}" "$version" "$tmp" || ok=1
  else
    local cmd=(go install -trimpath "$module@$version")
    # A folder of this repository: its go.mod pins the version.
    [[ $module == stack/* ]] && cmd=(bash -c "cd '$ROOT/$module' && go build -buildvcs=false -trimpath -o '$tmp/$name' .")
    say "building $name $version with $(go version | awk '{print $3}'): ${cmd[*]}"
    if GOBIN="$tmp" CGO_ENABLED=0 "${cmd[@]}" >"$tmp/build.log" 2>&1; then
      mv "$tmp/$name" "$BIN_DIR/$name-$version"
      say "built $name $version in $((SECONDS - started))s -> $BIN_DIR/$name-$version"
    else
      ok=1
      say "build of $name $version failed; last lines:"
      tail -n 8 "$tmp/build.log" | sed 's/^/[services]   /'
    fi
  fi
  kill "$ticker" 2>/dev/null; wait "$ticker" 2>/dev/null || true
  rm -rf "$tmp"
  return $ok
}

# The Java time-skipping test server (tests of days-long timers run in seconds): its jars from Maven Central
# into $BIN_DIR/<name>-<version>.d/lib, started by the wrapper $BIN_DIR/<name>-<version>, which `exec`s java
# (the SDK stops the server by killing that pid).
build_maven() {
  local name=$1 coords=$2 version=$3 tmp=$4
  if ! command -v mvn >/dev/null 2>&1 || ! command -v java >/dev/null 2>&1; then
    say "ERROR: Java 17+ and Maven are needed once to fetch $name (apt-get install openjdk-17-jdk-headless maven)."
    return 1
  fi
  local group=${coords%%:*} artifact=${coords#*:}
  say "fetching $name $version and its dependencies from Maven Central (mvn dependency:copy-dependencies)"
  cat >"$tmp/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>greenlink.local</groupId><artifactId>$name-fetch</artifactId><version>1</version><packaging>pom</packaging>
<dependencies><dependency><groupId>$group</groupId><artifactId>$artifact</artifactId><version>$version</version></dependency></dependencies>
</project>
POM
  local dest="$BIN_DIR/$name-$version.d"
  if ! (cd "$tmp" && mvn -q -B dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp/lib") >"$tmp/build.log" 2>&1; then
    say "fetch of $name $version failed; last lines:"
    tail -n 8 "$tmp/build.log" | sed 's/^/[services]   /'
    return 1
  fi
  rm -rf "$dest" && mkdir -p "$dest" && mv "$tmp/lib" "$dest/lib"
  printf '#!/usr/bin/env bash\nexec java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp "%s/lib/*" io.temporal.testserver.TestServer "$@"\n' "$dest" >"$BIN_DIR/$name-$version"
  chmod +x "$BIN_DIR/$name-$version"
  say "fetched $name $version -> $dest"
}

# Schemathesis (the API fuzzer the OpenAPI test runs) into its own virtualenv; $BIN_DIR/<name>-<version> runs it.
build_pypi() {
  local name=$1 package=$2 version=$3 tmp=$4
  # Python 3.12+ preferred: on 3.11 Hypothesis (under schemathesis) trips over a CPython AST bug in its
  # coverage phase ("AST constructor recursion depth mismatch").
  local python="" candidate
  for candidate in python3.13 python3.12 "$(pyenv root 2>/dev/null)"/versions/3.1[2-9]*/bin/python3 python3; do
    if "$candidate" -c 'import sys, venv; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then python=$candidate; break; fi
  done
  if [ -z "$python" ] && python3 -c 'import venv' >/dev/null 2>&1; then
    python=python3
    say "WARNING: no Python 3.12+ found; using $(python3 --version), whose AST bug can break schemathesis' coverage phase"
  fi
  if [ -z "$python" ]; then
    say "ERROR: Python 3.12+ with venv is needed once to install $name (apt-get install python3-venv)."
    return 1
  fi
  local dest="$BIN_DIR/$name-$version.d"
  say "installing $package==$version from PyPI into $dest with $("$python" --version)"
  rm -rf "$dest"
  if ! { "$python" -m venv "$dest" && "$dest/bin/pip" install -q --disable-pip-version-check "$package==$version"; } >"$tmp/build.log" 2>&1; then
    say "install of $name $version failed; last lines:"
    tail -n 8 "$tmp/build.log" | sed 's/^/[services]   /'
    return 1
  fi
  printf '#!/usr/bin/env bash\nexec "%s/bin/st" "$@"\n' "$dest" >"$BIN_DIR/$name-$version"
  chmod +x "$BIN_DIR/$name-$version"
  say "installed $name $version -> $dest"
}

wanted="${*:-temporal ferretdb mailpit temporal-test-server schemathesis}"
for row in "${TOOLS[@]}"; do
  IFS='|' read -r name module version fallbacks <<<"$row"
  [[ " $wanted " == *" $name "* ]] || continue
  # Reuse a cached build of the pinned version, or of the fallback chosen last time.
  cached=$(cat "$BIN_DIR/$name.version" 2>/dev/null || true)
  if [ -x "$BIN_DIR/$name-$version" ] || { [ -n "$cached" ] && [[ " $fallbacks " == *" $cached "* ]] && [ -x "$BIN_DIR/$name-$cached" ]; }; then
    [ -x "$BIN_DIR/$name-$version" ] && { ln -sf "$name-$version" "$BIN_DIR/$name"; echo "$version" >"$BIN_DIR/$name.version"; }
    continue
  fi
  [[ $module == maven:* || $module == pypi:* ]] || need_go
  if [ "$name" = temporal ]; then
    say "first-time build of the Temporal CLI: this takes several minutes on 2 cores (cached afterwards)"
  fi
  done_version=""
  for v in $version $fallbacks; do
    if [ -x "$BIN_DIR/$name-$v" ] || build "$name" "$module" "$v"; then done_version=$v; break; fi
    say "trying the nearest older version of $name"
  done
  if [ -z "$done_version" ]; then
    say "ERROR: could not build $name (tried $version $fallbacks)."
    exit 4
  fi
  ln -sf "$name-$done_version" "$BIN_DIR/$name"
  echo "$done_version" >"$BIN_DIR/$name.version"
  [ "$done_version" = "$version" ] || say "WARNING: using $name $done_version instead of the pinned $version"
done
say "services ready in $BIN_DIR ($(for n in $wanted; do printf '%s %s  ' "$n" "$(cat "$BIN_DIR/$n.version")"; done))"
