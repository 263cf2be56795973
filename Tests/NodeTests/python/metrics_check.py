"""Fetches /metrics and parses it with prometheus_client's text parser (the reference
parser of the format): prints one JSON line
{"families": {name: type}, "samples": {"name{k=v,...}": value}}.
A body the parser rejects makes the script fail (exit 1).
Usage: metrics_check.py PORT
"""
import json
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

PORT = int(sys.argv[1])
with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/metrics", timeout=5) as response:
    content_type = response.headers.get("Content-Type", "")
    body = response.read().decode()
families, samples = {}, {}
for family in text_string_to_metric_families(body):
    families[family.name] = family.type
    for sample in family.samples:
        labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
        samples[f"{sample.name}{{{labels}}}"] = sample.value
print(json.dumps({"content_type": content_type, "families": families, "samples": samples}))
