#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/run.sh: what leakscope costs, measured against bare runs.
#
#   bench/run.sh [--quick] [--rounds N] [--heaptrack] [--valgrind] [--lsan]
#                [--tools] [--sample BYTES[,BYTES...]] [--compare]
#                [--grower[=RUNS]] [--no-real] [--only REGEX] [BUILD_DIR]
#
# Builds nothing. BUILD_DIR (default ./build) must hold libleakscope.so and
# the bench_* programs: cmake -S . -B build && cmake --build build.
# Each round runs every workload bare, then under
# LD_PRELOAD=BUILD_DIR/libleakscope.so with LEAKSCOPE_OUTPUT=/dev/null, then
# under each optional tool, so slow drift of a noisy machine hits all of
# them alike. Prints the medians as markdown tables on stdout; progress and
# failures go to stderr.
#
#   --quick       3 rounds and smaller inputs (about a minute)
#   --rounds N    rounds (default 5)
#   --heaptrack   also run under `heaptrack --raw` (record only)
#   --valgrind    also run under valgrind memcheck: one round; bench_malloc
#                 and bench_fd with 1/20 of the iterations (their per-op
#                 figures need no scaling), the rest at full size, with
#                 --trace-children=yes
#   --lsan        also run under preloaded LeakSanitizer
#                 (LSAN_OPTIONS=detect_leaks=1:exitcode=0)
#   --tools       all three above that are installed
#   --sample LIST also run leakscope's sampled mode (LEAKSCOPE_SAMPLE) at
#                 each interval of the comma-separated LIST: bytes, with
#                 an optional K or M suffix (KiB, MiB); skipped with a
#                 note when the library does not know the variable
#   --compare     issue 17's table in one run: leakscope exact, sampled at
#                 --sample's intervals (default: 128K,512K), LeakSanitizer and
#                 heaptrack, on the malloc microbenchmark, 2M live blocks,
#                 python3 (both allocators), sqlite3, git log --stat over
#                 4000 commits and cc1 -O2 on 50 functions; prints each
#                 figure as the median over rounds of its ratio to the
#                 bare run of the same round, for time and peak RSS
#   --grower[=RUNS] after the tables, the detection check: bench_grower
#                 leaks 10 KiB/s from one line among 10 MiB/s of churn
#                 freed 100 ms later, for 67 s, dumped every 6 s with
#                 LEAKSCOPE_DIFF=1 (issue 17's 1 KiB/s among 1 MB/s over
#                 ten minutes of 60 s dumps, ten times faster: the same
#                 bytes per sampling interval and per dump); RUNS runs
#                 (default 3, all at once: they mostly sleep) under each
#                 leakscope mode; bench/grower_check.py says from which
#                 dump the leaking line is the top grower by growth since
#                 the first dump (11 dumps: ten intervals of growth)
#   --no-real     skip the real programs (python3, sqlite3, git, gcc)
#   --only REGEX  run only the workloads whose name matches
#
# Generated inputs (a git repository, a large C file) are cached in
# $LEAKSCOPE_BENCH_CACHE (default /tmp/leakscope-bench-cache).
set -u -o pipefail

rounds=5
quick=0
real=1
only=''
want_heaptrack=0 want_valgrind=0 want_lsan=0
compare=0
grower=0
samples=''
build=''
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=1 ;;
    --rounds) rounds=$2; shift ;;
    --heaptrack) want_heaptrack=1 ;;
    --valgrind) want_valgrind=1 ;;
    --lsan) want_lsan=1 ;;
    --tools) want_heaptrack=1 want_valgrind=1 want_lsan=1 ;;
    --no-real) real=0 ;;
    --only) only=$2; shift ;;
    --sample) samples=$2; shift ;;
    --compare) compare=1 ;;
    --grower) grower=3 ;;
    --grower=*) grower=${1#--grower=} ;;
    -h|--help) sed -n '3,51p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    *) build=$1 ;;
  esac
  shift
done
build=${build:-./build}
build=$(cd "$build" 2>/dev/null && pwd) || { echo "run.sh: no build dir ${build}" >&2; exit 2; }

# --- sizes: default about 5 minutes, --quick about 1 minute ---
if [ $quick = 1 ]; then
  [ "$rounds" = 5 ] && rounds=3
  malloc_n=500000 live_n=1000000 fd_n=50000 stall_n=1000000 kinds_n=5000
  py_rounds=12 sql_rows=100000 gcc_funcs=50
