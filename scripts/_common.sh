# Sourced by the scripts in this folder: finds the project, builds lib once, runs a main class.
EVOMERGE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# DJL must never download natives or models; Spark on Java 17 needs these opens; the Vector API
# (incubating in Java 17) runs merging and bf16 decoding on SIMD vectors (see simd/Simd.java).
EVOMERGE_JAVA_OPTS=(-Dai.djl.offline=true --add-modules=jdk.incubator.vector -XX:+IgnoreUnrecognizedVMOptions
  --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/sun.nio.cs=ALL-UNNAMED
  --add-opens=java.base/sun.security.action=ALL-UNNAMED --add-opens=java.base/sun.util.calendar=ALL-UNNAMED)

# PyTorch frees large CPU tensors back to the OS after every batch, and glibc maps them anew (page
# faults: system time). Keeping freed memory in the heap made likelihood scoring ~25% faster here.
export MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-1073741824}"
export MALLOC_TRIM_THRESHOLD_="${MALLOC_TRIM_THRESHOLD_:-4294967296}"
export MALLOC_TOP_PAD_="${MALLOC_TOP_PAD_:-268435456}"
# MKL and OpenMP may use fewer threads than asked when the machine is busy, which changes how a matrix
# product's sums are split and so the last bits of the result: training (scripts/train, scripts/mini-world)
# gives the same bytes from the same seed only with the thread count fixed.
export MKL_DYNAMIC="${MKL_DYNAMIC:-FALSE}"
export OMP_DYNAMIC="${OMP_DYNAMIC:-FALSE}"

# evomerge_build MODULE SOURCES...: builds MODULE and what it needs (no tests) when its copied
# dependencies are missing or older than any of the SOURCES (folders and poms, below the root).
evomerge_build() {
  local module="$1"; shift
  local stamp="$EVOMERGE_ROOT/$module/target/dependency/.built"
  local sources=(); for s in "$@" pom.xml "$module/pom.xml"; do sources+=("$EVOMERGE_ROOT/$s"); done
  if [[ ! -f "$stamp" ]] || [[ -n "$(find "${sources[@]}" -newer "$stamp" -print -quit)" ]]; then
    echo "building evomerge $module (first run, or sources changed)..." >&2
    local log; log="$(mktemp)"
    if ! (cd "$EVOMERGE_ROOT" && mvn -B -q -DskipTests -pl "$module" -am package) >"$log" 2>&1; then
      cat "$log" >&2; rm -f "$log"; exit 1
    fi
    rm -f "$log"
    touch "$stamp"
  fi
}

evomerge_build_tools() { evomerge_build tools lib/src/main lib/src/test lib/pom.xml jobs/src/main jobs/pom.xml tools/src/main; }

# evomerge_assembly: prints the path of the assembly jar (what spark-submit ships to a cluster), built
# first when it is missing or older than any source of lib or jobs.
evomerge_assembly() {
  local jar; jar="$(ls "$EVOMERGE_ROOT"/jobs/target/evomerge-jobs-*-all.jar 2>/dev/null | head -n 1 || true)"
  if [[ -z "$jar" ]] || [[ -n "$(cd "$EVOMERGE_ROOT" && find lib/src/main jobs/src/main pom.xml lib/pom.xml jobs/pom.xml -newer "$jar" -print -quit)" ]]; then
    echo "building the assembly jar (mvn -Passembly -DskipTests -pl jobs -am package)..." >&2
    local log; log="$(mktemp)"
    if ! (cd "$EVOMERGE_ROOT" && mvn -B -q -Passembly -DskipTests -pl jobs -am package) >"$log" 2>&1; then
      cat "$log" >&2; rm -f "$log"; exit 1
    fi
    rm -f "$log"
    # the assembly profile copies no Spark jars: scripts/evolve's local build must run again
    rm -f "$EVOMERGE_ROOT/jobs/target/dependency/.built"
    jar="$(ls "$EVOMERGE_ROOT"/jobs/target/evomerge-jobs-*-all.jar | head -n 1)"
  fi
  echo "$jar"
}
evomerge_build_jobs() { evomerge_build jobs lib/src/main lib/src/test lib/pom.xml jobs/src/main; }

# evomerge_run_jobs MAIN_CLASS ARGS...: runs a Spark job in local mode (the embedded default).
evomerge_run_jobs() {
  evomerge_build_jobs
  local main="$1"; shift
  exec java "${EVOMERGE_JAVA_OPTS[@]}" -Djava.awt.headless=true ${EVOMERGE_JVM_ARGS:--Xmx3g} \
    -Dlog4j2.configurationFile="$EVOMERGE_ROOT/conf/log4j2.properties" \
    -cp "$EVOMERGE_ROOT/jobs/target/classes:$EVOMERGE_ROOT/jobs/target/dependency/*" "$main" "$@"
}

# evomerge_run_tools MAIN_CLASS ARGS...: runs a command line tool or benchmark of the tools module on the engine's
# own classpath (lib and what it needs, no Spark): what an executor runs, measured as it runs there.
evomerge_run_tools() {
  evomerge_build_tools
  local main="$1"; shift
  exec java "${EVOMERGE_JAVA_OPTS[@]}" ${EVOMERGE_JVM_ARGS:-} \
    -cp "$EVOMERGE_ROOT/tools/target/classes:$EVOMERGE_ROOT/lib/target/classes:$EVOMERGE_ROOT/lib/target/test-classes:$EVOMERGE_ROOT/lib/target/dependency/*" "$main" "$@"
}

# evomerge_run_spark_tools MAIN_CLASS ARGS...: runs a tool that reads runs with Spark (compare-runs, bench evolve).
evomerge_run_spark_tools() {
  evomerge_build_tools
  local main="$1"; shift
  exec java "${EVOMERGE_JAVA_OPTS[@]}" -Djava.awt.headless=true ${EVOMERGE_JVM_ARGS:-} \
    -Dlog4j2.configurationFile="$EVOMERGE_ROOT/conf/log4j2.properties" \
    -cp "$EVOMERGE_ROOT/tools/target/classes:$EVOMERGE_ROOT/tools/target/dependency/*" "$main" "$@"
}
