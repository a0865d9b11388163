"""`scripts/bench --only watch`: two laptops kept in step through a hub by `archive-sync watch`.

Latency: a file written (whole, then renamed in) into laptop 1's folder, until the same file is
in laptop 2's folder: import, push, the hub answering laptop 2's held pull, pull, export. 50
files one after another, each once the one before has arrived; median and worst.

Idle cost: the two watches and the hub left alone for --idle seconds once everything settled:
CPU seconds each process used (from /proc/PID/stat), scaled to an hour, and the requests the
hub served per minute per watch (counted from its log, one line per request).
"""
import json
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """User plus system CPU seconds of process `pid` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def wait_for(predicate, timeout, step=0.005):
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def request_lines(log_path):
    """How many request lines the hub has logged."""
    text = Path(log_path).read_text(errors="replace")
    return sum(1 for line in text.splitlines() if "/v1/" in line)


def bench_watch(bin_path, generated, files=50, idle=120, seed_articles=2_000, log=print):
    work = Path(tempfile.mkdtemp(prefix="archive-sync-bench-watch-"))
    processes = []
    env = dict(os.environ)

    def cli(*arguments, db):
        return subprocess.run([bin_path, *arguments, "--db", str(db)], env=env, check=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True).stdout

    try:
        hub_db = work / "hub.db"
        cli("init", "--name", "hub", db=hub_db)
        token = work / "hub.token"
        token.write_text(cli("token", "create", "laptops", "--scope", "write", db=hub_db))
        hub_log = work / "hub.log"
        hub = subprocess.Popen([bin_path, "serve", "--db", str(hub_db), "--port", "0"], env=env,
                               stdout=subprocess.PIPE, stderr=open(hub_log, "wb"), text=True)
        processes.append(hub)
        first = hub.stdout.readline()
        port = int(first.split("127.0.0.1:")[1].split(";")[0].split()[0])
        url = f"http://127.0.0.1:{port}"

        laptops = []
        for number in (1, 2):
            db = work / f"laptop-{number}.db"
            folder = work / f"laptop-{number}"
            folder.mkdir()
            cli("init", "--name", f"laptop-{number}", db=db)
            cli("peer", "add", "hub", url, "--token-file", str(token), db=db)
            laptops.append((db, folder))
        # An archive already held on both sides: laptop 1 imports it, both watches align it.
        source = generated(bin_path, seed_articles)[0]
        cli("import", str(source), db=laptops[0][0])
        watches = []
        for db, folder in laptops:
            out = open(work / f"{folder.name}.out", "wb")
            watch = subprocess.Popen([bin_path, "watch", "--db", str(db), "--folder", str(folder), "--peer", "hub"],
                                     env=env, stdout=out, stderr=subprocess.STDOUT)
            processes.append(watch)
            watches.append(watch)
        log(f"watch: aligning {seed_articles:,} articles into both folders...")
        if not wait_for(lambda: sum(1 for _ in laptops[1][1].rglob("*.md")) + sum(1 for _ in laptops[1][1].rglob("*.txt"))
                        >= seed_articles, 600, step=0.5):
            raise RuntimeError("laptop 2's folder did not fill")

        latencies = []
        generator_dir = work / "new"
        fresh = generated(bin_path, seed_articles + files, seed=11)[0]
        new_files = sorted(p for p in Path(fresh).rglob("*") if p.is_file() and not p.name.startswith("."))[:files]
        for index, path in enumerate(new_files):
            relative = f"bench/{index:03d}-{path.name}"
            target = laptops[0][1] / relative
            arrived = laptops[1][1] / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = laptops[0][1] / f".incoming-{index}"
            temporary.write_bytes(path.read_bytes())
            start = time.perf_counter()
            os.rename(temporary, target)
            if not wait_for(arrived.exists, 60):
                raise RuntimeError(f"{relative} did not reach laptop 2 within 60 s")
            latencies.append(time.perf_counter() - start)
        log(f"watch: {files} files, median {statistics.median(latencies):.3f} s, worst {max(latencies):.3f} s")

        # Idle: let what is in flight settle, then measure.
        time.sleep(5)
        before_cpu = [cpu_seconds(p.pid) for p in [*watches, hub]]
        before_requests = request_lines(hub_log)
        started = time.perf_counter()
        time.sleep(idle)
        elapsed = time.perf_counter() - started
        after_cpu = [cpu_seconds(p.pid) for p in [*watches, hub]]
        requests = request_lines(hub_log) - before_requests
        per_hour = [(a - b) * 3600 / elapsed for a, b in zip(after_cpu, before_cpu)]
        figures = {
            "files": files,
            "latency_median_s": statistics.median(latencies),
            "latency_worst_s": max(latencies),
            "latencies_s": latencies,
            "idle_seconds": elapsed,
            "idle_cpu_seconds_per_hour": {"watch laptop-1": per_hour[0], "watch laptop-2": per_hour[1],
                                          "hub": per_hour[2]},
            "idle_requests_per_minute_per_watch": requests / (elapsed / 60) / len(watches),
        }
        return figures
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
        subprocess.run(["rm", "-rf", str(work)])


def watch_section(figures):
    cpu = figures["idle_cpu_seconds_per_hour"]
    median = figures["latency_median_s"]
    rows = [
        "| measure | value | goal |",
        "|---|---:|---|",
        f"| file on laptop 1 → file in laptop 2's folder, median of {figures['files']} | {median:.3f} s | "
        f"under 2 s: {'met' if median < 2 else 'NOT met'} |",
        f"| the same, worst | {figures['latency_worst_s']:.3f} s | |",
        f"| idle watch: CPU per hour (laptop 1, laptop 2) | {cpu['watch laptop-1']:.1f} s, {cpu['watch laptop-2']:.1f} s | near zero |",
        f"| idle hub: CPU per hour | {cpu['hub']:.1f} s | |",
        f"| idle watch: requests per minute | {figures['idle_requests_per_minute_per_watch']:.2f} | near zero |",
    ]
    return "\n".join(rows)


def write_results(results_dir, figures, stamp):
    text = "\n".join([
        f"# archive-sync benchmark: watch, {stamp} ({os.cpu_count()} cores)", "",
        "Two laptops, each running `archive-sync watch --folder F --peer hub`, and a hub (`archive-sync serve`), "
        "over loopback, after both folders were aligned on 2,000 generated articles. Latency: a file renamed "
        "into laptop 1's folder until it exists in laptop 2's (import, push, the hub answering laptop 2's held "
        "pull, pull, export), one file at a time. Idle: CPU time each process used while nothing happened, "
        f"over {figures['idle_seconds']:.0f} s, scaled to an hour, and the hub's requests per minute per watch.", "",
        watch_section(figures), ""])
    results_dir.mkdir(exist_ok=True)
    (results_dir / "watch.md").write_text(text + "\n", encoding="utf-8")
    (results_dir / "watch.json").write_text(json.dumps(dict(figures, date=stamp), indent=2) + "\n", encoding="utf-8")
    return text
