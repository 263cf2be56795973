"""bench/run's results: what is kept of a chat-load summary, the markdown of
docs/benchmarks-latest.md, and the targets table of issue 9 in docs/benchmarks.md with its
verdicts computed from the figures (so a rerun on a quiet machine rewrites them)."""
import json
import os

TARGET_NAMES = {"node-valkey": "chat-node (Valkey)", "node-memory": "chat-node (memory store)",
                "uws": "uWebSockets peer", "node-ws": "node-ws peer"}
COLUMNS = ["node-valkey", "node-memory", "uws", "node-ws"]
BEGIN = "<!-- bench/run targets: begin (rewritten by bench/run; edit bench/report.py instead) -->"
END = "<!-- bench/run targets: end -->"
LEAK_TOLERANCE = (2_000_000, 0.02)  # RSS growth once the soak's tables are full: at most 2 MB or 2 %
SOAK_FULL_S = 330  # when every room's ack table is full in the soak (bench/run.py, plan_args)


def load(path):
    try:
        with open(path) as stored:
            return json.load(stored)
    except (OSError, ValueError):
        return {}


def save(path, results):
    with open(path, "w") as out:
        json.dump(results, out, indent=1, sort_keys=True)
        out.write("\n")


def compact(summary):
    """The fields of a chat-load --json summary that the tables use."""
    if "error" in summary and "messages" not in summary:
        return {"error": summary["error"], "server_alive": summary.get("server_alive")}
    conns, m = summary.get("connections", {}), summary.get("messages", {})
    lat, node = summary.get("latency_ms", {}), summary.get("node") or {}
    e2e, ack = lat.get("end_to_end", {}), lat.get("ack", {})
    loop, generator = summary.get("generator_loop", {}), summary.get("generator") or {}
    return {
        "ending": summary.get("ending"), "sending_s": summary.get("sending_s"),
        "opened": conns.get("opened", 0), "failed": conns.get("failed", 0), "joined": conns.get("joined", 0),
        "target": conns.get("target", 0), "dropped": conns.get("dropped", 0),
        "sent": m.get("sent", 0), "acked": m.get("acked", 0), "rejected": m.get("rejected", 0),
        "delivered": m.get("delivered", 0), "expected": m.get("expected", 0), "loss": m.get("loss", 0),
        "loss_pct": m.get("loss_pct", 0), "extra": m.get("extra", 0),
        "sent_per_s": summary.get("rates", {}).get("sent_per_s", 0),
        "deliveries_per_s": summary.get("rates", {}).get("deliveries_per_s", 0),
        "e2e": {k: e2e.get(k) for k in ("p50", "p95", "p99", "max", "count")},
        "ack": {k: ack.get(k) for k in ("p50", "p99")},
        "cpu_pct": node.get("cpu_pct"), "rss_start": node.get("rss_start", 0), "rss_peak": node.get("rss_peak", 0),
        "rss_end": node.get("rss_end", 0),
        "rss_samples": [[s.get("t_s"), s.get("rss")] for s in node.get("samples", [])],
        "store_cpu_pct": summary.get("store_cpu_pct"), "server_alive": summary.get("server_alive"),
        "generator_cpu_pct": generator.get("cpu_pct"), "generator_max_tick_gap_ms": loop.get("max_tick_gap_ms"),
        "generator_skipped_sends": loop.get("skipped_sends"), "generator_us_per_delivery": loop.get("cpu_us_per_delivery"),
    }


def mb(value):
    return f"{(value or 0) / 1e6:.1f} MB"


def per_conn(r):
    return (r.get("rss_peak", 0) - r.get("rss_start", 0)) / r["opened"] if r.get("opened") else None


def cpu(r):
    text = f"{r.get('cpu_pct')} %" if r.get("cpu_pct") is not None else ""
    if r.get("store_cpu_pct") is not None:
        text += f" (+ Valkey {r['store_cpu_pct']} %)"
    return text


def tries(step):
    return f" (try {step['tries']})" if step.get("tries", 1) > 1 else ""


def cpu_per_message(r):
    if r.get("cpu_pct") is None or not r.get("sent") or not r.get("sending_s"):
        return ""
    return f"{r['cpu_pct'] / 100 * r['sending_s'] / r['sent'] * 1e6:.1f} µs"


