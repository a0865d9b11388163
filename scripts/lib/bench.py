#!/usr/bin/env python3
"""The benchmark driver behind scripts/bench (standard library only).

Every figure is the median of --runs runs, measured on this machine in the same run as the
reference it is compared with. Peak memory is the maximum resident set size of the process
(from wait4), in MB.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / ".bench-data"
RESULTS = ROOT / "bench-results"
SEARCHES = ["朝鲜", "美国", "疫情 政府", "金正恩", "COVID", "government", "台湾 选举", "中"]


def log(message):
    print(message, file=sys.stderr, flush=True)


def run(command, env=None, cwd=None, stdin_path=None):
    """Runs a command; returns (wall seconds, peak RSS in MB). Raises on failure.

    Peak memory comes from GNU time (a forked child's own ru_maxrss would include this
    script's memory at the fork)."""
    with tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile(mode="r") as rss:
        stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
        start = time.perf_counter()
        process = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss.name, *map(str, command)],
                                 env=env, cwd=cwd, stdin=stdin, stdout=subprocess.DEVNULL, stderr=err)
        wall = time.perf_counter() - start
        if stdin_path:
            stdin.close()
        if process.returncode != 0:
            err.seek(0)
            raise RuntimeError(f"{' '.join(map(str, command))} failed ({process.returncode}): {err.read().decode()[-2000:]}")
        return wall, int(rss.read().strip().splitlines()[-1]) / 1024


def median(values):
    return statistics.median(values) if values else float("nan")


def parse_article(text):
    """The fields of an archive file (the format of protocol/CANONICAL.md's articles)."""
    front = ""
    if text.startswith("---\n"):
        end = text.index("\n---\n", 3) + 5
        front, text = text[:end], text[end:]
    stamp, link, _dashes, _blank, body = text.split("\n", 4)
    split = link.index("](")
    return front, int(stamp[4:-3]), link[1:split], link[split + 2:-1], body


def files_of(folders):
    paths = []
    for folder in folders:
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file() and path.suffix in (".txt", ".md"):
                paths.append(path)
    return paths


def reference_sql(name, folders):
    """One SQL script: the articles' rows inserted into one plain table in one transaction."""
    target = DATA / f"{name}.reference.sql"
    if target.exists():
        return target
    DATA.mkdir(exist_ok=True)
    quote = lambda s: "'" + s.replace("'", "''") + "'"
    with open(target, "w", encoding="utf-8") as out:
        out.write("CREATE TABLE article (url TEXT, title TEXT, body TEXT, front_matter TEXT, captured_at INTEGER, path TEXT);\n")
        out.write("BEGIN;\n")
        for path in files_of(folders):
            front, stamp, title, url, body = parse_article(path.read_text(encoding="utf-8"))
            out.write(f"INSERT INTO article VALUES ({quote(url)}, {quote(title)}, {quote(body)}, {quote(front)}, {stamp}, {quote(path.name)});\n")
        out.write("COMMIT;\n")
    return target


def generated(bin_path, count, seed=7):
    folder = DATA / f"generated-{count}-seed{seed}"
    marker = folder / ".complete"
    if not marker.exists():
        shutil.rmtree(folder, ignore_errors=True)
        log(f"  generating {count} articles into {folder} ...")
        run([bin_path, "generate", str(folder), "--count", str(count), "--seed", str(seed)])
        marker.write_text("ok\n")
    return [folder]