else
  malloc_n=1000000 live_n=2000000 fd_n=200000 stall_n=1000000 kinds_n=20000
  py_rounds=30 sql_rows=250000 gcc_funcs=120
fi
git_commits=10000
vg_div=20
if [ $compare = 1 ]; then
  # issue 17's rows and sizes (2M live blocks, 250k rows, 4000 commits,
  # 50 functions); --quick keeps the sizes but makes the inputs of the
  # long rows smaller
  want_heaptrack=1 want_lsan=1
  [ -n "$samples" ] || samples=128K,512K # the recommended interval and 512 KiB
  [ -n "$only" ] || only='^(malloc_rand_1t|live|python|python_pymalloc|sqlite|git|cc1)$'
  live_n=2000000 git_commits=4000 gcc_funcs=50
  [ $quick = 1 ] && sql_rows=100000 || sql_rows=250000
fi

note() { echo "run.sh: $*" >&2; }

find_prog() { # the program $1 in the build dir or its bench/ subdir
  local p
  for p in "$build/$1" "$build/bench/$1"; do
    [ -x "$p" ] && { echo "$p"; return 0; }
  done
  return 1
}
for p in bench_malloc bench_malloc_fp bench_live bench_fd bench_kinds bench_stall bench_exec bench_grower; do
  path=$(find_prog $p) || { note "$p not found in $build; build it first"; exit 2; }
  printf -v "bin_$p" '%s' "$path"
done

lib=$build/libleakscope.so
configs=(bare)
if [ -e "$lib" ]; then
  configs+=(leakscope)
else
  note "$lib not found: running bare only"
fi
if [ $want_heaptrack = 1 ]; then
  if command -v heaptrack >/dev/null; then configs+=(heaptrack); else note "heaptrack not installed: skipped"; fi
fi
lsan_lib=''
if [ $want_lsan = 1 ]; then
  lsan_lib=$(ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.lsan-x86_64.so 2>/dev/null | tail -1)
  if [ -z "$lsan_lib" ]; then
    lsan_lib=$(gcc -print-file-name=liblsan.so.0 2>/dev/null)
    [ -e "$lsan_lib" ] || lsan_lib=''
  fi
  if [ -n "$lsan_lib" ]; then
    configs+=(lsan)
    # bench/lsan_init.c: initialises the runtime before main (see there).
    lsan_preload=$lsan_lib
    for p in "$build/liblsan_init.so" "$build/bench/liblsan_init.so"; do
      [ -e "$p" ] && { lsan_preload=$lsan_lib:$p; break; }
    done
    [ "$lsan_preload" = "$lsan_lib" ] && note "liblsan_init.so not built: LSan may crash programs that call signal() before malloc"
  else
    note "no preloadable LeakSanitizer runtime: skipped"
  fi
fi
# --sample: one configuration per interval, named sample=BYTES.
sample_configs=()
if [ -n "$samples" ] && [ -e "$lib" ]; then
  IFS=',' read -r -a sample_list <<< "$samples"
  for s in "${sample_list[@]}"; do
    case $s in
      *[kK]) bytes=$((${s%?} * 1024)) ;;
      *[mM]) bytes=$((${s%?} * 1048576)) ;;
      *) bytes=$s ;;
    esac
    [[ $bytes =~ ^[1-9][0-9]*$ ]] || { note "--sample: '$s' is not a number of bytes"; exit 2; }
    # A library without the sampled mode warns about the variable (and
    # would measure the exact mode under the sampled column's name).
    probe=$(env LD_PRELOAD="$lib" LEAKSCOPE_SAMPLE=$bytes LEAKSCOPE_OUTPUT=/dev/null /bin/true 2>&1)
    if [[ $probe == *LEAKSCOPE_SAMPLE* ]]; then
      note "this libleakscope.so has no sampled mode (${probe%%$'\n'*}): sampled columns skipped"
      break
    fi
    sample_configs+=("sample=$bytes")
  done
  configs+=("${sample_configs[@]}")
fi
if [ $want_valgrind = 1 ]; then
  if command -v valgrind >/dev/null; then configs+=(valgrind); else note "valgrind not installed: skipped"; fi