def latency(r):
    e2e = r.get("e2e", {})
    return f"{e2e.get('p50')} / {e2e.get('p95')} / {e2e.get('p99')}"


def progress_line(name, target, r):
    if "error" in r:
        return f"{name} {target}: failed: {r['error'][:120]}"
    return (f"{name} {target}: {r['deliveries_per_s']:,.0f} deliveries/s, loss {r['loss']}, "
            f"p50/p95/p99 {latency(r)} ms, cpu {cpu(r)}, rss peak {mb(r['rss_peak'])}")


def stamp(stamp):
    note = f"; {stamp['note']}" if stamp.get("note") else ""
    seconds = f", {stamp['seconds']} s" if stamp.get("seconds") else ""
    return (f"{stamp.get('date')}, commit {stamp.get('commit')}, {stamp.get('cores')} cores ({stamp.get('cpu')}), "
            f"load average {stamp.get('load_avg')}{seconds}{note}")


def stamps(results, names):
    """One line per workload and target: when and how each figure was measured."""
    lines = []
    for name in names:
        for target, r in results[name]["results"].items():
            lines.append(f"- {name}, {TARGET_NAMES.get(target, target)}: {stamp(r.get('stamp', {}))}")
    return lines


def simple_section(results):
    names = [n for n in ("W1", "W2", "W4") if n in results]
    if not names:
        return []
    lines = ["## W1, W2, W4", "",
             "W1: 1,000 connections in 100 rooms, 1,000 msg/s, 64 B. W2: 2,000 connections in one room, 100 msg/s.",
             "W4: 10,000 idle connections (RSS per connection = peak − start over connections opened).", ""]
    lines += stamps(results, names)
    lines += ["", "| target | workload | deliveries/s | loss | delivery p50 / p95 / p99 ms | ack p99 ms | server CPU | server RSS peak |",
              "|---|---|---|---|---|---|---|---|"]
    for name in names:
        for target, r in results[name]["results"].items():
            label = TARGET_NAMES.get(target, target)
            if "error" in r:
                lines.append(f"| {label} | {name} | failed: {r['error'][:80]} | | | | | |")
                continue
            rss = mb(r["rss_peak"])
            if name == "W4" and per_conn(r) is not None:
                rss += f", **{per_conn(r):,.0f} B/conn** ({r['opened']:,} open)"
            if name == "W4":
                lines.append(f"| {label} | {name} | – | – | – | – | {cpu(r)} | {rss} |")
                continue
            lines.append(f"| {label} | {name} | {r['deliveries_per_s']:,.0f} | {r['loss']:,} | {latency(r)} | "
                         f"{r['ack'].get('p99')} | {cpu(r)} | {rss} |")
    return lines + [""]


def w3_section(results):
    if "W3" not in results:
        return []
    entry = results["W3"]
    lines = ["## W3: the W1 shape at rising rates", "",
             "1,000 connections in 100 rooms, 64 B; a step passes with loss ≤ 0.1 %, delivery p99 ≤ 100 ms, "
             "every connection joined, ≥ 95 % of the offered rate sent and every send acknowledged; a failed step is tried again (`--w3-tries`, 2 by default) and the last try is shown.", "", *stamps(results, ["W3"]), "",
             "| target | highest passing msg/s | its deliveries/s | its p99 ms | its server CPU | first failing msg/s: why |",
             "|---|---|---|---|---|---|"]
    for target, sweep in entry["results"].items():
        best = next((s for s in sweep["steps"] if s["rate"] == sweep.get("best_rate")), None)
        failed = next((s for s in sweep["steps"] if s["rate"] == sweep.get("first_failed_rate")), None)
        b = best["summary"] if best else {}
        lines.append(f"| {TARGET_NAMES.get(target, target)} | **{sweep.get('best_rate') or 0:,}** | "
                     f"{b.get('deliveries_per_s', 0):,.0f} | {b.get('e2e', {}).get('p99', '')} | {cpu(b) if b else ''} | "
                     + (f"{failed['rate']:,}: {failed['reason']}{tries(failed)}" if failed else "none failed") + " |")
    lines += ["", "Every step (server CPU per message: its CPU time over the sending phase / messages sent, "
              "a figure less sensitive than the rates to what else runs on the machine):", "",
              "| target | msg/s | sent/s | deliveries/s | loss % | p50 / p95 / p99 ms | server CPU | server CPU per message | verdict |",
              "|---|---|---|---|---|---|---|---|---|"]
    for target, sweep in entry["results"].items():
        for s in sweep["steps"]:
            r = s["summary"]
            if "error" in r:
                lines.append(f"| {TARGET_NAMES.get(target, target)} | {s['rate']:,} | | | | | | | {s['reason']} |")
                continue
            lines.append(f"| {TARGET_NAMES.get(target, target)} | {s['rate']:,} | {r['sent_per_s']:,.0f} | "
                         f"{r['deliveries_per_s']:,.0f} | {r['loss_pct']} | {latency(r)} | {cpu(r)} | "
                         f"{cpu_per_message(r)} | {s['reason']}{tries(s)} |")
    return lines + [""]


