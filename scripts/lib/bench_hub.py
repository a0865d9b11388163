"""`scripts/bench --only hub [--hub-clients N] [--hub-seconds S]`: a hub under load.

One `serve` (with a write token) holding 2,000 generated articles, and N client replicas (default
100), each with a folder of 20 articles of its own, which the hub holds too. Set-up, not measured:
one client syncs from the hub; the others are copies of its file, each given an identity of its
own by `reidentify`, and each imports its folder (nothing changes: it holds those articles), so
that every replica holds the same events when the rounds begin. Then, for S seconds (default 60),
rounds: every client changes its 20 files and imports them (one `import` per client, as many at a
time as there are cores), then all N run `sync` at once (a thread per client running the real
command). The figures: syncs per second (over the sync phases, and over the whole time), p50 and
p99 of one sync's time, errors (a sync that failed), the hub's CPU time per sync. At the end
every client syncs until all replicas and the hub hold the same digest (`status --json`), and
how many rounds that took is said.

Then the same with two hubs kept in step (`serve --upstream`: the second hub's link to the first),
the clients split between them half and half.
"""
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import bench
from bench_watch import cpu_seconds

BASE_ARTICLES = 2_000
EDITS = 20


def cli(bin_path, *arguments, db):
    result = subprocess.run([bin_path, *map(str, arguments), "--db", str(db)], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"archive-sync {' '.join(map(str, arguments))} failed: {result.stderr[-1000:]}")
    return result.stdout


def digest(bin_path, db):
    return json.loads(cli(bin_path, "status", "--json", db=db).strip().splitlines()[-1])["digest"]


def percentile(values, share):
    """The nearest-rank percentile of `values`."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, -(-len(ordered) * share // 100))
    return ordered[int(rank) - 1]


class Hub:
    """A `serve` on a free loopback port, with a write token for clients in `token`."""

    def __init__(self, bin_path, work, name, upstream=None):
        self.db = work / f"{name}.db"
        self.token = work / f"{name}.token"
        if not self.db.exists():
            cli(bin_path, "init", "--name", name, db=self.db)
        self.token.write_text(cli(bin_path, "token", "create", "clients", "--scope", "write", db=self.db))
        self.port = bench.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [bin_path, "serve", "--db", self.db, "--port", self.port]
        if upstream:
            command += ["--upstream", upstream]
        self.process = bench.Background(command, wait_for=r"http://")
        if self.process.process.poll() is not None or "http://" not in self.process.text:
            raise RuntimeError(f"serve of {name} did not start")

    def cpu(self):
        """CPU seconds the server has used so far."""
        children = subprocess.run(["pgrep", "-P", str(self.process.process.pid)], capture_output=True,
                                  text=True).stdout.split()
        return sum(cpu_seconds(int(pid)) for pid in children)

    def stop(self):
        return self.process.stop()


def sync_all(bin_path, clients, errors):
    """All clients' `sync` at once, a thread each; returns each sync's wall time (failures are
    counted in `errors`, with their message)."""
    times = []
    lock = threading.Lock()

    def one(client):
        db, hub = client["db"], client["hub"]
        start = time.perf_counter()
        result = subprocess.run([bin_path, "sync", hub.url, "--token-file", str(hub.token), "--db", str(db)],
                                capture_output=True, text=True)
        wall = time.perf_counter() - start
        with lock:
            if result.returncode == 0:
                times.append(wall)
            else:
                errors.append(f"{db.name}: {result.stderr.strip()[-300:]}")

    threads = [threading.Thread(target=one, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times


def client_folders(bin_path, count):
    """The folder of every client's EDITS articles (generated, seed 13), each under client-<i>/:
    paths of their own, which no other client's import touches. Cached under .bench-data/."""
    root = bench.DATA / f"hub-clients-{count}x{EDITS}"
    marker = root / ".complete"
    if not marker.exists():
        shutil.rmtree(root, ignore_errors=True)
        source = bench.generated(bin_path, count * EDITS, seed=13)[0]
        own = bench.files_of([source])
        for index in range(count):
            for path in own[index * EDITS:(index + 1) * EDITS]:
                target = root / f"client-{index}" / path.relative_to(source)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
        marker.write_text("ok\n")
    return root


