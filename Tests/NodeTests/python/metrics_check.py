"""Fetches /metrics and parses it with prometheus_client's text parser (the reference
parser of the format): prints one JSON line
{"content_type": ..., "families": {name: type}, "samples": {"name{k=v,...}": value},
 "histogram_problems": [text, ...]}.
Every histogram is checked here, independently of the node's code: per label set, `le`
bounds strictly increasing and ending in +Inf, cumulative counts never decreasing, the +Inf
bucket equal to _count, a _sum present (and not negative).
A body the parser rejects makes the script fail (exit 1).
Usage: metrics_check.py PORT
"""
import json
import math
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

PORT = int(sys.argv[1])
with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/metrics", timeout=5) as response:
    content_type = response.headers.get("Content-Type", "")
    body = response.read().decode()
families, samples, problems = {}, {}, []


def check_histogram(family):
    series = {}
    for sample in family.samples:
        labels = tuple(sorted((k, v) for k, v in sample.labels.items() if k != "le"))
        entry = series.setdefault(labels, {"buckets": [], "sum": None, "count": None})
        if sample.name.endswith("_bucket"):
            entry["buckets"].append((float(sample.labels["le"]), sample.value))
        elif sample.name.endswith("_sum"):
            entry["sum"] = sample.value
        elif sample.name.endswith("_count"):
            entry["count"] = sample.value
    for labels, entry in series.items():
        where = f"{family.name}{dict(labels)}"
        bounds = [bound for bound, _ in entry["buckets"]]
        counts = [count for _, count in entry["buckets"]]
        if not bounds or bounds[-1] != math.inf:
            problems.append(f"{where}: no +Inf bucket")
        if any(b >= a for a, b in zip(bounds[1:], bounds)):
            problems.append(f"{where}: le bounds not increasing: {bounds}")
        if any(b > a for a, b in zip(counts[1:], counts)):
            problems.append(f"{where}: buckets not cumulative: {counts}")
        if entry["count"] is None or (counts and counts[-1] != entry["count"]):
            problems.append(f"{where}: +Inf bucket {counts[-1] if counts else None} != _count {entry['count']}")
        if entry["sum"] is None or entry["sum"] < 0:
            problems.append(f"{where}: _sum {entry['sum']}")


for family in text_string_to_metric_families(body):
    families[family.name] = family.type
    for sample in family.samples:
        labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
        samples[f"{sample.name}{{{labels}}}"] = sample.value
    if family.type == "histogram":
        check_histogram(family)
print(json.dumps({"content_type": content_type, "families": families, "samples": samples,
                  "histogram_problems": problems}))