fi

tmp=$(mktemp -d /tmp/leakscope-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cache=${LEAKSCOPE_BENCH_CACHE:-/tmp/leakscope-bench-cache}
mkdir -p "$cache"
results=$tmp/results # lines: workload TAB metric TAB config TAB value TAB round

# --- real programs: find them and make their inputs ---
py='' ; have_sqlite=0 ; have_git=0 ; have_gcc=0
if [ $real = 1 ]; then
  # The interpreter itself, not a pyenv or similar shim script.
  py=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || py=''
  [ -n "$py" ] || note "python3 not installed: python workload skipped"
  cat > "$tmp/work.py" <<'EOF'
import sys
keep = []
for r in range(int(sys.argv[1])):
    rows = [{"id": i, "name": "n%d" % i, "tags": [i, i + 1, str(i)]} for i in range(20000)]
    idx = {row["name"]: row for row in rows}
    keep.append(rows[::50])
    del rows, idx
print(sum(len(k) for k in keep))
EOF
  if command -v sqlite3 >/dev/null; then have_sqlite=1; else note "sqlite3 CLI not installed: sqlite workload skipped"; fi
  cat > "$tmp/work.sql" <<EOF
PRAGMA journal_mode=OFF;
PRAGMA synchronous=OFF;
CREATE TABLE t(id INTEGER PRIMARY KEY, k TEXT, v INTEGER);
CREATE INDEX t_k ON t(k);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < $sql_rows)
INSERT INTO t(k, v) SELECT printf('%08x-%d', (x * 2654435761) % 4294967296, x), x FROM c;
SELECT count(*), sum(v) FROM t;
EOF
  gitrepo=$cache/git-$git_commits
  if command -v git >/dev/null; then
    if [ ! -e "$gitrepo/.done" ]; then
      note "generating a $git_commits-commit git repository in $gitrepo (once)"
      rm -rf "$gitrepo" && git init -q -b main "$gitrepo" &&
      awk -v n=$git_commits -v files=300 'BEGIN {
        for (c = 1; c <= n; c++) {
          printf "commit refs/heads/main\ncommitter Bench <bench@example.invalid> %d +0000\n", 1700000000 + c * 60
          msg = "commit " c; printf "data %d\n%s\n", length(msg), msg
          for (j = 0; j < 3; j++) {
            f = (c * 7 + j * 101) % files; body = ""
            for (l = 0; l < 20; l++) body = body "line " l " of file " f " at commit " (l % 4 == j ? c : f) "\n"
            printf "M 100644 inline src/dir%d/file%d.c\ndata %d\n%s\n", f % 10, f, length(body), body
          }
        }
      }' | git -C "$gitrepo" fast-import --quiet && git -C "$gitrepo" gc -q &&
      touch "$gitrepo/.done"
    fi
    [ -e "$gitrepo/.done" ] && have_git=1 || note "could not make the git repository: git workload skipped"
  else
    note "git not installed: git workload skipped"
  fi
  bigc=$cache/big-$gcc_funcs.c
  if command -v gcc >/dev/null; then
    [ -e "$bigc" ] || awk -v n=$gcc_funcs 'BEGIN {
      print "struct s { int a, b; double c; struct s *next; };"
      for (i = 0; i < n; i++) {
        printf "int f%d(struct s *p, int x) {\n  int acc = %d;\n", i, i
        printf "  for (int k = 0; k < x; k++) {\n    switch ((k + x) & 7) {\n"
        for (c = 0; c < 8; c++) printf "    case %d: acc += p->a * %d + k; p->c += acc * 0.%d; break;\n", c, c + i, c + 1
        printf "    }\n    if (p->next) p = p->next;\n  }\n"
        if (i > 0) printf "  if (acc & 1) acc ^= f%d(p, x - 1);\n", i - 1
        printf "  return acc + p->b;\n}\n"
      }
    }' > "$bigc"
    have_gcc=1
    # cc1 itself, the compiler proper: heaptrack does not follow the
    # driver's children (it unsets LD_PRELOAD), so the gcc row measures
    # its driver only; this row puts every tool on the same process.
    cc1=$(gcc -print-prog-name=cc1 2>/dev/null)
    [ -x "$cc1" ] || { cc1=''; note "gcc's cc1 not found: cc1 workload skipped"; }
  else
    note "gcc not installed: gcc workload skipped"
  fi
