# Sourced by the benchmark scripts: write_machine_txt OUT_FILE TARGET_DIR [EXTRA_LINE...] records
# the command, commit, date, machine, CPU and target filesystem of a run, then any extra lines.
write_machine_txt() {
  local file="$1" target="$2"
  shift 2
  {
    echo "command: $BENCH_COMMAND"
    echo "commit: ${COMMIT:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}"
    echo "date: $(date -u +%FT%TZ)"
    echo "machine: $(uname -a)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-) x $(nproc)"
    echo "target: $(findmnt -no SOURCE,FSTYPE,OPTIONS -T "$target")"
    local line
    for line in "$@"; do echo "$line"; done
  } > "$file"
}
