"""`scripts/bench --only scale [--scale-max EVENTS]`: what grows with the journal.

Three replicas: 10^4 events (10,000 generated articles), 10^5 (100,000) and 10^6 (the 100,000
articles and nine edits of each: every file's body changed a little and the folder imported
again, nine times). Each is built once per archive-sync binary and kept under .bench-data/ (with
a .complete marker naming the binary's SHA-256); what is measured works on copies of it
(`reidentify --moved` for the client, `reidentify` for the server, which then holds the same
events under an identity of its own). `verify` and `rebuild` run once at 10^6 events, where each
takes minutes.

Measured on each, median of --runs: `status`, a sync with nothing to send (with a `serve` of the
server copy, over loopback), a sync of 20 edits (20 files of the folder changed and imported from
a folder of their own, not timed; the sync timed), `history` of one article (with 10 events in
the 10^6 replica), `verify` and `rebuild`; and the replica file's size beside the bytes of the
folder it was imported from (its last version).
"""
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import bench

# (events, articles, edit rounds)
LONG_RUN_EVENTS = 1_000_000
SIZES = [(10_000, 10_000, 0), (100_000, 100_000, 0), (1_000_000, 100_000, 9)]
def status_of(bin_path, db):
    out = subprocess.run([bin_path, "status", "--json", "--db", str(db)], check=True,
                               capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def folder_bytes(folder):
    return sum(p.stat().st_size for p in bench.files_of([folder]))


def replica_bytes(db):
    return sum(p.stat().st_size for p in Path(db).parent.glob(Path(db).name + "*") if not p.name.endswith(".key"))


def scale_replica(bin_path, events, articles, rounds, seed=7):
    """The cached replica of `articles` generated articles imported, then `rounds` times edited
    and imported again; returns (replica path, folder). Its event count is checked."""
    place = bench.DATA / f"scale-{articles}x{rounds + 1}-seed{seed}"
    db, folder, marker = place / "replica.db", place / "archive", place / ".complete"
    stamp = bench.binary_stamp(bin_path)
    if marker.exists() and marker.read_text().strip() == stamp:
        return db, folder
    if marker.exists():
        bench.log(f"  {place.name} was made by another archive-sync binary: made again")
    shutil.rmtree(place, ignore_errors=True)
    place.mkdir(parents=True)
    source = bench.generated(bin_path, articles, seed)[0]
    shutil.copytree(source, folder, ignore=shutil.ignore_patterns(".complete"))
    env = dict(os.environ, ARCHIVE_SYNC_DB=str(db))
    bench.run([bin_path, "init", "--name", "scale"], env=env)
    wall, rss = bench.run([bin_path, "import", str(folder)], env=env)
    bench.log(f"  {events:,} events: imported {articles:,} articles in {wall:.1f} s ({rss:.0f} MB)")
    paths = bench.files_of([folder])
    for round_number in range(1, rounds + 1):
        for path in paths:
            path.write_bytes(bench.edited(path.read_bytes().decode("utf-8"), round_number).encode("utf-8"))
        wall, rss = bench.run([bin_path, "import", str(folder)], env=env)
        bench.log(f"  {events:,} events: edit round {round_number} of {rounds} imported in {wall:.1f} s ({rss:.0f} MB)")
    held = status_of(bin_path, db)["events"]
    if held != events:
        raise RuntimeError(f"{db} holds {held:,} events, {events:,} expected")
    marker.write_text(stamp + "\n")
    return db, folder


def copy_replica(source, target):
    """Copies a replica file (and its key) to `target`, a file of its own place."""
    for suffix in ("", "-wal", ".key"):
        if Path(f"{source}{suffix}").exists():
            shutil.copy2(f"{source}{suffix}", f"{target}{suffix}")


def measure_size(bin_path, events, articles, rounds, runs):
    db, folder = scale_replica(bin_path, events, articles, rounds)
    bench.log(f"[scale {events:,} events] {articles:,} articles x {rounds + 1} versions")
    work = Path(tempfile.mkdtemp(prefix=f"bench-scale-{events}-"))
    figures = {"events": events, "articles": articles, "versions": rounds + 1,
               "replica_bytes": replica_bytes(db), "folder_bytes": folder_bytes(folder)}
    timings = {key: [] for key in ("status", "sync_idle", "sync_20_edits", "history", "verify", "rebuild")}
    memory = {key: 0.0 for key in timings}
    try:
        client, server = work / "client.db", work / "server.db"
        copy_replica(db, client)
        copy_replica(db, server)
        client_env = dict(os.environ, ARCHIVE_SYNC_DB=str(client))
        server_env = dict(os.environ, ARCHIVE_SYNC_DB=str(server))
        bench.run([bin_path, "reidentify", "--moved"], env=client_env)
        bench.run([bin_path, "reidentify", "--name", "scale-server"], env=server_env)
        token = work / "token"
        with open(token, "w") as out:
            subprocess.run([bin_path, "token", "create", "client", "--scope", "write"], env=server_env,
                                 stdout=out, check=True)
        port = bench.free_port()
        serve = bench.Background([bin_path, "serve", "--port", str(port)], env=server_env, wait_for=r"http://")
        url = f"http://127.0.0.1:{port}"
        try:
            bench.sync_json(bin_path, url, str(token), client_env)  # the first contact, not timed
            for _ in range(runs):
                wall, rss = bench.run([bin_path, "status"], env=client_env)
                timings["status"].append(wall)
                memory["status"] = max(memory["status"], rss)
                wall, rss, report = bench.sync_json(bin_path, url, str(token), client_env)
                timings["sync_idle"].append(wall)
                memory["sync_idle"] = max(memory["sync_idle"], rss)
            paths = bench.files_of([folder])[:20]
            for index in range(runs):
                edits = work / f"edits-{index}"
                for path in paths:
                    target = edits / path.relative_to(folder)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(bench.edited(path.read_bytes().decode("utf-8"), 100 + index).encode("utf-8"))
                with tempfile.NamedTemporaryFile(mode="r") as out:
                    bench.run([bin_path, "import", "--json", str(edits)], env=client_env, stdout_path=out.name)
                    updated = json.loads(out.read().strip().splitlines()[-1]).get("updated")
                wall, rss, report = bench.sync_json(bin_path, url, str(token), client_env)
                if report["pushed"] != 20 or updated != 20:
                    raise RuntimeError(f"the 20 edits made {updated} updates and {report['pushed']} pushed events")
                timings["sync_20_edits"].append(wall)
                memory["sync_20_edits"] = max(memory["sync_20_edits"], rss)
        finally:
            figures["server_rss"] = serve.stop()
        with tempfile.NamedTemporaryFile(mode="r") as out:
            bench.run([bin_path, "list", "--json", "--limit", "1"], env=client_env, stdout_path=out.name)
            article = json.loads(out.read().strip().splitlines()[0])["id"]
        with tempfile.NamedTemporaryFile(mode="r") as out:
            bench.run([bin_path, "history", "--json", article], env=client_env, stdout_path=out.name)
            figures["history_events"] = sum(1 for line in out.read().splitlines() if '"capture_number"' not in line)
        for key, command in (("history", ["history", article]), ("verify", ["verify"]), ("rebuild", ["rebuild"])):
            # verify and rebuild read the whole journal: once at 10^6 events (minutes each).
            for index in range(runs if key == "history" or events < LONG_RUN_EVENTS else 1):
                wall, rss = bench.run([bin_path, *command], env=client_env)
                timings[key].append(wall)
                memory[key] = max(memory[key], rss)
                bench.log(f"  {key} run {index + 1}: {wall:.2f} s, {rss:.0f} MB")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    figures["s"] = {key: bench.median(values) for key, values in timings.items()}
    figures["runs_s"] = timings
    figures["rss"] = memory
    bench.log(f"  {events:,} events: " + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in figures["s"].items()))
    return figures