fi

# --- workloads ---
# Each: name, then the metrics it yields, in table order. A metric is
# "key:label": key is a key=value field of the program's output, or wall_ms
# / maxrss_kb from bench_exec.
workloads=(
  "malloc_rand_1t|ns_per_pair:malloc+free, 16..4096 B, 1 thread (ns/pair)"
  "malloc_rand_2t|ns_per_pair:malloc+free, 16..4096 B, 2 threads (ns/pair)"
  "malloc_64_1t|ns_per_pair:malloc+free, 64 B, 1 thread (ns/pair)"
  "malloc_64_2t|ns_per_pair:malloc+free, 64 B, 2 threads (ns/pair)"
  "malloc_rand_1t_fp|ns_per_pair:same as first row, built with frame pointers (ns/pair)"
  "malloc_rand_1t_fpunw|ns_per_pair:same, frame pointers and LEAKSCOPE_UNWIND=fp (ns/pair)"
  "live|ns_per_alloc:${live_n} live 32 B blocks: malloc (ns/block)|wall_ms:${live_n} live 32 B blocks: whole process incl. exit report (ms)"
  "fd|open_close:open+close /dev/null (ns/pair)|socketpair_close:socketpair+2 close (ns/op)"
  "kinds|thread_create_join:pthread_create+pthread_join, empty thread (ns/pair)|thread_create_join_cpu:same, CPU time of the process (ns/pair)|mmap_munmap:mmap+munmap 64 KiB anonymous (ns/pair)|mmap_munmap_cpu:same, CPU time (ns/pair)|fork_wait:fork+_exit+waitpid (ns/op)"
  "stall|max_stall_ms:longest pause of a malloc/free thread around a SIGUSR2 dump, ${stall_n} live blocks (ms)"
  "stall_reach|max_stall_ms:same, LEAKSCOPE_REACHABILITY=1 (ms)"
)
[ -n "$py" ] && workloads+=("python|wall_ms:python3 dicts/lists, PYTHONMALLOC=malloc (ms)"
  "python_nopy|wall_ms:same, LEAKSCOPE_PYTHON=0 (no Python frames) (ms)"
  "python_pymalloc|wall_ms:python3 dicts/lists, default allocator (pymalloc) (ms)"
  "python_pymalloc_nopy|wall_ms:same, LEAKSCOPE_PYTHON=0 (no Python frames) (ms)"
  "python_pymalloc_objects|wall_ms:same, LEAKSCOPE_PYTHON_OBJECTS=1 (every Python object tracked) (ms)")
[ $have_sqlite = 1 ] && workloads+=("sqlite|wall_ms:sqlite3 insert ${sql_rows} rows with index (ms)")
[ $have_git = 1 ] && workloads+=("git|wall_ms:git log --stat, ${git_commits} commits (ms)")
[ $have_gcc = 1 ] && workloads+=("gcc|wall_ms:gcc -O2 -c, ${gcc_funcs} generated functions (ms)")
[ -n "${cc1:-}" ] && workloads+=("cc1|wall_ms:cc1 -O2, ${gcc_funcs} generated functions (ms)")

declare -A rss_label=(
  [malloc_rand_1t]="bench_malloc 16..4096 B, 1 thread" [malloc_rand_2t]="bench_malloc 16..4096 B, 2 threads"
  [malloc_64_1t]="bench_malloc 64 B, 1 thread" [malloc_64_2t]="bench_malloc 64 B, 2 threads"
  [malloc_rand_1t_fp]="bench_malloc_fp 16..4096 B, 1 thread"
  [malloc_rand_1t_fpunw]="bench_malloc_fp, LEAKSCOPE_UNWIND=fp" [live]="bench_live, $live_n blocks"
  [fd]="bench_fd" [kinds]="bench_kinds" [stall]="bench_stall" [stall_reach]="bench_stall, LEAKSCOPE_REACHABILITY=1"
  [python]="python3" [python_nopy]="python3, LEAKSCOPE_PYTHON=0"
  [python_pymalloc]="python3, pymalloc" [python_pymalloc_nopy]="python3, pymalloc, LEAKSCOPE_PYTHON=0"
  [python_pymalloc_objects]="python3, pymalloc, LEAKSCOPE_PYTHON_OBJECTS=1"
  [sqlite]="sqlite3" [git]="git log --stat" [gcc]="gcc -O2 -c" [cc1]="cc1 -O2"
)

