#!/usr/bin/env bash
# Draws every kind of chart flopmeter makes, from results files in the repository, and takes a
# screenshot of each in headless Chromium at its natural size into docs/*.png (README.md shows
# them). Run from the repository root after `cargo build --release`; needs chromium and python3.
set -euo pipefail

bin=./target/release/flopmeter
chromium=${CHROMIUM:-/usr/bin/chromium}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$bin" report results/dev-vm-cpu-lavapipe.json --html "$work/dev-vm.html" >/dev/null
"$bin" report docs/data/gpt2-small-on-a-loaded-vm.json --html "$work/model.html" >/dev/null
"$bin" report docs/data/four-ranks-on-two-cores.json --html "$work/cluster.html" >/dev/null
"$bin" report docs/data/sustain-cpu-30s.json --html "$work/sustain.html" >/dev/null
"$bin" report docs/data/synthetic-100-ranks.json --html "$work/ranks.html" >/dev/null
"$bin" trend --add "your run=300@2024-06-01" --plot "$work/trend.svg" >/dev/null

# Each chart alone on a page of its size: NAME WIDTH HEIGHT per line.
python3 - "$work" >"$work/charts.txt" <<'PY'
import re, sys
work = sys.argv[1]
def charts(page):
    html = open(f"{work}/{page}", encoding="utf-8").read()
    return re.findall(r'<h2>([^<]*)</h2>\n<div class="chart">(<svg.*?</svg>)', html, re.S)
picks = [
    ("report-size", "dev-vm.html", "TFLOP/s against problem size"),
    ("report-utilization", "dev-vm.html", "Utilization against the rated peak"),
    ("report-model", "model.html", "gpt2-small-on-a-loaded-vm: GEMMs of one"),
    ("report-cluster", "cluster.html", "TFLOP/s per device"),
    ("report-cluster-histogram", "ranks.html", "synthetic-100-ranks: AMD EPYC faer f32 1024x"),
    ("sustain-rate", "sustain.html", "TFLOP/s against time"),
    ("sustain-clock", "sustain.html", "Clock against time"),
]
chosen = []
for name, page, title in picks:
    svg = next(s for t, s in charts(page) if t.startswith(title))
    chosen.append((name, svg))
chosen.append(("trend", open(f"{work}/trend.svg", encoding="utf-8").read()))
for name, svg in chosen:
    w, h = re.search(r'<svg[^>]* width="(\d+)" height="(\d+)"', svg).groups()
    with open(f"{work}/{name}.html", "w", encoding="utf-8") as f:
        f.write(f'<!DOCTYPE html><html><body style="margin:0">{svg}</body></html>')
    print(name, w, h)
PY

while read -r name width height; do
  "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --hide-scrollbars --user-data-dir="$work/profile" --window-size="$width,$height" \
    --screenshot="docs/$name.png" "file://$work/$name.html" >/dev/null 2>&1
  echo "docs/$name.png ($width x $height)"
done <"$work/charts.txt"
