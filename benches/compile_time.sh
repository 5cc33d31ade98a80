#!/usr/bin/env bash
# The compile time of a crate declaring a domain with `#[factum::domain]`, against the same domain through build.rs
# (`factum_codegen::compile_schemas` and `factum::include_schema!`): measured once, not by criterion, since each
# sample is a cargo build.
#
# `benches/compile_time.sh [EVENTS AGGREGATES [RUNS]]` (200 events over 20 aggregates, 3 runs by default) writes both
# crates in a scratch workspace (the domain from `synthetic-schema domain|derive`, the same evolve impls in each from
# `synthetic-schema rules`), builds every dependency once, then times each crate's own debug build RUNS times after
# `cargo clean -p` (for the build.rs route that includes compiling and running its build script), and prints the best
# of each and their ratio.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
events=${1:-200}
aggregates=${2:-20}
runs=${3:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

generate() {
    cargo run -q --manifest-path "$root/Cargo.toml" -p factum-benches --bin synthetic-schema -- "$@"
}

mkdir -p "$work/derive-route/src" "$work/buildrs-route/src" "$work/buildrs-route/schemas"
generate domain "$events" "$aggregates" >"$work/buildrs-route/schemas/domain.factum"
generate derive "$events" "$aggregates" >"$work/derive-route/src/domain.rs"
generate rules "$events" "$aggregates" >"$work/rules.rs"

cat >"$work/Cargo.toml" <<EOF
[workspace]
resolver = "2"
members = ["derive-route", "buildrs-route"]
EOF
cat >"$work/derive-route/Cargo.toml" <<EOF
[package]
name = "derive-route"
version = "0.0.0"
edition = "2021"

[dependencies]
factum = { path = "$root/runtime", default-features = false, features = ["macros"] }
EOF
cat >"$work/derive-route/src/lib.rs" <<'EOF'
include!("domain.rs");
include!("../../rules.rs");
EOF
cat >"$work/buildrs-route/Cargo.toml" <<EOF
[package]
name = "buildrs-route"
version = "0.0.0"
edition = "2021"

[dependencies]
factum = { path = "$root/runtime", default-features = false }

[build-dependencies]
factum-codegen = { path = "$root/codegen" }
EOF
cat >"$work/buildrs-route/build.rs" <<'EOF'
fn main() -> Result<(), factum_codegen::BuildError> {
    factum_codegen::compile_schemas(&["schemas/domain.factum"])
}
EOF
cat >"$work/buildrs-route/src/lib.rs" <<'EOF'
pub mod domain {
    factum::include_schema!("domain");
}
include!("../../rules.rs");
EOF

cd "$work"
export CARGO_TARGET_DIR="$work/target"
echo "building the dependencies of both crates once..." >&2
cargo build -q --workspace 2>/dev/null

best() {
    local crate=$1 best=""
    for _ in $(seq "$runs"); do
        cargo clean -q -p "$crate"
        local start end elapsed
        start=$(date +%s.%N)
        cargo build -q -p "$crate" 2>/dev/null
        end=$(date +%s.%N)
        elapsed=$(echo "$end - $start" | bc)
        if [ -z "$best" ] || [ "$(echo "$elapsed < $best" | bc)" = 1 ]; then best=$elapsed; fi
    done
    echo "$best"
}

derive=$(best derive-route)
buildrs=$(best buildrs-route)
lines=$(wc -l <"$work/derive-route/src/domain.rs")
printf 'domain: %s events over %s aggregates (%s lines of derive declarations), best of %s debug builds\n' \
    "$events" "$aggregates" "$lines" "$runs"
printf '#[factum::domain]   %6.2f s\n' "$derive"
printf 'build.rs            %6.2f s\n' "$buildrs"
printf 'ratio derive/build.rs %.2f\n' "$(echo "$derive / $buildrs" | bc -l)"
