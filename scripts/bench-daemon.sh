#!/usr/bin/env bash
# Load benchmark of the appliance (issue 12): N copies of a study (default 20 of the bundled
# lung2-crop, each with its own StudyInstanceUID, rewritten by pydicom) sent by K concurrent
# storescu processes (default 4) on loopback to a release `radscored serve` (one analysis worker,
# one radiomics thread, pinned to one CPU core with taskset) that publishes to Debian's
# mosquitto. Checks that every study's result
# arrived, exactly once per message_id, then prints the daemon's peak RSS (GNU time), its CPU
# time per study from the first instance to the last result (/proc; the figure that other work on
# a shared machine disturbs least) and the p50 and p95 latency from each study's last instance to
# its published result, beyond the quiet period, read from the spool's journal. The spool lives
# under $TMPDIR (default /tmp): TMPDIR=/dev/shm takes the disk's fsync time out.
# BENCH_CORES=0,1 pins the daemon to those cores instead of core 0. BENCH_AHEAD=false turns off the
# analysis during the quiet period ([analysis] start_during_quiet_period), to see what it saves.
# scripts/make-large-study.sh makes the 512x512x600 study of the large-series target.
# Usage: scripts/bench-daemon.sh [STUDIES] [SENDERS] [STUDY_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
studies="${1:-20}"; senders="${2:-4}"; source_dir="${3:-samples/lung2-crop}"
py=.venv-ref/bin/python
[[ -x $py ]] || { echo "bench-daemon: run scripts/setup.sh first" >&2; exit 1; }
cargo build --release --quiet
work=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
port() { $py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
mqtt=$(port); dicom=$(port); quiet_s=1

$py - "$source_dir" "$work/studies" "$studies" <<'PY'
import pathlib, sys, pydicom
src, dst, n = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), int(sys.argv[3])
files = [p for sub in ("ct", "seg") for p in sorted((src / sub).iterdir())]
for i in range(n):
    out = dst / f"{i:03d}"; out.mkdir(parents=True)
    for f in files:
        ds = pydicom.dcmread(f)
        ds.StudyInstanceUID = f"2.25.4242{i:06d}"
        ds.save_as(out / f"{f.parent.name}-{f.name}")
PY

printf 'listener %s 127.0.0.1\nallow_anonymous true\n' "$mqtt" > "$work/mosquitto.conf"
/usr/sbin/mosquitto -c "$work/mosquitto.conf" 2>/dev/null &
cat > "$work/appliance.toml" <<TOML
[site]
id = "bench"
device = "box1"
key_file = "$work/site.key"
[dicom]
listen = "127.0.0.1:$dicom"
ae_title = "RADSCORED"
[spool]
dir = "$work/spool"
min_free_mib = 256
[series]
quiet_period_s = $quiet_s
[mqtt]
host = "127.0.0.1"
port = $mqtt
[analysis]
start_during_quiet_period = ${BENCH_AHEAD:-true}
[model]
bundle = "engines/reference"
TOML
sleep 0.5
mosquitto_sub -h 127.0.0.1 -p "$mqtt" -t 'radscore/v1/bench/box1/results/#' -q 1 -F '%t %p' > "$work/results.txt" &
RADSCORED_HOME="$PWD" RADSCORED_BACKEND=cpu taskset -c "${BENCH_CORES:-0}" /usr/bin/time -f '%M' -o "$work/peak_kib" \
  target/release/radscored serve --config "$work/appliance.toml" 2> "$work/daemon.log" &
daemon=$!
until echoscu -aec RADSCORED 127.0.0.1 "$dicom" 2>/dev/null; do sleep 0.2; done
server=$(pgrep -P "$daemon")
cpu_ticks() { awk '{print $14 + $15}' "/proc/$server/stat"; }
cpu_start=$(cpu_ticks)

started=$(date +%s.%N)
for s in $(seq 0 $((senders - 1))); do
  (for i in $(seq "$s" "$senders" $((studies - 1))); do
     storescu -R -aec RADSCORED 127.0.0.1 "$dicom" "$work/studies/$(printf %03d "$i")"/* || exit 1
   done) &
done
wait $(jobs -p | grep -v "^$daemon\$" | tail -n "$senders")
sent=$(date +%s.%N)
deadline=$((SECONDS + 600))
until [[ $(cut -d' ' -f1 "$work/results.txt" | sort -u | wc -l) -ge $studies ]]; do
  ((SECONDS < deadline)) || { echo "bench-daemon: results missing after 600 s" >&2; tail "$work/daemon.log" >&2; exit 1; }
  sleep 0.2
done
done_at=$(date +%s.%N)
cpu_end=$(cpu_ticks)
pkill -TERM -P "$daemon"; wait "$daemon" || true

$py - "$work" "$studies" "$quiet_s" "$started" "$sent" "$done_at" "$cpu_start" "$cpu_end" "$(getconf CLK_TCK)" <<'PY'
import json, pathlib, sqlite3, statistics, sys
work, n, quiet = pathlib.Path(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
started, sent, done, cpu_start, cpu_end, clk_tck = map(float, sys.argv[4:10])
cpu = (cpu_end - cpu_start) / clk_tck
ids, topics = [], set()
for line in (work / "results.txt").read_text().splitlines():
    topic, payload = line.split(" ", 1)
    topics.add(topic); ids.append(json.loads(payload)["message_id"])
dup = len(ids) - len(set(ids))
assert len(topics) == n, f"{len(topics)} studies published, {n} sent"
db = sqlite3.connect(f"file:{work}/spool/spool.sqlite?mode=ro", uri=True)
rows = db.execute("""SELECT s.last_instance_ms, MIN(t.at_ms) FROM study s JOIN transition t
                     ON t.study_id = s.id AND t.state = 'published' GROUP BY s.id""").fetchall()
lat = sorted((pub - last) / 1000 - quiet for last, pub in rows)
p95 = lat[min(len(lat) - 1, round(0.95 * (len(lat) - 1)))]
peak = int((work / "peak_kib").read_text().split()[-1]) / 1024
print(f"bench-daemon: {n} studies by C-STORE, {len(ids)} result messages "
      f"({len(set(ids))} distinct message_id, {dup} re-sent); sending took {sent - started:.1f} s, "
      f"all results {done - started:.1f} s after the first instance")
print(f"bench-daemon: latency last instance -> result, beyond the {quiet:.0f} s quiet period: "
      f"p50 {statistics.median(lat):.3f} s, p95 {p95:.3f} s; daemon peak RSS {peak:.0f} MiB, "
      f"daemon CPU {cpu / n:.3f} s per study")
PY
