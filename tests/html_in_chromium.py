#!/usr/bin/env python3
"""Renders `aistor report --format html` in headless Chromium and checks that every chart the
page declares was laid out with its marks (the page's self-check sets data-drawn), and that each
kind of chart is there. With --history, the page of `aistor history REPORT.json...` instead (its
trend charts). Usage: html_in_chromium.py AISTOR REPORT.json... [--history] [--screenshot PNG]"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

KINDS = {"throughput", "latency", "matrix", "storm", "au"}


def main():
    args = sys.argv[1:]
    screenshot = None
    history = "--history" in args
    if history:
        args.remove("--history")
    if "--screenshot" in args:
        i = args.index("--screenshot")
        screenshot = args[i + 1]
        del args[i:i + 2]
    aistor, reports = args[0], args[1:]
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        sys.exit("html_in_chromium: no chromium on PATH (scripts/install-deps.sh --tests installs it)")
    with tempfile.TemporaryDirectory() as tmp:
        page = os.path.join(tmp, "report.html")
        if history:
            # Exit 1 is a verdict (the newest night starts a regression), not a failure.
            if subprocess.run([aistor, "history", "-o", page, *reports]).returncode not in (0, 1):
                sys.exit("html_in_chromium: aistor history failed")
        else:
            subprocess.run([aistor, "report", "--format", "html", "-o", page, *reports], check=True)
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                 f"--user-data-dir={tmp}/profile"]
        dom = subprocess.run([chromium, *flags, "--dump-dom", "file://" + page],
                             check=True, capture_output=True, text=True, timeout=120).stdout
        if screenshot:
            subprocess.run([chromium, *flags, f"--screenshot={screenshot}",
                            "--window-size=1150,4000", "file://" + page],
                           check=True, capture_output=True, timeout=120)
    figures = re.findall(r'<figure class="chart" ([^>]*)>', dom)
    seen, bad = set(), []
    for attrs in figures:
        a = dict(re.findall(r'data-(\w+)="([^"]*)"', attrs))
        seen.add(a.get("kind"))
        if "drawn" not in a:
            bad.append(f"{a.get('kind')}: the page's self-check did not run")
        elif int(a["marks"]) == 0 or a["drawn"] != a["marks"]:
            bad.append(f"{a.get('kind')}: {a['drawn']} of {a['marks']} marks drawn")
    missing = ({"trend"} if history else KINDS) - seen
    if missing:
        bad.append("no chart of kind " + ", ".join(sorted(missing)))
    if bad:
        sys.exit("html_in_chromium: " + "; ".join(bad))
    print(f"html_in_chromium: {len(figures)} charts, every mark drawn, kinds {sorted(seen)}")


if __name__ == "__main__":
    main()