def bench_replica(bin_path, name, folders, runs):
    files = files_of(folders)
    count = len(files)
    size_mb = sum(p.stat().st_size for p in files) / 1e6
    log(f"[{name}] {count} articles, {size_mb:.1f} MB")
    sql = reference_sql(name, folders)
    reference = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as scratch:
            reference.append(run(["sqlite3", f"{scratch}/reference.db"], stdin_path=sql))
    log(f"  reference (sqlite3, one transaction): {median([r[0] for r in reference]):.2f} s")

    imports, rebuilds, searches = [], [], {}
    work = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
    try:
        for index in range(runs):
            database = work / f"replica-{index}.db"
            env = dict(os.environ, ARCHIVE_SYNC_DB=str(database))
            run([bin_path, "init", "--name", "bench"], env=env)
            imports.append(run([bin_path, "import", *map(str, folders)], env=env))
            log(f"  import run {index + 1}: {imports[-1][0]:.2f} s, {imports[-1][1]:.0f} MB")
        env = dict(os.environ, ARCHIVE_SYNC_DB=str(work / "replica-0.db"))
        for index in range(runs):
            rebuilds.append(run([bin_path, "rebuild"], env=env))
            log(f"  rebuild run {index + 1}: {rebuilds[-1][0]:.2f} s, {rebuilds[-1][1]:.0f} MB")
        for query in SEARCHES:
            times = [run([bin_path, "search", *query.split(), "--limit", "20"], env=env)[0] for _ in range(max(runs, 5))]
            searches[query] = median(times)
        db_mb = sum(p.stat().st_size for p in work.glob("replica-0.db*")) / 1e6
        for index in range(1, runs):
            for path in work.glob(f"replica-{index}.db*"):
                path.unlink()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    ref_s = median([r[0] for r in reference])
    import_s = median([r[0] for r in imports])
    rebuild_s = median([r[0] for r in rebuilds])
    return {
        "name": name, "articles": count, "mb": size_mb,
        "reference_s": ref_s, "reference_rate": count / ref_s, "reference_rss": max(r[1] for r in reference),
        "import_s": import_s, "import_rate": count / import_s, "import_mbs": size_mb / import_s,
        "import_rss": max(r[1] for r in imports), "ratio": (count / import_s) / (count / ref_s),
        "rebuild_s": rebuild_s, "rebuild_rate": count / rebuild_s, "rebuild_rss": max(r[1] for r in rebuilds),
        "rebuild_vs_import": import_s / rebuild_s,
        "search_ms": {q: t * 1000 for q, t in searches.items()}, "db_mb": db_mb,
    }


def replica_table(results):
    lines = [
        "| archive | articles | MB | reference: sqlite3 insert | archive-sync import | import / reference | rebuild | rebuild vs import | search (median of queries) | peak memory import / rebuild / reference | replica file |",
        "|---|---:|---:|---|---|---:|---|---:|---|---|---:|",
    ]
    for r in results:
        search = median(list(r["search_ms"].values()))
        worst = max(r["search_ms"].values())
        lines.append(
            f"| {r['name']} | {r['articles']:,} | {r['mb']:.1f} "
            f"| {r['reference_s']:.2f} s, {r['reference_rate']:,.0f} art/s "
            f"| {r['import_s']:.2f} s, {r['import_rate']:,.0f} art/s, {r['import_mbs']:.1f} MB/s "
            f"| {r['ratio']:.3f} ({1 / r['ratio']:.1f}x slower) "
            f"| {r['rebuild_s']:.2f} s, {r['rebuild_rate']:,.0f} events/s | {r['rebuild_vs_import']:.2f}x faster "
            f"| {search:.0f} ms (worst {worst:.0f} ms) "
            f"| {r['import_rss']:.0f} / {r['rebuild_rss']:.0f} / {r['reference_rss']:.0f} MB | {r['db_mb']:.0f} MB |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bin", required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="the corpus and 20,000 articles only")
    parser.add_argument("--only", choices=["replica", "sync"], help="one part of the benchmark")
    args = parser.parse_args()

    corpus = Path(os.environ.get("ARCHIVE_SYNC_CORPUS", ROOT.parent / "shared" / "corpus"))
    report = [f"# archive-sync benchmark, {time.strftime('%Y-%m-%d %H:%M')} ({os.cpu_count()} cores, median of {args.runs} runs)", ""]
    if args.only in (None, "replica"):
        results = []
        if (corpus / "articles").exists():
            results.append(bench_replica(args.bin, "corpus", [corpus / "articles" / "plain", corpus / "articles" / "frontmatter"], args.runs))
        else:
            log(f"no corpus at {corpus}: only generated archives are measured")
        for count in ([20_000] if args.quick else [20_000, 100_000]):
            results.append(bench_replica(args.bin, f"generated {count:,}", generated(args.bin, count), args.runs))
        report += ["## Replica: import, rebuild, search", "", replica_table(results), "",
                   "Search latency per query (ms, whole command): " + "; ".join(
                       f"{r['name']}: " + ", ".join(f"{q} {t:.0f}" for q, t in r["search_ms"].items()) for r in results), ""]
    text = "\n".join(report)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.md").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