def plan_section(results):
    names = [n for n in ("ramp", "burst", "sustained", "soak") if n in results]
    if not names:
        return []
    lines = ["## The original plan's shapes (shortened), and the soak", "",
             "ramp: 100 → 1,000 connections, then held; burst: 500 users in 50 rooms all send at once, 5 s apart; "
             "sustained: 1,000 connections each sending every 5-10 s, the server's RSS sampled each minute; "
             "soak: the W1 shape at 1,300 msg/s, RSS every 30 s (the leak check: flat from 330 s on).", ""]
    lines += stamps(results, names)
    lines += ["", "| scenario | target | joined | sent / acked | delivered / expected | delivery p50 / p95 / p99 / max ms | "
              "server CPU | RSS start / peak / end | still running |", "|---|---|---|---|---|---|---|---|---|"]
    for name in names:
        for target, r in results[name]["results"].items():
            if "error" in r:
                lines.append(f"| {name} | {TARGET_NAMES.get(target, target)} | failed: {r['error'][:80]} | | | | | | |")
                continue
            e2e = r["e2e"]
            lines.append(f"| {name} | {TARGET_NAMES.get(target, target)} | {r['joined']:,} | {r['sent']:,} / {r['acked']:,} | "
                         f"{r['delivered']:,} / {r['expected']:,} | {e2e.get('p50')} / {e2e.get('p95')} / {e2e.get('p99')} / "
                         f"{e2e.get('max')} | {cpu(r)} | {mb(r['rss_start'])} / {mb(r['rss_peak'])} / {mb(r['rss_end'])} | "
                         f"{'yes' if r.get('server_alive') else 'NO'} |")
    for name in ("sustained", "soak"):
        for target, r in results.get(name, {}).get("results", {}).items():
            samples = ", ".join(f"{t:.0f} s: {mb(rss)}" for t, rss in r.get("rss_samples", []) if t is not None)
            lines += ["", f"{name}, {TARGET_NAMES.get(target, target)}, RSS: {samples}"]
    return lines + [""]


def write_latest(path, results):
    text = ["# Benchmarks: latest `bench/run`", "",
            "Written by `bench/run` from docs/benchmarks-latest.json. Servers (and Valkey) on CPU 0, chat-load on CPU 1;",
            "each server started afresh for every chat-load run. Latencies in ms. The table of record with the",
            "targets: [benchmarks.md](benchmarks.md).", ""]
    text += simple_section(results) + w3_section(results) + plan_section(results)
    with open(path, "w") as out:
        out.write("\n".join(text))


# ---- the targets table of issue 9 ----

def result(results, name, target):
    r = results.get(name, {}).get("results", {}).get(target)
    return r if r and "error" not in r else None


SATURATED_CPU_PCT = 50  # a W3 step that fails below this server CPU failed on the machine, not the server


def w3_best(results, target):
    """(highest passing rate, its deliveries/s, whether the sweep ended cleanly: its first
    failing step had the server busy, so the failure was the server's and not a neighbour's)."""
    sweep = results.get("W3", {}).get("results", {}).get(target)
    if not sweep:
        return None
    best = next((s for s in sweep["steps"] if s["rate"] == sweep.get("best_rate")), None)
    failed = next((s for s in sweep["steps"] if s["rate"] == sweep.get("first_failed_rate")), None)
    clean = failed is None or (failed["summary"].get("cpu_pct") or 0) >= SATURATED_CPU_PCT
    return (sweep.get("best_rate") or 0, best["summary"].get("deliveries_per_s", 0) if best else 0, clean)