# Sets cmd (array), cmd_env (array of -e flags for bench_exec) and cmd_in
# (stdin) for workload $1 under config $2.
workload_cmd() {
  local name=$1 config=$2 div=1
  [ "$config" = valgrind ] && div=$vg_div
  cmd_env=() cmd_in=/dev/null
  case $name in
    malloc_rand_1t) cmd=("$bin_bench_malloc" -t 1 -n $((malloc_n / div))) ;;
    malloc_rand_2t) cmd=("$bin_bench_malloc" -t 2 -n $((malloc_n / div))) ;;
    malloc_64_1t) cmd=("$bin_bench_malloc" -t 1 -f -n $((malloc_n / div))) ;;
    malloc_64_2t) cmd=("$bin_bench_malloc" -t 2 -f -n $((malloc_n / div))) ;;
    malloc_rand_1t_fp) cmd=("$bin_bench_malloc_fp" -t 1 -n $((malloc_n / div))) ;;
    malloc_rand_1t_fpunw) # the variable means nothing to the other configs
      cmd=("$bin_bench_malloc_fp" -t 1 -n $((malloc_n / div))); cmd_env=(-e LEAKSCOPE_UNWIND=fp) ;;
    live) cmd=("$bin_bench_live" -n "$live_n") ;;
    fd) cmd=("$bin_bench_fd" -n $((fd_n / div))) ;;
    kinds) cmd=("$bin_bench_kinds" -n $((kinds_n / div))) ;;
    stall) cmd=("$bin_bench_stall" -n "$stall_n") ;;
    stall_reach) # the variable means nothing to the other configs
      cmd=("$bin_bench_stall" -n "$stall_n"); cmd_env=(-e LEAKSCOPE_REACHABILITY=1) ;;
    python) cmd=("$py" "$tmp/work.py" "$py_rounds"); cmd_env=(-e PYTHONMALLOC=malloc) ;;
    python_nopy) # LEAKSCOPE_PYTHON means nothing to the other configs
      cmd=("$py" "$tmp/work.py" "$py_rounds"); cmd_env=(-e PYTHONMALLOC=malloc -e LEAKSCOPE_PYTHON=0) ;;
    python_pymalloc) cmd=("$py" "$tmp/work.py" "$py_rounds") ;;
    python_pymalloc_nopy) cmd=("$py" "$tmp/work.py" "$py_rounds"); cmd_env=(-e LEAKSCOPE_PYTHON=0) ;;
    python_pymalloc_objects)
      cmd=("$py" "$tmp/work.py" "$py_rounds"); cmd_env=(-e LEAKSCOPE_PYTHON_OBJECTS=1) ;;
    sqlite) rm -f "$tmp/work.db"; cmd=(sqlite3 "$tmp/work.db"); cmd_in=$tmp/work.sql ;;
    git) cmd=(git -C "$gitrepo" --no-pager log --stat) ;;
    gcc) cmd=(gcc -O2 -c "$bigc" -o "$tmp/big.o") ;;
    cc1) cmd=("$cc1" -quiet -O2 "$bigc" -o "$tmp/big.s") ;;
  esac
}