def bench_scale(bin_path, runs, scale_max=1_000_000, sizes=None):
    """Each of `sizes` (events, articles, edit rounds; default SIZES) up to `scale_max` events."""
    sizes = sizes or SIZES
    chosen = [size for size in sizes if size[0] <= scale_max]
    return {"sizes": [measure_size(bin_path, *size, runs) for size in chosen], "scale_max": scale_max,
            "left_out": [size[0] for size in sizes if size[0] > scale_max], "runs": runs}


def reading(ratio, growth):
    """How a figure that changed by `ratio` while the journal grew `growth`-fold grows."""
    if ratio <= 2:
        return "no (flat)"
    if ratio < growth / 4:
        return "yes, much slower than the journal"
    return "yes, with the journal"


def magnitude(events):
    exponent = len(str(events)) - 1
    return f"10^{exponent}" if events == 10 ** exponent else f"{events:,}"


def scale_table(figures):
    sizes = figures["sizes"]
    first, last = sizes[0], sizes[-1]
    growth = last["events"] / first["events"]
    ratio_label = f"grows with journal? ({magnitude(last['events'])} / {magnitude(first['events'])})"
    lines = ["| measure | " + " | ".join(f"{magnitude(s['events'])} events" for s in sizes) + f" | {ratio_label} |",
             "|---|" + "---:|" * len(sizes) + "---|"]
    lines.append("| articles x versions | " + " | ".join(f"{s['articles']:,} x {s['versions']}" for s in sizes) + " | |")
    labels = [("status", "`status`"), ("sync_idle", "sync, nothing to send"), ("sync_20_edits", "sync of 20 edits"),
              ("history", "`history` of one article"), ("verify", "`verify`"), ("rebuild", "`rebuild`")]
    for key, label in labels:
        values = [s["s"][key] for s in sizes]
        ratio = values[-1] / values[0]
        cells = [f"{v * 1000:,.0f} ms" if v < 10 else f"{v:,.1f} s" for v in values]
        trend = f"{ratio:.1f}x: {reading(ratio, growth)}" if len(sizes) > 1 else "(one size measured)"
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {trend} |")
    history = [s.get("history_events", 0) for s in sizes]
    lines.append("| events in that history | " + " | ".join(str(h) for h in history) + " | |")
    replica = [s["replica_bytes"] for s in sizes]
    folder = [s["folder_bytes"] for s in sizes]
    lines.append("| replica file / the folder's bytes | " + " | ".join(
        f"{r / 1e6:,.0f} MB / {f / 1e6:,.0f} MB = {r / f:.2f}x" for r, f in zip(replica, folder))
        + (f" | {replica[-1] / replica[0]:.1f}x the file |" if len(sizes) > 1 else " | |"))
    for key, label in (("sync_idle", "peak memory: sync client"), ("verify", "peak memory: `verify`"),
                       ("rebuild", "peak memory: `rebuild`")):
        values = [s["rss"][key] for s in sizes]
        lines.append(f"| {label} | " + " | ".join(f"{v:.0f} MB" for v in values)
                     + (f" | {values[-1] / values[0]:.1f}x |" if len(sizes) > 1 else " | |"))
    values = [s["server_rss"] for s in sizes]
    lines.append("| peak memory: `serve` | " + " | ".join(f"{v:.0f} MB" for v in values)
                 + (f" | {values[-1] / values[0]:.1f}x |" if len(sizes) > 1 else " | |"))
    note = (f"Measured: {', '.join(magnitude(s['events']) for s in sizes)} events"
            + (f"; left out (--scale-max {figures['scale_max']:,}): {', '.join(magnitude(e) for e in figures['left_out'])}"
               if figures["left_out"] else "") + f". Median of {figures['runs']} runs (`verify` and `rebuild`: one run at {LONG_RUN_EVENTS:,} events and more); "
            "wall time of the whole command.")
    return "\n".join(lines + ["", note])
