"""`scripts/bench --only summary`: every goal figure beside its reference and its goal, read from
the figures the sections saved in bench-results/*.json (replica, sync, realtext, scale, hub), each
row marked met, not met, or not measured.
"""
import json

SYNC_TIME_GOAL = 0.5      # first sync time / git push time
SYNC_BYTES_GOAL = 0.8     # first sync bytes / git push bytes
MEMORY_GOAL_MB = 64       # peak RSS of client and server at 100,000 articles
IMPORT_GOAL = 5_000       # articles per second, generated 20,000
SEARCH_GOAL_MS = 50       # p95 of each single-word query at 100,000 articles
FLAT_GOAL = 2.0           # 10^6 / 10^4 for what must not grow with the journal
COMMON_WORDS = ("中", "的", "美国", "government")


def load(results):
    figures = {}
    for name in ("replica", "sync", "realtext", "scale", "hub"):
        path = results / f"{name}.json"
        if path.exists():
            figures[name] = json.loads(path.read_text(encoding="utf-8"))
    return figures


def by_name(rows, name):
    return next((row for row in rows or [] if row.get("name") == name), None)


def verdict(ok):
    return "met" if ok else "NOT met"


def summary_rows(figures):
    """(figure, value, reference, goal, verdict, source) rows."""
    rows = []
    sources = {"sync": figures.get("sync", {}).get("results", []),
               "realtext": figures.get("realtext", {}).get("syncs", [])}
    replicas = {"replica": figures.get("replica", {}).get("results", []),
                "realtext": figures.get("realtext", {}).get("replicas", [])}
    stamp = {name: figures[name].get("date", "") for name in figures}
    sync_names = [("sync", "generated 20,000"), ("sync", "generated 100,000"),
                  ("realtext", "realtext 20,000"), ("realtext", "realtext 100,000")]
    for source, name in sync_names:
        r = by_name(sources[source], name)
        label = f"first sync, {name}"
        if not r or "git_first" not in r:
            rows.append((f"{label}: time vs `git push`", "not measured", "", f"≤ {SYNC_TIME_GOAL}x git", "not measured", ""))
            rows.append((f"{label}: bytes vs git", "not measured", "", f"≤ {SYNC_BYTES_GOAL}x git", "not measured", ""))
            if "100,000" in name:
                rows.append((f"{label}: peak memory client / server", "not measured", "", f"≤ {MEMORY_GOAL_MB} MB each",
                             "not measured", ""))
            continue
        f, g = r["first"], r["git_first"]
        ratio = f["s"] / g["s"]
        rows.append((f"{label}: time vs `git push`", f"{f['s']:.2f} s = {ratio:.2f}x git", f"git push {g['s']:.2f} s",
                     f"≤ {SYNC_TIME_GOAL}x git", verdict(ratio <= SYNC_TIME_GOAL), f"{source} {stamp[source]}"))
        ratio = f["bytes"] / g["bytes"]
        rows.append((f"{label}: bytes vs git", f"{f['bytes'] / 1e6:.1f} MB = {ratio:.2f}x git",
                     f"git {g['bytes'] / 1e6:.1f} MB", f"≤ {SYNC_BYTES_GOAL}x git", verdict(ratio <= SYNC_BYTES_GOAL),
                     f"{source} {stamp[source]}"))
        if "first_search_ready_s" in r:
            ratio = r["first_search_ready_s"] / g["s"]
            rows.append((f"{label}: until the server's search index is ready too",
                         f"{r['first_search_ready_s']:.2f} s = {ratio:.2f}x git", f"git push {g['s']:.2f} s",
                         f"≤ {SYNC_TIME_GOAL}x git", verdict(ratio <= SYNC_TIME_GOAL), f"{source} {stamp[source]}"))
        if "pull" in r and "git_clone" in r:
            p, gc = r["pull"], r["git_clone"]
            ratio = p["s"] / gc["s"]
            rows.append((f"first pull into an empty replica, {name}: time vs `git clone`",
                         f"{p['s']:.2f} s = {ratio:.2f}x git", f"git clone {gc['s']:.2f} s",
                         f"≤ {SYNC_TIME_GOAL}x git", verdict(ratio <= SYNC_TIME_GOAL), f"{source} {stamp[source]}"))
        if "100,000" in name:
            if "first_anon_client" in r:
                rows.append((f"{label}: private memory (RssAnon) client / server / pulling client",
                             f"{r['first_anon_client']:.0f} / {r['first_anon_server']:.0f} / "
                             f"{r.get('pull_anon_client', float('nan')):.0f} MB",
                             "peak RSS minus the executable's pages", f"≤ {MEMORY_GOAL_MB} MB each",
                             verdict(max(r["first_anon_client"], r["first_anon_server"],
                                         r.get("pull_anon_client", 0)) <= MEMORY_GOAL_MB), f"{source} {stamp[source]}"))
            worst = max(f["rss"], r["first_server_rss"])
            rows.append((f"{label}: peak memory client / server", f"{f['rss']:.0f} / {r['first_server_rss']:.0f} MB",
                         f"git {g['rss']:.0f} / daemon {r.get('git_daemon_rss', float('nan')):.0f} MB",
                         f"≤ {MEMORY_GOAL_MB} MB each", verdict(worst <= MEMORY_GOAL_MB), f"{source} {stamp[source]}"))

    for source, name in (("replica", "generated 20,000"), ("realtext", "realtext 20,000")):
        r = by_name(replicas[source], name)
        if not r:
            rows.append((f"import rate, {name}", "not measured", "", f"≥ {IMPORT_GOAL:,} art/s", "not measured", ""))
            continue
        reference = f"sqlite3 insert {r['reference_rate']:,.0f} rows/s" if "reference_rate" in r else ""
        rows.append((f"import rate, {name}", f"{r['import_rate']:,.0f} art/s ({r['import_rss']:.0f} MB)", reference,
                     f"≥ {IMPORT_GOAL:,} art/s", verdict(r["import_rate"] >= IMPORT_GOAL), f"{source} {stamp[source]}"))

    for source, name in (("replica", "generated 100,000"), ("realtext", "realtext 100,000")):
        r = by_name(replicas[source], name)
        if not r or not r.get("search_p95_ms"):
            rows.append((f"search p95, {name}", "not measured", "", f"≤ {SEARCH_GOAL_MS} ms", "not measured", ""))
            continue
        p95 = r["search_p95_ms"]
        worst_query = max(p95, key=p95.get)
        common = ", ".join(f"{q} {p95[q]:.0f}" for q in COMMON_WORDS if q in p95)
        rows.append((f"search p95 of each query, {name}", f"worst {worst_query} {p95[worst_query]:.0f} ms; {common} ms",
                     f"median of queries {sorted(r['search_ms'].values())[len(r['search_ms']) // 2]:.0f} ms",
                     f"≤ {SEARCH_GOAL_MS} ms", verdict(p95[worst_query] <= SEARCH_GOAL_MS), f"{source} {stamp[source]}"))

    scale = figures.get("scale")
    if scale and scale.get("sizes"):
        sizes = scale["sizes"]
        first, last = sizes[0], sizes[-1]
        span = f"{first['events']:,} → {last['events']:,} events"
        for key, label in (("status", "`status`"), ("sync_idle", "sync, nothing to send"),
                           ("sync_20_edits", "sync of 20 edits"), ("history", "`history` of one article")):
            ratio = last["s"][key] / first["s"][key]
            rows.append((f"scale: {label}", " / ".join(f"{s['s'][key] * 1000:,.0f}" for s in sizes) + " ms",
                         span, f"flat: ≤ {FLAT_GOAL:.0f}x",
                         f"{verdict(ratio <= FLAT_GOAL)} ({ratio:.1f}x)" if len(sizes) > 1 else "not measured (one size)",
                         f"scale {stamp['scale']}"))
        for key, label in (("verify", "`verify`"), ("rebuild", "`rebuild`")):
            ratio = last["s"][key] / first["s"][key]
            rows.append((f"scale: {label}", " / ".join(f"{s['s'][key]:,.1f}" for s in sizes) + " s", span,
                         "for information (reads the whole journal)", f"{ratio:.0f}x", f"scale {stamp['scale']}"))
        rows.append(("scale: replica file / folder bytes",
                     " / ".join(f"{s['replica_bytes'] / s['folder_bytes']:.2f}x" for s in sizes), span,
                     "for information", "", f"scale {stamp['scale']}"))
        memory = [max(s["rss"]["sync_idle"], s["rss"]["sync_20_edits"], s["server_rss"]) for s in sizes]
        rows.append(("scale: peak memory of sync client / server",
                     " ; ".join(f"{max(s['rss']['sync_idle'], s['rss']['sync_20_edits']):.0f} / {s['server_rss']:.0f}"
                                for s in sizes) + " MB", span, f"≤ {MEMORY_GOAL_MB} MB each",
                     verdict(max(memory) <= MEMORY_GOAL_MB), f"scale {stamp['scale']}"))
        if scale.get("left_out"):
            rows.append(("scale: sizes left out", ", ".join(f"{e:,}" for e in scale["left_out"]) + " events", "",
                         "10^4, 10^5, 10^6 events", "not measured", f"scale {stamp['scale']}"))
    else:
        rows.append(("scale table (10^4, 10^5, 10^6 events)", "not measured", "", "", "not measured", ""))

    hub = figures.get("hub")
    for run in hub["runs"] if hub else []:
        label = f"hub: {run['hubs']} hub(s), {run['clients']} clients, {run['seconds']:.0f} s"
        source = f"hub {stamp['hub']}"
        rows.append((f"{label}: syncs/s", f"{run['syncs_per_s_sync_phases']:.1f} (sync phases), "
                     f"{run['syncs_per_s_overall']:.1f} overall",
                     f"{run['syncs']:,} syncs; hub CPU {run.get('hub_cpu_ms_per_sync', float('nan')):.0f} ms per sync",
                     "for information", "", source))
        rows.append((f"{label}: sync p50 / p99", f"{run['sync_p50_s'] * 1000:,.0f} / {run['sync_p99_s'] * 1000:,.0f} ms",
                     f"{run['clients']} syncs at once", "for information", "", source))
        rows.append((f"{label}: errors", str(run["errors"]), "", "0", verdict(run["errors"] == 0), source))
        rows.append((f"{label}: one digest at the end", "yes" if run["digests_at_end"] == 1 else
                     f"no, {run['digests_at_end']} digests", f"after {run['settle_rounds']} settle round(s)",
                     "every replica the same", verdict(run["digests_at_end"] == 1), source))
    if not hub:
        rows.append(("hub under load", "not measured", "", "0 errors, one digest", "not measured", ""))
    return rows


def summary_table(figures):
    lines = ["| figure | value | reference | goal | verdict | measured in |", "|---|---|---|---|---|---|"]
    for row in summary_rows(figures):
        lines.append("| " + " | ".join(row) + " |")
    rows = summary_rows(figures)
    met = sum(1 for row in rows if row[4].startswith("met"))
    missed = sum(1 for row in rows if row[4].startswith("NOT"))
    lines += ["", f"{met} goals met, {missed} not met, "
              f"{sum(1 for row in rows if row[4].startswith('not measured'))} not measured."]
    return "\n".join(lines)