# Runs workload $1 under config $2 once and appends its figures to $results.
measure() {
  local name=$1 config=$2 metrics=$3 pre=() env=()
  workload_cmd "$name" "$config"
  case $config in
    bare) ;;
    leakscope) env=(-e "LD_PRELOAD=$lib" -e LEAKSCOPE_OUTPUT=/dev/null) ;;
    sample=*) env=(-e "LD_PRELOAD=$lib" -e LEAKSCOPE_OUTPUT=/dev/null -e "LEAKSCOPE_SAMPLE=${config#sample=}") ;;
    lsan) env=(-e "LD_PRELOAD=$lsan_preload" -e LSAN_OPTIONS=detect_leaks=1:exitcode=0) ;;
    heaptrack) pre=(heaptrack --raw -o "$tmp/heaptrack") ;;
    valgrind) pre=(valgrind --tool=memcheck --leak-check=full --trace-children=yes -q
                   --log-file=/dev/null) ;;
  esac
  : > "$tmp/exec"
  "$bin_bench_exec" -o "$tmp/exec" "${env[@]}" "${cmd_env[@]}" -- "${pre[@]}" "${cmd[@]}" \
    < "$cmd_in" > "$tmp/out" 2> "$tmp/err"
  local status=$?
  rm -f "$tmp"/heaptrack*
  if [ $status != 0 ]; then
    note "$name under $config failed with status $status; last lines of its stderr:"
    tail -5 "$tmp/err" >&2
    printf '%s\t%s\t%s\tFAIL(%s)\t%s\n' "$name" status "$config" "$status" "$r" >> "$results"
    return
  fi
  local m key val
  local IFS='|'
  for m in $metrics; do
    key=${m%%:*}
    case $key in
      wall_ms)
        val=$(grep -o 'wall_ms=[0-9.]*' "$tmp/exec" | cut -d= -f2) ;;
      open_close|socketpair_close|thread_create_join|mmap_munmap|fork_wait)
        val=$(grep "op=$key " "$tmp/out" | grep -o ' ns_per_op=[0-9.]*' | cut -d= -f2) ;;
      thread_create_join_cpu|mmap_munmap_cpu)
        val=$(grep "op=${key%_cpu} " "$tmp/out" | grep -o 'cpu_ns_per_op=[0-9.]*' | cut -d= -f2) ;;
      *) val=$(grep -o "$key=[0-9.]*" "$tmp/out" | head -1 | cut -d= -f2) ;;
    esac
    printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$key" "$config" "${val:-?}" "$r" >> "$results"
  done
  val=$(grep -o 'maxrss_kb=[0-9]*' "$tmp/exec" | cut -d= -f2)
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" maxrss_kb "$config" "${val:-?}" "$r" >> "$results"
  if [ "$name" = live ] && [[ $config == leakscope || $config == sample=* ]]; then
    val=$(grep -o 'bookkeeping_per_block=[0-9.]*' "$tmp/out" | cut -d= -f2)
    printf '%s\t%s\t%s\t%s\t%s\n' "$name" bookkeeping "$config" "${val:-n/a}" "$r" >> "$results"
  fi
}

# --- run ---
start=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
: > "$results"
for ((r = 1; r <= rounds; r++)); do
  note "round $r/$rounds"
  for w in "${workloads[@]}"; do
    name=${w%%|*}
    [ -n "$only" ] && ! [[ $name =~ $only ]] && continue
    for config in "${configs[@]}"; do
      # valgrind is the slow reference: one round is enough.
      [ "$config" = valgrind ] && [ $r -gt 1 ] && continue
      measure "$name" "$config" "${w#*|}"
    done
  done
done
elapsed=$(($(date +%s) - start))

# --- report ---
# median of workload/metric/config; a FAIL anywhere wins.
median() {
  awk -F'\t' -v w="$1" -v m="$2" -v c="$3" '
    $1 == w && $3 == c && $2 == "status" { fail = $4 }
    $1 == w && $2 == m && $3 == c && $4 != "?" { v[n++] = $4 }
    END {
      if (fail != "") { print fail; exit }
      if (n == 0) { print "-"; exit }
      for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
      x = (n % 2) ? v[int(n / 2)] : (v[n / 2 - 1] + v[n / 2]) / 2
      printf "%.1f\n", x
    }' "$results"
}
ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN {
    if (a !~ /^[0-9.]+$/ || b !~ /^[0-9.]+$/ || b + 0 == 0) print "-"; else printf "%.2f×\n", a / b }'
}
header() { # $1: first column title
  local line="| $1 | bare |" sep="|---|---:|" c
  for c in "${configs[@]:1}"; do
    line+=" $c | ratio |"
    sep+="---:|---:|"
  done
  echo "$line"
  echo "$sep"
}
row() { # workload metric label divisor
  local base v line c
  base=$(median "$1" "$2" bare)
  base=$(awk -v v="$base" -v d="$4" 'BEGIN { if (v ~ /^[0-9.]+$/) printf "%.1f", v / d; else print v }')
  line="| $3 | $base |"
  for c in "${configs[@]:1}"; do
    v=$(median "$1" "$2" "$c")
    v=$(awk -v v="$v" -v d="$4" 'BEGIN { if (v ~ /^[0-9.]+$/) printf "%.1f", v / d; else print v }')
    line+=" $v | $(ratio "$v" "$base") |"
  done
  echo "$line"
}