def base_replica(bin_path, count):
    """The hub's replica, cached: BASE_ARTICLES generated articles and every client's articles."""
    base = bench.DATA / f"hub-base-{BASE_ARTICLES}-and-{count}x{EDITS}-{bench.binary_stamp(bin_path)}.db"
    for stale in bench.DATA.glob(f"hub-base-{BASE_ARTICLES}-and-{count}x{EDITS}-*.db"):
        if stale != base:
            stale.unlink()  # made by another binary
    if not base.exists():
        bench.log(f"  importing {BASE_ARTICLES:,} generated articles and {count} clients' {EDITS} into the hub's replica ...")
        partial = Path(f"{base}.partial")
        for path in bench.DATA.glob(partial.name + "*"):
            path.unlink()
        cli(bin_path, "init", "--name", "hub-a", db=partial)
        report = json.loads(cli(bin_path, "import", "--json", bench.generated(bin_path, BASE_ARTICLES)[0],
                                client_folders(bin_path, count), db=partial).strip().splitlines()[-1])
        if report["created"] != BASE_ARTICLES + count * EDITS:
            raise RuntimeError(f"the hub's import made {report['created']} articles ({report})")
        partial.rename(base)
        Path(f"{partial}.key").unlink(missing_ok=True)  # every hub made from it gets a key of its own
    return base


def make_clients(bin_path, work, hubs, count):
    """`count` client replicas holding what the hubs hold, split over `hubs` in turn: copies of
    one replica synced with the first hub, each given an identity of its own, each with a folder of
    its EDITS articles (imported: unchanged, since it holds them, and now the folder it edits)."""
    template = work / "client-template.db"
    cli(bin_path, "init", "--name", "client-0", db=template)
    cli(bin_path, "sync", hubs[0].url, "--token-file", hubs[0].token, db=template)
    root = client_folders(bin_path, count)

    def prepare(index):
        db = work / f"client-{index}.db"
        for suffix in ("", "-wal"):
            if Path(f"{template}{suffix}").exists():
                shutil.copyfile(f"{template}{suffix}", f"{db}{suffix}")
        cli(bin_path, "reidentify", "--name", f"client-{index}", db=db)
        folder = work / f"folder-{index}"
        shutil.copytree(root / f"client-{index}", folder / f"client-{index}")
        report = json.loads(cli(bin_path, "import", "--json", folder, db=db).strip().splitlines()[-1])
        if report["unchanged"] != EDITS:
            raise RuntimeError(f"client {index}'s folder is not the hub's articles ({report})")
        return {"db": db, "folder": folder, "hub": hubs[index % len(hubs)]}

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        return list(pool.map(prepare, range(count)))


def settle(bin_path, hubs, clients, errors, attempts=5):
    """Syncs every client until every replica and hub holds one digest; returns (rounds, digests
    distinct at the end)."""
    for attempt in range(1, attempts + 1):
        if len(hubs) > 1:
            bench_wait_hubs(bin_path, hubs)
        sync_all(bin_path, clients, errors)
        digests = {digest(bin_path, c["db"]) for c in clients} | {digest(bin_path, h.db) for h in hubs}
        if len(digests) == 1:
            return attempt, 1
    return attempts, len(digests)