def verdict(flag):
    return "not measured" if flag is None else ("**met**" if flag else "**not met**")


def leak_growth(r, since):
    """RSS growth from the sample nearest `since` seconds in to the end of the run, and that
    sample's RSS."""
    samples = [(t, rss) for t, rss in r.get("rss_samples", []) if t is not None and rss]
    if len(samples) < 2:
        return None
    base = min(samples, key=lambda s: abs(s[0] - since))
    return r["rss_end"] - base[1], base[1]


def targets_rows(results):
    rows = []

    def cells(fn):
        return " | ".join(fn(t) for t in COLUMNS)

    # W1
    def w1(t):
        r = result(results, "W1", t)
        return f"{r['e2e']['p99']} ms (loss {r['loss']})" if r else "–"
    nodes = [result(results, "W1", t) for t in ("node-valkey", "node-memory")]
    ok = None if not all(nodes) else all(r["e2e"]["p99"] < 2 and r["loss"] == 0 for r in nodes)
    canary = result(results, "W1", "uws")
    text = verdict(ok)
    if ok is False and canary and canary["e2e"]["p99"] >= 2:
        # uWebSockets' p99 in this shape is 0.7-1.0 ms on a quiet machine (issue 9).
        text = f"not judged: the uWebSockets peer itself had {canary['e2e']['p99']} ms (machine noise)"
    rows.append(f"| W1: delivery p99 < 2 ms | {cells(w1)} | {text} |")

    # W2
    def w2(t):
        r = result(results, "W2", t)
        return f"{r['deliveries_per_s']:,.0f}/s, loss {r['loss']:,}" if r else "–"
    nodes = [result(results, "W2", t) for t in ("node-valkey", "node-memory")]
    ok = None if not all(nodes) else all(r["loss"] == 0 and r["deliveries_per_s"] >= 0.95 * 199_900 for r in nodes)
    rows.append(f"| W2: 200,000 deliveries/s (the offered 199,900), no loss | {cells(w2)} | {verdict(ok)} |")

    # W3
    def w3(t):
        b = w3_best(results, t)
        if not b:
            return "–"
        return f"{b[0]:,} msg/s ({b[1]:,.0f} deliveries/s)" + ("" if b[2] else " (stopped below saturation)")
    memory, uws, nodews, valkey = (w3_best(results, t) for t in ("node-memory", "uws", "node-ws", "node-valkey"))
    rows.append(f"| W3: highest passing rate (loss ≤ 0.1 %, p99 ≤ 100 ms) | {cells(w3)} | see below |")

    def ratio(a, b):
        return f"{a[0] / b[0]:.2f}x" if a and b and b[0] else "–"
    def w3_verdict(a, b, factor):
        """a ≥ factor × b? A sweep that stopped below saturation gives only a lower bound
        of its server's ceiling: "met" needs b's ceiling known, "not met" needs a's."""
        if not (a and b):
            return verdict(None)
        if a[0] >= factor * b[0] and b[2]:
            return verdict(True)
        if a[0] < factor * b[0] and a[2]:
            return verdict(False) + ("" if b[2] else " (the other sweep's figure is a lower bound)")
        return "not judged: a sweep stopped with its server below " \
               f"{SATURATED_CPU_PCT} % CPU (the machine, not the server)"
    rows.append(f"| W3: memory store ≥ 0.7x uWebSockets | | {ratio(memory, uws)} of uWS | | | {w3_verdict(memory, uws, 0.7)} |")
    rows.append(f"| W3: memory store ≥ 8x node-ws | | {ratio(memory, nodews)} of node-ws | | | {w3_verdict(memory, nodews, 8)} |")
    rows.append(f"| W3: Valkey ≥ 0.5x memory store | {ratio(valkey, memory)} of memory | | | | {w3_verdict(valkey, memory, 0.5)} |")

    # W4
    def w4(t):
        r = result(results, "W4", t)
        return f"{per_conn(r):,.0f} B/conn" if r and per_conn(r) is not None else "–"
    nodes = [result(results, "W4", t) for t in ("node-valkey", "node-memory")]
    ok = None if not all(nodes) else all(r["opened"] == 10_000 and per_conn(r) <= 2048 for r in nodes)
    rows.append(f"| W4: ≤ 2 KiB of RSS per idle connection | {cells(w4)} | {verdict(ok)} |")

    # The original plan's targets, on the node with Valkey (the product as deployed).
    plan = {n: result(results, n, "node-valkey") for n in ("ramp", "burst", "sustained")}
    got = [r for r in plan.values() if r]
    missing = len(got) < 3

    def plan_cell(fn):
        return " | ".join([fn() if got else "–", "–", "–", "–"])
    users = [plan[n]["joined"] for n in ("ramp", "sustained") if plan[n]]
    rows.append(f"| plan: 1,000+ active users (ramp, sustained) | "
                f"{plan_cell(lambda: ' / '.join(f'{u:,} joined' for u in users))} | "
                f"{verdict(None if missing else all(u >= 1000 for u in users))} |")
    p95 = max((r["e2e"]["p95"] or 0 for r in got), default=0)
    p99 = max((r["e2e"]["p99"] or 0 for r in got), default=0)
    rows.append(f"| plan: p95 < 100 ms, p99 < 500 ms (worst of ramp, burst, sustained) | "
                f"{plan_cell(lambda: f'p95 {p95} ms, p99 {p99} ms')} | "
                f"{verdict(None if missing else p95 < 100 and p99 < 500)} |")
    soak = result(results, "soak", "node-valkey")
    every = got + ([soak] if soak else [])
    peak = max((r["rss_peak"] for r in every), default=0)
    rows.append(f"| plan: RSS < 750 MB (ramp, burst, sustained, soak) | {plan_cell(lambda: f'peak {mb(peak)}')} | "
                f"{verdict(None if missing else peak < 750e6)} |")
    # A node that died mid-run also shows as an error entry: count those too.
    died = [n for n in ("ramp", "burst", "sustained", "soak")
            if n in results and "node-valkey" in results[n]["results"]
            and not results[n]["results"]["node-valkey"].get("server_alive")]
    rows.append(f"| plan: no crash | {plan_cell(lambda: 'running at every end' if not died else 'died in ' + ', '.join(died))} | "
                f"{verdict(None if missing else not died)} |")
    sustained = plan["sustained"]
    growth = leak_growth(sustained, 60) if sustained else None
    soak_growth = leak_growth(soak, SOAK_FULL_S) if soak and soak["sending_s"] > SOAK_FULL_S + 60 else None
    leak_ok = None if soak_growth is None else \
        soak_growth[0] <= max(LEAK_TOLERANCE[0], LEAK_TOLERANCE[1] * soak_growth[1])
    text = []
    if growth:
        text.append(f"sustained: RSS {growth[0] / 1e6:+.1f} MB from minute 1 to the end ({sustained['sending_s']:.0f} s)")
    if soak_growth:
        text.append(f"soak: {soak_growth[0] / 1e6:+.1f} MB from {SOAK_FULL_S} s to the end ({soak['sending_s']:.0f} s), "
                    f"at {mb(soak['rss_end'])}")
    rows.append(f"| plan: no leak (soak: RSS flat once every room's ack table is full, from {SOAK_FULL_S} s) | "
                f"{plan_cell(lambda: '; '.join(text) or 'no samples')} | {verdict(leak_ok)} |")
    return rows


def write_targets(path, results):
    try:
        with open(path) as source:
            text = source.read()
    except OSError:
        return
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        print(f"bench/run: no targets markers in {path}; table not written")
        return
    dates = sorted({f"{r['stamp'].get('date')} (commit {r['stamp'].get('commit')}, load average {r['stamp'].get('load_avg')}"
                    + (f", {r['stamp']['note']}" if r["stamp"].get("note") else "") + ")"
                    for entry in results.values() for r in entry.get("results", {}).values() if "stamp" in r})
    block = [BEGIN, "",
             "| target (issue 9) | chat-node (Valkey) | chat-node (memory store) | uWebSockets peer | node-ws peer | verdict |",
             "|---|---|---|---|---|---|", *targets_rows(results), "",
             "Measured " + "; ".join(dates[:1] + (["…"] if len(dates) > 2 else []) + dates[1:][-1:]) + ". Every figure: [benchmarks-latest.md](benchmarks-latest.md).", "", END]
    with open(path, "w") as out:
        out.write(text[:start] + "\n".join(block) + text[end + len(END):])