# median over rounds of (config's value / bare's value in the same round)
paired() { # workload metric config
  awk -F'\t' -v w="$1" -v m="$2" -v c="$3" '
    $1 == w && $3 == c && $2 == "status" { fail = $4 }
    $1 == w && $2 == m && $4 ~ /^[0-9.]+$/ && $3 == "bare" { base[$5] = $4 }
    $1 == w && $2 == m && $4 ~ /^[0-9.]+$/ && $3 == c { val[$5] = $4 }
    END {
      if (fail != "") { print fail; exit }
      for (r in val) if ((r in base) && base[r] + 0 > 0) v[n++] = val[r] / base[r]
      if (n == 0) { print "-"; exit }
      for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
      printf "%.2f×\n", (n % 2) ? v[int(n / 2)] : (v[n / 2 - 1] + v[n / 2]) / 2
    }' "$results"
}
config_title() {
  case $1 in
    leakscope) echo "leakscope exact" ;;
    sample=*) local b=${1#sample=}
      if ((b % 1048576 == 0)); then echo "leakscope sampled $((b / 1048576)) MiB"
      elif ((b % 1024 == 0)); then echo "leakscope sampled $((b / 1024)) KiB"
      else echo "leakscope sampled $b B"; fi ;;
    lsan) echo "LeakSanitizer" ;;
    *) echo "$1" ;;
  esac
}
compare_rows=(
  "malloc_rand_1t|ns_per_pair|malloc+free 16–4096 B, 1 thread, no frame pointers|ns/pair"
  "live|wall_ms|${live_n} live 32 B blocks, whole process incl. exit report|ms"
  "python|wall_ms|python3 dicts/lists, \`PYTHONMALLOC=malloc\`|ms"
  "python_pymalloc|wall_ms|python3 dicts/lists, default allocator (pymalloc)|ms"
  "sqlite|wall_ms|sqlite3, ${sql_rows} rows with an index|ms"
  "git|wall_ms|git log --stat, ${git_commits} commits|ms"
  "cc1|wall_ms|cc1 -O2, ${gcc_funcs} functions|ms"
)
# issue 17's column order: both leakscope modes, then the other tools
ordered=()
for c in leakscope "${sample_configs[@]}" lsan heaptrack valgrind; do
  [[ " ${configs[*]} " == *" $c "* ]] && ordered+=("$c")
done
compare_table() { # metric-kind: time or rss
  local line="| workload | bare |" sep="|---|---:|" c w name metric label unit base
  for c in "${ordered[@]}"; do line+=" $(config_title "$c") |"; sep+="---:|"; done
  echo "$line"; echo "$sep"
  for w in "${compare_rows[@]}"; do
    IFS='|' read -r name metric label unit <<< "$w"
    grep -q "^$name"$'\t' "$results" || continue
    if [ "$1" = rss ]; then metric=maxrss_kb unit=MB; fi
    base=$(median "$name" "$metric" bare)
    [ "$1" = rss ] && base=$(awk -v v="$base" 'BEGIN { if (v ~ /^[0-9.]+$/) printf "%.1f", v / 1024; else print v }')
    line="| $label | $base $unit |"
    for c in "${ordered[@]}"; do line+=" $(paired "$name" "$metric" "$c") |"; done
    echo "$line"
  done
}

commit=$(git -C "$(dirname "$0")" describe --always --dirty --abbrev=7 2>/dev/null || echo unknown)
if [ $compare = 1 ] && [ "$rounds" -gt 0 ]; then
  echo "Each figure: the median over $rounds rounds of the ratio to the bare run of the same round."
  echo
  echo "Time (lower is better):"
  echo
  compare_table time
  echo
  echo "Peak RSS of the whole process (wait4), same pairing:"
  echo
  compare_table rss
  echo
fi
if [ "$rounds" -gt 0 ]; then
echo "Time, median of $rounds rounds (lower is better):"
echo
header workload
for w in "${workloads[@]}"; do
  name=${w%%|*}
  [ -n "$only" ] && ! [[ $name =~ $only ]] && continue
  IFS='|' read -r -a ms <<< "${w#*|}"
  for m in "${ms[@]}"; do row "$name" "${m%%:*}" "${m#*:}" 1; done