def bench_wait_hubs(bin_path, hubs, timeout=60):
    """Waits until the hubs hold the same digest (their link carries what each took)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if len({digest(bin_path, h.db) for h in hubs}) == 1:
            return True
        time.sleep(0.2)
    return False


def load(bin_path, base_db, hub_count, clients_count, seconds):
    """One set-up and measured run with `hub_count` hubs (1 or 2)."""
    work = Path(tempfile.mkdtemp(prefix=f"bench-hub-{hub_count}-"))
    hubs = []
    try:
        shutil.copyfile(base_db, work / "hub-a.db")
        cli(bin_path, "reidentify", "--name", "hub-a", db=work / "hub-a.db")
        hubs.append(Hub(bin_path, work, "hub-a"))
        if hub_count == 2:
            second = work / "hub-b.db"
            cli(bin_path, "init", "--name", "hub-b", db=second)
            link_token = work / "hub-b-link.token"
            link_token.write_text(cli(bin_path, "token", "create", "hub-b", "--scope", "write", db=hubs[0].db))
            cli(bin_path, "peer", "add", "hub-a", hubs[0].url, "--token-file", link_token, db=second)
            cli(bin_path, "sync", "hub-a", db=second)
            hubs.append(Hub(bin_path, work, "hub-b", upstream="hub-a"))
        started = time.perf_counter()
        clients = make_clients(bin_path, work, hubs, clients_count)
        setup_s = time.perf_counter() - started
        bench.log(f"  {hub_count} hub(s), {clients_count} clients ready in {setup_s:.1f} s")

        times, errors, sync_phases, edit_phases, rounds = [], [], [], [], 0
        begun = time.perf_counter()
        hub_cpu = [hub.cpu() for hub in hubs]
        while time.perf_counter() - begun < seconds:
            rounds += 1
            start = time.perf_counter()

            def edit(client, round_number=rounds):
                for path in bench.files_of([client["folder"]]):
                    path.write_bytes(bench.edited(path.read_bytes().decode("utf-8"), round_number).encode("utf-8"))
                report = json.loads(cli(bin_path, "import", "--json", client["folder"], db=client["db"]).splitlines()[-1])
                if report["updated"] != EDITS:
                    raise RuntimeError(f"{client['db'].name}: {report['updated']} updates, {EDITS} expected ({report})")

            with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
                list(pool.map(edit, clients))
            edit_phases.append(time.perf_counter() - start)
            start = time.perf_counter()
            times += sync_all(bin_path, clients, errors)
            sync_phases.append(time.perf_counter() - start)
            bench.log(f"  round {rounds}: edits {edit_phases[-1]:.1f} s, {len(clients)} syncs at once {sync_phases[-1]:.1f} s"
                      f" (p50 {percentile(times, 50):.2f} s so far), {len(errors)} errors")
        measured = time.perf_counter() - begun
        hub_cpu = [hub.cpu() - before for hub, before in zip(hubs, hub_cpu)]
        settle_rounds, distinct = settle(bin_path, hubs, clients, errors)
        final = digest(bin_path, hubs[0].db)
    finally:
        rss = [hub.stop() for hub in hubs]
        shutil.rmtree(work, ignore_errors=True)
    syncs = len(times)
    return {
        "hubs": hub_count, "clients": clients_count, "seconds": measured, "rounds": rounds, "setup_s": setup_s,
        "edits_per_client_per_round": EDITS, "syncs": syncs, "errors": len(errors), "error_samples": errors[:5],
        "syncs_per_s_sync_phases": syncs / sum(sync_phases) if sync_phases else 0.0,
        "syncs_per_s_overall": syncs / measured if measured else 0.0,
        "sync_p50_s": percentile(times, 50), "sync_p99_s": percentile(times, 99), "sync_max_s": max(times, default=0.0),
        "edit_phase_s": bench.median(edit_phases), "sync_phase_s": bench.median(sync_phases),
        "hub_cpu_s": hub_cpu, "hub_cpu_ms_per_sync": sum(hub_cpu) * 1000 / syncs if syncs else float("nan"),
        "settle_rounds": settle_rounds, "digests_at_end": distinct, "digest": final, "hub_rss": rss,
    }


def bench_hub(bin_path, clients=100, seconds=60):
    """The load on one hub, then on two hubs in step; returns both runs' figures."""
    base = base_replica(bin_path, clients)
    results = []
    for hub_count in (1, 2):
        bench.log(f"[hub] {hub_count} hub(s), {clients} clients, {seconds} s of rounds")
        results.append(load(bin_path, base, hub_count, clients, seconds))
    return {"runs": results}


def hub_table(figures):
    lines = ["| hubs | clients | rounds in the time | syncs | syncs/s (sync phases / overall) | sync p50 | sync p99 "
             "| worst | errors | one round: edits / syncs | hub CPU per sync | all digests equal after | hub peak memory |",
             "|---|---:|---:|---:|---|---:|---:|---:|---:|---|---:|---|---|"]
    for r in figures["runs"]:
        same = (f"{r['settle_rounds']} settle round(s)" if r["digests_at_end"] == 1
                else f"NOT equal: {r['digests_at_end']} digests")
        lines.append(
            f"| {r['hubs']} | {r['clients']} | {r['rounds']} ({r['seconds']:.0f} s) | {r['syncs']:,} "
            f"| {r['syncs_per_s_sync_phases']:.1f} / {r['syncs_per_s_overall']:.1f} | {r['sync_p50_s'] * 1000:,.0f} ms "
            f"| {r['sync_p99_s'] * 1000:,.0f} ms | {r['sync_max_s'] * 1000:,.0f} ms | {r['errors']} "
            f"| {r['edit_phase_s']:.1f} s / {r['sync_phase_s']:.1f} s | {r['hub_cpu_ms_per_sync']:.0f} ms | {same} "
            f"| {' / '.join(f'{m:.0f} MB' for m in r['hub_rss'])} |")
    lines += ["", "The clients run on the same cores as the hub(s): in each round every client pulls the other "
              "clients' edits (N - 1) x 20 events, so a round's work grows with N squared, most of it in the clients. "
              "Hub CPU per sync: the CPU time the hub processes used over the rounds, divided by the syncs."]
    return "\n".join(lines)