done
echo
echo "Peak RSS of the whole process, MB, median:"
echo
header workload
for w in "${workloads[@]}"; do
  name=${w%%|*}
  [ -n "$only" ] && ! [[ $name =~ $only ]] && continue
  row "$name" maxrss_kb "${rss_label[$name]}" 1024
done
for c in "${configs[@]}"; do
  [[ $c == leakscope || $c == sample=* ]] || continue
  grep -q $'^live\tbookkeeping\t'"$c"$'\t' "$results" || continue
  echo
  if [ "$c" = leakscope ]; then
    echo "$(config_title "$c") bookkeeping with ${live_n} live blocks: $(median live bookkeeping "$c") bytes per live block (leakscope_stats)."
  else # leakscope_stats counts the recorded blocks only
    echo "$(config_title "$c") bookkeeping with ${live_n} live blocks: $(median live bookkeeping "$c") bytes per recorded live block (leakscope_stats; most blocks are not recorded)."
  fi
done
echo
fi # rounds > 0
if [ "$grower" -gt 0 ] 2>/dev/null && [ -e "$lib" ]; then
  echo
  echo "Detection check (bench_grower -d 67 -l 10240 -c 10485760 -t 100, LEAKSCOPE_INTERVAL=6, LEAKSCOPE_DIFF=1; $grower runs per mode):"
  echo
  echo "| mode | run | leak_site the top grower from dump K on (dump 1, at 6 s, is the baseline: K-1 intervals = K-1 minutes at the issue's scale) |"
  echo "|---|---:|---|"
  pids=()
  declare -A found=()
  for c in leakscope "${sample_configs[@]}"; do
    for ((g = 1; g <= grower; g++)); do
      extra=()
      [[ $c == sample=* ]] && extra=(LEAKSCOPE_SAMPLE=${c#sample=})
      env LD_PRELOAD="$lib" LEAKSCOPE_FORMAT=json LEAKSCOPE_OUTPUT="$tmp/grow.$c.$g.json" \
        LEAKSCOPE_INTERVAL=6 LEAKSCOPE_DIFF=1 "${extra[@]}" \
        "$bin_bench_grower" -d 67 -l 10240 -c 10485760 -t 100 > "$tmp/grow.$c.$g.out" 2>&1 &
      pids+=($!)
    done
  done
  wait "${pids[@]}"
  for c in leakscope "${sample_configs[@]}"; do
    for ((g = 1; g <= grower; g++)); do
      f=$tmp/grow.$c.$g.json
      [ -e "$f" ] || f=$(ls "$tmp/grow.$c.$g.json".* 2>/dev/null | head -1)
      if [ -n "$f" ] && [ -e "$f" ] && command -v python3 >/dev/null; then
        python3 "$(dirname "$0")/grower_check.py" "$f" 6 > "$tmp/grow.check" 2>&1
        res=$(tail -1 "$tmp/grow.check")
        tf=${res#top_grower_from_dump=}; tf=${tf%% *}; ts=${res##*time_s=}
        [ "$tf" = 0 ] && cell="not the top grower at the last dump (11)" || cell="dump $tf ($((tf - 1)) intervals)"
        [ "$tf" != 0 ] && found[$c]=$((${found[$c]:-0} + 1))
      else
        cell="no report (python3 missing or the run failed)"
      fi
      echo "| $(config_title "$c") | $g | $cell |"
    done
  done
  echo
  for c in leakscope "${sample_configs[@]}"; do
    echo "$(config_title "$c"): the top grower at the last dump (ten intervals) in ${found[$c]:-0} of $grower runs."
  done
fi
echo
echo "Machine: $(nproc) cores, $(uname -sr), $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)."
echo "Commit $commit (of the bench script's tree; build dir $build)."
echo "Load average at start: $load_start; at end: $(cut -d' ' -f1-3 /proc/loadavg)."
echo "Total run time ${elapsed} s."
[[ " ${configs[*]} " == *" valgrind "* ]] &&
  echo "valgrind: 1 round; bench_malloc and bench_fd with 1/${vg_div} of the iterations."
exit 0
