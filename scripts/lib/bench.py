#!/usr/bin/env python3
"""The benchmark driver behind scripts/bench (standard library only).

Every figure is the median of --runs runs, measured on this machine in the same run as the
reference it is compared with. Peak memory is the maximum resident set size of the process
(from wait4), in MB.
"""
import argparse
import hashlib
import json
import os
import re
import shutil
import socket
import threading
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / ".bench-data"
RESULTS = ROOT / "bench-results"
SEARCHES = ["朝鲜", "美国", "疫情 政府", "金正恩", "COVID", "government", "台湾 选举", "中", "的"]
# Runs of each query: its p95 is the 19th of 20.
SEARCH_RUNS = 20


def log(message):
    print(message, file=sys.stderr, flush=True)


def run(command, env=None, cwd=None, stdin_path=None, stdout_path=None):
    """Runs a command; returns (wall seconds, peak RSS in MB). Raises on failure.

    Peak memory comes from GNU time (a forked child's own ru_maxrss would include this
    script's memory at the fork). With stdout_path, the command's output is kept there."""
    with tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile(mode="r") as rss:
        stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
        stdout = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL
        start = time.perf_counter()
        process = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss.name, *map(str, command)],
                                 env=env, cwd=cwd, stdin=stdin, stdout=stdout, stderr=err)
        wall = time.perf_counter() - start
        if stdin_path:
            stdin.close()
        if stdout_path:
            stdout.close()
        if process.returncode != 0:
            err.seek(0)
            raise RuntimeError(f"{' '.join(map(str, command))} failed ({process.returncode}): {err.read().decode()[-2000:]}")
        return wall, int(rss.read().strip().splitlines()[-1]) / 1024


def median(values):
    return statistics.median(values) if values else float("nan")


def percentile(values, share):
    """The nearest-rank percentile `share` (0-100) of `values`."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[max(1, -(-len(ordered) * share // 100)) - 1]


def search_figures(runs_ms):
    """Median and p95 per query, from each query's times (ms)."""
    return {"search_runs_ms": runs_ms, "search_ms": {q: median(t) for q, t in runs_ms.items()},
            "search_p95_ms": {q: percentile(t, 95) for q, t in runs_ms.items()}}


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


def binary_stamp(bin_path):
    """What names the binary a cached replica was made by: the SHA-256 of its bytes (a replica
    file made by another build may hold another layout, or be refused)."""
    digest = hashlib.sha256()
    with open(bin_path, "rb") as binary:
        for block in iter(lambda: binary.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def generated(bin_path, count, seed=7):
    folder = DATA / f"generated-{count}-seed{seed}"
    marker = folder / ".complete"
    if not marker.exists():
        shutil.rmtree(folder, ignore_errors=True)
        log(f"  generating {count} articles into {folder} ...")
        run([bin_path, "generate", str(folder), "--count", str(count), "--seed", str(seed)])
        marker.write_text("ok\n")
    return [folder]


RECAPTURE_SENTENCE = "<p>重新抓取时，该报道补充了一段说明。</p>"


def recaptured_file(text, kind, minutes):
    """The text of a recapture of an article file: the same bytes ("identical"), another front
    matter ("front matter": a line added, or a small Jekyll block where the file has none), or
    a sentence added to the body and a capture time `minutes` later ("body")."""
    if kind == "identical":
        return text
    front, stamp, title, url, body = parse_article(text)
    if kind == "front matter":
        front = front[:-4] + "archived: true\n---\n" if front else "---\nlayout: post\n---\n"
    else:
        stamp += minutes * 60_000
        end = body.rfind("</p>")
        body = body[:end + 4] + RECAPTURE_SENTENCE + body[end + 4:] if end >= 0 else body + RECAPTURE_SENTENCE
    return f"{front}<!--{stamp}-->\n[{title}]({url})\n------\n\n{body}"


def with_recaptures(bin_path, count, share=0.10, seed=7):
    """An archive of `count` files, as many as the generated one, of which `share` are recaptures:
    articles 0..(count - recaptures - 1) of the generated archive, plus for each of articles
    0..(recaptures - 1) a second file with the same url at archived/<date>/<name>, as the
    pipeline keeps them. Of the recaptures, 1/4 are byte-identical copies, 1/4 differ only in
    front matter and 1/2 have a sentence added and a later capture time.

    Returns (folders, what a first import must report)."""
    recaptures = round(count * share)
    kept = count - recaptures
    folder = DATA / f"recaptures-{count}-{round(share * 100)}pct-seed{seed}"
    marker = folder / ".complete"
    if not marker.exists():
        shutil.rmtree(folder, ignore_errors=True)
        source = generated(bin_path, count, seed)[0]
        log(f"  building {folder}: {kept} generated articles and {recaptures} recaptures of them ...")
        by_index = {int(path.stem.rsplit("_", 1)[1]) - 7_000_000: path for path in files_of([source])}
        if sorted(by_index) != list(range(count)):
            raise RuntimeError(f"{source} does not hold articles 0..{count - 1} as news_<7000000 + index>.txt")
        for index in range(kept):
            target = folder / by_index[index].relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(by_index[index], target)
        for index in range(recaptures):
            kind = ("identical", "front matter", "body", "body")[index % 4]
            # Bytes, not text: no newline translation, so an identical copy is byte for byte.
            text = recaptured_file(by_index[index].read_bytes().decode("utf-8"), kind, minutes=10 + index % 50)
            stamp = parse_article(text)[1]
            target = folder / "archived" / time.strftime("%Y-%m-%d", time.gmtime(stamp / 1000)) / by_index[index].name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(text.encode("utf-8"))
        marker.write_text("ok\n")
    identical = len(range(0, recaptures, 4))
    return [folder], {"created": kept, "recaptured": recaptures, "identical_copies": identical}


def check_import(name, report, expected):
    """Fails loudly when a first import did not report what the archive was built to hold."""
    problems = [f"{key} {report.get(key)} (expected {value})" for key, value in expected.items()
                if report.get(key) != value]
    if report.get("refused"):
        problems.append(f"{len(report['refused'])} refused, first: {report['refused'][0]}")
    if problems:
        raise RuntimeError(f"import of {name} reported " + ", ".join(problems))


def bench_replica(bin_path, name, folders, runs, expected=None, reference_and_search=True):
    """Import (`import --json`, whose first report is kept and checked against `expected`),
    rebuild and search, beside the reference (left out, with search, when not asked for)."""
    files = files_of(folders)
    count = len(files)
    size_mb = sum(p.stat().st_size for p in files) / 1e6
    log(f"[{name}] {count} articles, {size_mb:.1f} MB")
    reference = []
    if reference_and_search:
        sql = reference_sql(name, folders)
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
            imports.append(run([bin_path, "import", "--json", *map(str, folders)], env=env,
                               stdout_path=work / f"import-{index}.json"))
            log(f"  import run {index + 1}: {imports[-1][0]:.2f} s, {imports[-1][1]:.0f} MB")
        import_report = json.loads((work / "import-0.json").read_text().strip().splitlines()[-1])
        if expected is not None:
            check_import(name, import_report, expected)
        env = dict(os.environ, ARCHIVE_SYNC_DB=str(work / "replica-0.db"))
        for index in range(runs):
            rebuilds.append(run([bin_path, "rebuild"], env=env))
            log(f"  rebuild run {index + 1}: {rebuilds[-1][0]:.2f} s, {rebuilds[-1][1]:.0f} MB")
        for query in SEARCHES if reference_and_search else []:
            searches[query] = [run([bin_path, "search", *query.split(), "--limit", "20"], env=env)[0] * 1000
                               for _ in range(SEARCH_RUNS)]
        db_mb = sum(p.stat().st_size for p in work.glob("replica-0.db*")) / 1e6
        for index in range(1, runs):
            for path in work.glob(f"replica-{index}.db*"):
                path.unlink()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    import_s = median([r[0] for r in imports])
    rebuild_s = median([r[0] for r in rebuilds])
    result = {
        "name": name, "articles": count, "mb": size_mb, "import_report": import_report,
        "import_s": import_s, "import_rate": count / import_s, "import_mbs": size_mb / import_s,
        "import_rss": max(r[1] for r in imports),
        "rebuild_s": rebuild_s, "rebuild_rate": count / rebuild_s, "rebuild_rss": max(r[1] for r in rebuilds),
        "rebuild_vs_import": import_s / rebuild_s,
        "db_mb": db_mb, **search_figures(searches),
    }
    if reference:
        ref_s = median([r[0] for r in reference])
        result.update({"reference_s": ref_s, "reference_rate": count / ref_s,
                       "reference_rss": max(r[1] for r in reference), "ratio": (count / import_s) / (count / ref_s)})
    return result


def replica_table(results):
    lines = [
        "| archive | articles | MB | reference: sqlite3 insert | archive-sync import | import / reference | rebuild | rebuild vs import | search (median of queries) | peak memory import / rebuild / reference | replica file |",
        "|---|---:|---:|---|---|---:|---|---:|---|---|---:|",
    ]
    for r in results:
        search = median(list(r["search_ms"].values()))
        worst = max(r["search_p95_ms"].values())
        lines.append(
            f"| {r['name']} | {r['articles']:,} | {r['mb']:.1f} "
            f"| {r['reference_s']:.2f} s, {r['reference_rate']:,.0f} art/s "
            f"| {r['import_s']:.2f} s, {r['import_rate']:,.0f} art/s, {r['import_mbs']:.1f} MB/s "
            f"| {r['ratio']:.3f} ({1 / r['ratio']:.1f}x slower) "
            f"| {r['rebuild_s']:.2f} s, {r['rebuild_rate']:,.0f} events/s | {r['rebuild_vs_import']:.2f}x faster "
            f"| {search:.0f} ms (worst p95 {worst:.0f} ms) "
            f"| {r['import_rss']:.0f} / {r['rebuild_rss']:.0f} / {r['reference_rss']:.0f} MB | {r['db_mb']:.0f} MB |")
    return "\n".join(lines)


def search_line(results):
    return (f"Search latency per query, median / p95 of {SEARCH_RUNS} runs (ms, whole command): " + "; ".join(
        f"{r['name']}: " + ", ".join(f"{q} {t:.0f}/{r['search_p95_ms'][q]:.0f}" for q, t in r["search_ms"].items())
        for r in results if r["search_ms"]) + ".")


class CountingProxy:
    """A TCP proxy on loopback that counts the bytes crossing it both ways: the bytes on the wire
    of whatever talks through it (archive-sync or git), measured the same way for both."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.bytes = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def reset(self):
        with self.lock:
            total, self.bytes = self.bytes, 0
        return total

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            for source, destination in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, destination), daemon=True).start()

    def _pump(self, source, destination):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                with self.lock:
                    self.bytes += len(data)
                destination.sendall(data)
        except OSError:
            pass
        finally:
            try:
                destination.shutdown(socket.SHUT_WR)
            except OSError:
                pass


class AnonPeak:
    """Samples a process's private memory (RssAnon of /proc/PID/status, in MB) every 20 ms and
    keeps the peak. The process is the child of `parent` (GNU time). Peak RSS also counts the
    pages of the executable mapped from the page cache (RssFile), shared by every process that
    runs it; this is the memory a process holds of its own."""

    def __init__(self, parent):
        self.parent, self.peak, self._stop = parent, 0.0, threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self):
        child = None
        while not self._stop.is_set():
            if child is None:
                try:
                    with open(f"/proc/{self.parent}/task/{self.parent}/children") as f:
                        found = f.read().split()
                    child = found[0] if found else None
                except OSError:
                    return
            if child is not None:
                try:
                    with open(f"/proc/{child}/status") as f:
                        for line in f:
                            if line.startswith("RssAnon:"):
                                self.peak = max(self.peak, int(line.split()[1]) / 1024)
                except OSError:
                    return
            self._stop.wait(0.02)

    def stop(self):
        self._stop.set()
        self.thread.join()
        return self.peak


class Background:
    """A long-running process under GNU time, for the peak memory of a server."""

    def __init__(self, command, env=None, cwd=None, wait_for=None):
        self.rss = tempfile.NamedTemporaryFile(mode="r")
        self.out = tempfile.TemporaryFile()
        self.process = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", self.rss.name, *map(str, command)],
                                        env=env, cwd=cwd, stdout=self.out, stderr=subprocess.DEVNULL)
        self.anon = AnonPeak(self.process.pid)
        self.text = ""
        deadline = time.time() + 30
        while wait_for and time.time() < deadline:
            self.out.seek(0)
            self.text = self.out.read().decode(errors="replace")
            if re.search(wait_for, self.text):
                break
            time.sleep(0.05)

    def stop(self):
        """Stops the process (SIGTERM to it, through time) and returns its peak RSS in MB."""
        children = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout.split()
        self.anon_peak = self.anon.stop()
        for pid in children:
            os.kill(int(pid), 15)
        self.process.wait(timeout=60)
        try:
            return int(self.rss.read().strip().splitlines()[-1]) / 1024
        except (ValueError, IndexError):
            return float("nan")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def sync_json(bin_path, url, token_file, env, anon=None):
    """Runs `archive-sync sync --json`; returns (wall s, client RSS MB, report dict). With `anon`
    (a list), the client's peak private memory in MB is appended to it."""
    with tempfile.NamedTemporaryFile(mode="r") as rss:
        start = time.perf_counter()
        process = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", rss.name, bin_path, "sync", url, "--token-file",
                                    token_file, "--json"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        sampler = AnonPeak(process.pid)
        stdout, stderr = process.communicate()
        wall = time.perf_counter() - start
        peak = sampler.stop()
        if anon is not None:
            anon.append(peak)
        if process.returncode != 0:
            raise RuntimeError(f"sync failed: {stderr[-2000:]}")
        return wall, int(rss.read().strip().splitlines()[-1]) / 1024, json.loads(stdout.strip().splitlines()[-1])


def wait_for_search_index(bin_path, env, timeout=3600):
    """Waits until the replica of `env` has no capture waiting for the search index (a server
    indexes behind the pushes it takes); returns when it was seen so."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        out = subprocess.run([bin_path, "status", "--json"], env=env, capture_output=True, text=True)
        if out.returncode == 0 and json.loads(out.stdout.strip().splitlines()[-1]).get("search_pending", 0) == 0:
            return time.perf_counter()
        time.sleep(0.05)
    raise RuntimeError("the server's search index did not catch up within the hour")


def edit_files(bin_path, folder, count, round_number, seed=7):
    """Rewrites `count` generated articles with revision `round_number` (a sentence added)."""
    with tempfile.TemporaryDirectory() as scratch:
        run([bin_path, "generate", scratch, "--count", str(count), "--from", "0", "--seed", str(seed),
             "--revision", str(round_number)])
        for path in Path(scratch).rglob("*.txt"):
            target = Path(folder) / path.relative_to(scratch)
            shutil.copyfile(path, target)


EDIT_SENTENCE = "<p>更正（第{round}次）：本文在发表后作了修改。</p>"


def edited(text, round_number):
    """The text of an article file with a short paragraph added to its body (after its last
    paragraph), numbered by `round_number`."""
    front, stamp, title, url, body = parse_article(text)
    sentence = EDIT_SENTENCE.format(round=round_number)
    end = body.rfind("</p>")
    body = body[:end + 4] + sentence + body[end + 4:] if end >= 0 else body + sentence
    return f"{front}<!--{stamp}-->\n[{title}]({url})\n------\n\n{body}"


def edit_text_files(bin_path, folder, count, round_number):
    """Edits the first `count` files of any archive folder in place (a paragraph added): the
    edits of an archive that is not `generate`'s."""
    for path in files_of([folder])[:count]:
        path.write_bytes(edited(path.read_bytes().decode("utf-8"), round_number).encode("utf-8"))


def git(*arguments, cwd, env=None):
    return run(["git", *arguments], cwd=cwd, env=env)


def bench_sync(bin_path, name, folder, runs, git_reference=True, edit=edit_files):
    """First sync into an empty replica, 20 edits (made by `edit`), nothing to send; and the same
    with git (unless git_reference is false)."""
    count = len(files_of([folder]))
    log(f"[sync {name}] {count} articles")
    work = Path(tempfile.mkdtemp(prefix=f"bench-sync-{count}-"))
    results = {"name": name, "articles": count}
    try:
        archive = work / "archive"
        shutil.copytree(folder, archive, ignore=shutil.ignore_patterns(".complete"))
        laptop_env = dict(os.environ, ARCHIVE_SYNC_DB=str(work / "laptop.db"))
        run([bin_path, "init", "--name", "laptop"], env=laptop_env)
        log("  importing the laptop's archive (not timed) ...")
        run([bin_path, "import", str(archive)], env=laptop_env)

        first, incremental, idle, pulled = [], [], [], []
        anon_client, anon_server, anon_pull, search_ready = [], [], [], []
        for index in range(runs):
            server_env = dict(os.environ, ARCHIVE_SYNC_DB=str(work / f"server-{index}.db"))
            run([bin_path, "init", "--name", f"server-{index}"], env=server_env)
            token = work / f"token-{index}"
            with open(token, "w") as out:
                subprocess.run([bin_path, "token", "create", "laptop", "--scope", "write"], env=server_env, stdout=out, check=True)
            port = free_port()
            server = Background([bin_path, "serve", "--port", str(port)], env=server_env, wait_for=r"http://")
            proxy = CountingProxy(port)
            url = f"http://127.0.0.1:{proxy.port}"
            started = time.perf_counter()
            wall, rss, report = sync_json(bin_path, url, str(token), laptop_env, anon_client)
            first.append((wall, rss, proxy.reset(), report["pushed"]))
            # The server indexes what it took for search behind the pushes: when it is done.
            search_ready.append(wait_for_search_index(bin_path, server_env) - started)
            log(f"  first sync run {index + 1}: {wall:.2f} s (server's search index ready at {search_ready[-1]:.2f} s), "
                f"{first[-1][2] / 1e6:.1f} MB on the wire, client {rss:.0f} MB")
            # The other way: a new, empty replica pulls the whole archive (search index included).
            desk_env = dict(os.environ, ARCHIVE_SYNC_DB=str(work / f"desk-{index}.db"))
            run([bin_path, "init", "--name", f"desk-{index}"], env=desk_env)
            wall, rss, report = sync_json(bin_path, url, str(token), desk_env, anon_pull)
            pulled.append((wall, rss, proxy.reset(), report["pulled"]))
            log(f"  first pull run {index + 1}: {wall:.2f} s, {pulled[-1][2] / 1e6:.1f} MB on the wire, client {rss:.0f} MB")
            for suffix in ("", "-wal", "-shm", ".key"):
                (work / f"desk-{index}.db{suffix}").unlink(missing_ok=True)
            edit(bin_path, archive, 20, index + 1)
            run([bin_path, "import", str(archive)], env=laptop_env)
            wall, rss, report = sync_json(bin_path, url, str(token), laptop_env)
            incremental.append((wall, rss, proxy.reset(), report["pushed"]))
            wall, rss, report = sync_json(bin_path, url, str(token), laptop_env)
            idle.append((wall, rss, proxy.reset(), report["pushed"]))
            server_rss = server.stop()
            anon_server.append(server.anon_peak)
            first[-1] = first[-1] + (server_rss,)
            (work / f"server-{index}.db").unlink(missing_ok=True)
            for suffix in ("-wal", "-shm"):
                (work / f"server-{index}.db{suffix}").unlink(missing_ok=True)

        git_first, git_incremental, git_idle, git_clone = [], [], [], []
        env = dict(os.environ, GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@example.org",
                   GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@example.org")
        for index in range(runs if git_reference else 0):
            base = work / f"git-{index}"
            base.mkdir()
            run(["git", "init", "--bare", "-q", "remote.git"], cwd=base)
            port = free_port()
            daemon = Background(["git", "daemon", "--reuseaddr", f"--base-path={base}", "--export-all",
                                 "--enable=receive-pack", f"--port={port}", "--listen=127.0.0.1", str(base)], cwd=base)
            time.sleep(0.5)
            proxy = CountingProxy(port)
            url = f"git://127.0.0.1:{proxy.port}/remote.git"
            clone = base / "laptop"
            shutil.copytree(folder, clone, ignore=shutil.ignore_patterns(".complete"))
            run(["git", "init", "-q", "-b", "main"], cwd=clone)
            git("add", "-A", cwd=clone, env=env)
            git("commit", "-q", "-m", "archive", cwd=clone, env=env)
            proxy.reset()
            wall, rss = git("push", "-q", url, "main", cwd=clone, env=env)
            git_first.append((wall, rss, proxy.reset()))
            log(f"  git first push run {index + 1}: {wall:.2f} s, {git_first[-1][2] / 1e6:.1f} MB on the wire")
            other = base / "other"
            wall, rss = git("clone", "-q", "-b", "main", url, str(other), cwd=base, env=env)
            git_clone.append((wall, rss, proxy.reset()))
            proxy.reset()
            edit(bin_path, clone, 20, index + 1)
            git("commit", "-q", "-am", "20 edits", cwd=clone, env=env)
            push_wall, push_rss = git("push", "-q", url, "main", cwd=clone, env=env)
            pull_wall, pull_rss = git("pull", "-q", "--ff-only", url, "main", cwd=other, env=env)
            git_incremental.append((push_wall + pull_wall, max(push_rss, pull_rss), proxy.reset()))
            push_wall, push_rss = git("push", "-q", url, "main", cwd=clone, env=env)
            pull_wall, pull_rss = git("pull", "-q", "--ff-only", url, "main", cwd=other, env=env)
            git_idle.append((push_wall + pull_wall, max(push_rss, pull_rss), proxy.reset()))
            daemon_rss = daemon.stop()
            git_first[-1] = git_first[-1] + (daemon_rss,)
            shutil.rmtree(base, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def summary(rows):
        return {"s": median([r[0] for r in rows]), "rss": max(r[1] for r in rows), "bytes": median([r[2] for r in rows])}

    results.update({
        "first": summary(first), "first_server_rss": max(r[4] for r in first), "first_events": first[0][3],
        "incremental": summary(incremental), "incremental_events": incremental[0][3], "idle": summary(idle),
        "first_search_ready_s": median(search_ready), "first_anon_client": max(anon_client),
        "first_anon_server": max(anon_server), "pull": summary(pulled), "pull_events": pulled[0][3],
        "pull_anon_client": max(anon_pull),
    })
    if git_reference:
        results.update({
            "git_first": summary(git_first), "git_daemon_rss": max(r[3] for r in git_first),
            "git_incremental": summary(git_incremental), "git_idle": summary(git_idle), "git_clone": summary(git_clone),
        })
    return results


def sync_table(results):
    lines = [
        "| archive | work | archive-sync | git (daemon on loopback) | archive-sync vs git |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        f, g = r["first"], r["git_first"]
        lines.append(
            f"| {r['name']} | first sync into an empty replica / `git push` of the folder "
            f"| {f['s']:.2f} s, {r['first_events'] / f['s']:,.0f} events/s, {f['bytes'] / 1e6:.1f} MB on the wire, "
            f"client {f['rss']:.0f} MB, server {r['first_server_rss']:.0f} MB "
            f"| {g['s']:.2f} s, {g['bytes'] / 1e6:.1f} MB on the wire, client {g['rss']:.0f} MB, daemon {r['git_daemon_rss']:.0f} MB "
            f"| {g['s'] / f['s']:.2f}x faster, {f['bytes'] / g['bytes']:.2f}x the bytes |")
        lines.append(
            f"| {r['name']} | first sync, until the server's search index is ready too "
            f"| {r['first_search_ready_s']:.2f} s; private memory (RssAnon) client {r['first_anon_client']:.0f} MB, "
            f"server {r['first_anon_server']:.0f} MB | {g['s']:.2f} s | {g['s'] / r['first_search_ready_s']:.2f}x faster |")
        p, gc = r["pull"], r["git_clone"]
        lines.append(
            f"| {r['name']} | first pull into an empty replica (search index included) / `git clone` "
            f"| {p['s']:.2f} s, {r['pull_events'] / p['s']:,.0f} events/s, {p['bytes'] / 1e6:.1f} MB on the wire, "
            f"client {p['rss']:.0f} MB (private {r['pull_anon_client']:.0f} MB) "
            f"| {gc['s']:.2f} s, {gc['bytes'] / 1e6:.1f} MB on the wire, client {gc['rss']:.0f} MB "
            f"| {gc['s'] / p['s']:.2f}x faster, {p['bytes'] / gc['bytes']:.2f}x the bytes |")
        i, gi = r["incremental"], r["git_incremental"]
        lines.append(
            f"| {r['name']} | 20 edits: sync / `git push` + `git pull` "
            f"| {i['s'] * 1000:.0f} ms, {i['bytes'] / 1e3:.1f} KB, {r['incremental_events']} events "
            f"| {gi['s'] * 1000:.0f} ms, {gi['bytes'] / 1e3:.1f} KB "
            f"| {gi['s'] / i['s']:.1f}x faster, {i['bytes'] / gi['bytes']:.2f}x the bytes |")
        n, gn = r["idle"], r["git_idle"]
        lines.append(
            f"| {r['name']} | nothing to send: sync / push + pull "
            f"| {n['s'] * 1000:.0f} ms, {n['bytes'] / 1e3:.1f} KB | {gn['s'] * 1000:.0f} ms, {gn['bytes'] / 1e3:.1f} KB "
            f"| {gn['s'] / n['s']:.1f}x faster, {n['bytes'] / gn['bytes']:.2f}x the bytes |")
    return "\n".join(lines)


def alternate(runs, measures):
    """Calls each measure (one run each) once per round, in the order A B, then B A, and so on, so
    that the load of other work on a shared machine falls on each alike; returns, for each
    measure, its results round by round."""
    results = [[] for _ in measures]
    for round_index in range(runs):
        order = list(range(len(measures)))
        for index in order if round_index % 2 == 0 else reversed(order):
            results[index].append(measures[index]())
    return results


def merge_replica(rounds):
    """One bench_replica result from several of one run each: median times, maximum memory."""
    merged = dict(rounds[0])
    count = merged["articles"]
    for key in ("import_s", "rebuild_s", "reference_s"):
        if key in merged:
            merged[key] = median([r[key] for r in rounds])
    for key in ("import_rss", "rebuild_rss", "reference_rss"):
        if key in merged:
            merged[key] = max(r[key] for r in rounds)
    merged.update(search_figures({q: [t for r in rounds for t in r["search_runs_ms"][q]] for q in merged["search_runs_ms"]}))
    merged.update(import_rate=count / merged["import_s"], import_mbs=merged["mb"] / merged["import_s"],
                  rebuild_rate=count / merged["rebuild_s"], rebuild_vs_import=merged["import_s"] / merged["rebuild_s"])
    if "reference_s" in merged:
        merged.update(reference_rate=count / merged["reference_s"], ratio=merged["reference_s"] / merged["import_s"])
    return merged


def merge_sync(rounds):
    """One bench_sync result from several of one run each: median times and bytes, maximum memory."""
    merged = dict(rounds[0])
    for key in ("first", "incremental", "idle", "git_first", "git_incremental", "git_idle"):
        if key in merged:
            merged[key] = {"s": median([r[key]["s"] for r in rounds]), "rss": max(r[key]["rss"] for r in rounds),
                           "bytes": median([r[key]["bytes"] for r in rounds])}
    for key in ("first_server_rss", "git_daemon_rss"):
        if key in merged:
            merged[key] = max(r[key] for r in rounds)
    return merged


RECAPTURE_GOAL = 1.10


def recaptures_section(plain, recaptures, plain_sync, recaptures_sync):
    """The archive with recaptures beside the plain archive of as many files: each row, then the
    ratios recaptures / plain, checked against the goal of the issue (import and first sync
    within 10%). The replica or the sync results may be missing (None) when not measured."""
    lines = [
        "| archive | files | import reports | MB | import | rebuild | first sync | events sent | on the wire "
        "| peak memory import / sync client / server |",
        "|---|---:|---|---:|---|---|---|---:|---:|---|",
    ]
    for replica, sync in ((plain, plain_sync), (recaptures, recaptures_sync)):
        name = (replica or sync)["name"]
        cells = [name, f"{(replica or sync)['articles']:,}"]
        if replica:
            report = replica["import_report"]
            cells += [f"{report['created']:,} created, {report['recaptured']:,} recaptured "
                      f"({report['identical_copies']:,} identical copies), {len(report['refused'])} refused",
                      f"{replica['mb']:.1f}",
                      f"{replica['import_s']:.2f} s, {replica['import_rate']:,.0f} files/s "
                      f"({report['created'] / replica['import_s']:,.0f} articles/s)",
                      f"{replica['rebuild_s']:.2f} s, {replica['rebuild_rate']:,.0f} events/s"]
        else:
            cells += ["", "", "not measured", "not measured"]
        if sync:
            first = sync["first"]
            cells += [f"{first['s']:.2f} s", f"{sync['first_events']:,}", f"{first['bytes'] / 1e6:.1f} MB"]
        else:
            cells += ["not measured", "", ""]
        memory = [f"{replica['import_rss']:.0f}" if replica else "-"]
        memory += [f"{sync['first']['rss']:.0f}", f"{sync['first_server_rss']:.0f}"] if sync else ["-", "-"]
        cells.append(" / ".join(memory) + " MB")
        lines.append("| " + " | ".join(cells) + " |")

    ratios, verdicts = [], []
    if plain and recaptures:
        for label, key in (("import", "import_s"), ("rebuild", "rebuild_s")):
            ratios.append((label, recaptures[key] / plain[key]))
    if plain_sync and recaptures_sync:
        ratios.append(("first sync", recaptures_sync["first"]["s"] / plain_sync["first"]["s"]))
        ratios.append(("events sent", recaptures_sync["first_events"] / plain_sync["first_events"]))
        ratios.append(("bytes on the wire", recaptures_sync["first"]["bytes"] / plain_sync["first"]["bytes"]))
    for label, ratio in ratios:
        if label in ("import", "first sync"):
            verdicts.append(f"{label} {ratio:.2f} ({'within' if ratio <= RECAPTURE_GOAL else 'ABOVE'} the goal)")
    lines += ["", "Recaptures / plain (median time of each, same run): "
              + ", ".join(f"{label} {ratio:.2f}" for label, ratio in ratios) + ".",
              f"Goal: import and first sync at most {RECAPTURE_GOAL:.2f} of the plain archive's: "
              + ("; ".join(verdicts) if verdicts else "not measured") + "."]
    return "\n".join(lines)


SIGNATURE_GOAL = 1.10


def signature_rates(bench_path, runs, count=20_000):
    """Runs archive-sync-bench-signatures `runs` times; returns each run's JSON line."""
    rates = []
    for index in range(runs):
        with tempfile.NamedTemporaryFile(mode="r") as out:
            run([bench_path, "--count", str(count)], stdout_path=out.name)
            rates.append(json.loads(out.read().strip().splitlines()[-1]))
        log(f"  signatures run {index + 1}: {rates[-1]['signs_per_s']:,} signed/s, "
            f"{rates[-1]['verifies_per_s']:,} checked/s, {rates[-1]['verifies_per_s_all_cores']:,} checked/s "
            f"on {rates[-1]['cores']} cores")
    return rates


def bench_signatures(bin_path, baseline_bin, bench_path, baseline_rev, runs):
    """Signatures made and checked per second, then the import and the first sync of the
    generated 20,000 articles with the binary built from `baseline_rev` (before signatures) and
    with this one, by turns (A B, B A, ...). Each binary syncs with a server of its own (the
    protocol versions differ). Returns the report's section and the raw figures."""
    log("[signatures] signatures made and checked per second")
    rates = signature_rates(bench_path, runs)
    folders = generated(bin_path, 20_000)
    expected = {"created": 20_000, "recaptured": 0, "identical_copies": 0}
    variants = [("without signatures", baseline_bin), ("with signatures", bin_path)]
    measures = []
    for label, binary in variants:
        def measure(label=label, binary=binary):
            log(f"[signatures] {label}: {binary}")
            replica = bench_replica(binary, f"generated 20,000, {label}", folders, 1, expected=expected,
                                    reference_and_search=False)
            sync = bench_sync(binary, f"generated 20,000, {label}", folders[0], 1, git_reference=False)
            return replica, sync
        measures.append(measure)
    rounds = alternate(runs, measures)
    figures = {}
    for (label, binary), results in zip(variants, rounds):
        figures[label] = {
            "binary": str(binary),
            "import_s": [r[0]["import_s"] for r in results],
            "import_rss": [r[0]["import_rss"] for r in results],
            "rebuild_s": [r[0]["rebuild_s"] for r in results],
            "first_sync_s": [r[1]["first"]["s"] for r in results],
            "first_sync_bytes": [r[1]["first"]["bytes"] for r in results],
            "first_sync_events": [r[1]["first_events"] for r in results],
            "first_sync_server_rss": [r[1]["first_server_rss"] for r in results],
            "sync_20_edits_s": [r[1]["incremental"]["s"] for r in results],
        }
    return signatures_section(figures, rates, baseline_rev, runs), {"rates": rates, "variants": figures}


def this_revision():
    """The commit this tree is at, marked when it has uncommitted changes."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                           text=True).stdout.strip()
    return head + (" with uncommitted changes" if dirty else "")


def signatures_section(figures, rates, baseline_rev, runs):
    before, after = figures["without signatures"], figures["with signatures"]
    rows = [("import of 20,000 articles", "import_s", True),
            ("first sync of 20,000 into an empty replica", "first_sync_s", True),
            ("rebuild of the 20,000 imported (for information)", "rebuild_s", False),
            ("sync of 20 edits (for information)", "sync_20_edits_s", False)]
    lines = [f"| measure | without signatures ({baseline_rev}), median | with signatures ({this_revision()}), median | ratio "
             f"| goal (at most {SIGNATURE_GOAL:.2f}) | runs without / with |",
             "|---|---:|---:|---:|---|---|"]
    verdicts = []
    for label, key, goal in rows:
        a, b = median(before[key]), median(after[key])
        ratio = b / a
        verdict = ("within" if ratio <= SIGNATURE_GOAL else "ABOVE") if goal else ""
        if goal:
            verdicts.append(f"{label.split(' of ')[0]} {ratio:.2f} ({verdict})")
        runs_text = " / ".join(", ".join(f"{v:.2f}" for v in figures[side][key]) for side in figures)
        lines.append(f"| {label} | {a:.2f} s | {b:.2f} s | {ratio:.3f} | {verdict} | {runs_text} s |")
    events = after["first_sync_events"][0]
    lines += [
        "",
        f"First sync: {before['first_sync_events'][0]:,} / {events:,} events sent, "
        f"{median(before['first_sync_bytes']) / 1e6:.1f} / {median(after['first_sync_bytes']) / 1e6:.1f} MB on the wire, "
        f"server peak memory {max(before['first_sync_server_rss']):.0f} / {max(after['first_sync_server_rss']):.0f} MB "
        "(without / with signatures).",
        "",
        f"Signatures (archive-sync-bench-signatures, 20,000 distinct event hashes, median of {len(rates)} runs): "
        f"{median([r['signs_per_s'] for r in rates]):,.0f} signed/s and "
        f"{median([r['verifies_per_s'] for r in rates]):,.0f} checked/s on one core, "
        f"{median([r['verifies_per_s_all_cores'] for r in rates]):,.0f} checked/s on all {rates[0]['cores']} cores. "
        f"At these rates the {events:,} events of the first sync take "
        f"{events / median([r['verifies_per_s'] for r in rates]):.2f} s to check on one core, and an import of "
        f"20,000 articles {20_000 / median([r['signs_per_s'] for r in rates]):.2f} s to sign.",
        "",
        f"Goal: import and first sync at most {SIGNATURE_GOAL:.2f} of the time without signatures: "
        + "; ".join(verdicts) + ".",
    ]
    return "\n".join(lines)


def save_figures(name, figures):
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(
        json.dumps(dict(figures, date=time.strftime("%Y-%m-%d %H:%M")), indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8")


def write_section(name, heading, intro, body, figures):
    """Writes bench-results/<name>.md (a heading, `intro` and `body`) and <name>.json (`figures`
    and the date); returns the text."""
    stamp = time.strftime("%Y-%m-%d %H:%M")
    text = "\n".join([f"# archive-sync benchmark: {heading}, {stamp} ({os.cpu_count()} cores)", "", intro, "", body, ""])
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.md").write_text(text + "\n", encoding="utf-8")
    (RESULTS / f"{name}.json").write_text(json.dumps(dict(figures, date=stamp), indent=2, ensure_ascii=False) + "\n",
                                         encoding="utf-8")
    return text


def realtext_part(args, corpus, counts):
    import bench_realtext
    if not (corpus / "articles").exists():
        log(f"no corpus at {corpus}: the realtext archives are not measured")
        return ""
    figures = bench_realtext.bench_realtext(args.bin, corpus, counts, args.runs)
    return write_section(
        "realtext", f"real text, median of {args.runs} runs", bench_realtext.__doc__.split("\n\n", 1)[1].strip(),
        bench_realtext.realtext_section(figures), dict(figures, runs=args.runs))


def scale_part(args):
    import bench_scale
    figures = bench_scale.bench_scale(args.bin, args.runs, scale_max=args.scale_max)
    return write_section("scale", f"scale, median of {args.runs} runs", bench_scale.__doc__.split("\n\n", 1)[1].strip(),
                         bench_scale.scale_table(figures), figures)


def hub_part(args):
    import bench_hub
    figures = bench_hub.bench_hub(args.bin, clients=args.hub_clients, seconds=args.hub_seconds)
    return write_section("hub", f"a hub under load, {args.hub_clients} clients, {args.hub_seconds} s",
                         bench_hub.__doc__.split("\n\n", 1)[1].strip(), bench_hub.hub_table(figures), figures)


def summary_part():
    import bench_summary
    figures = bench_summary.load(RESULTS)
    return write_section("summary", "goals", "Every goal figure from the latest bench-results/*.json, beside its "
                         "reference and its goal.", bench_summary.summary_table(figures),
                         {"rows": bench_summary.summary_rows(figures)})


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bin", required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true",
                        help="the corpus, 20,000 articles and 20,000 files with 10%% recaptures only")
    parser.add_argument("--only", choices=["replica", "sync", "recaptures", "signatures", "watch", "realtext", "scale",
                                           "hub", "summary"],
                        help="one part of the benchmark; recaptures: import, rebuild and first sync of the "
                             "20,000-file archives with and without recaptures, without the references; "
                             "signatures: signatures per second, and import and first sync of 20,000 articles "
                             "beside the binary of --baseline; watch: a file's way from one laptop's folder to "
                             "another's through a hub, and the cost of idle watches; realtext: archives made of "
                             "the corpus's text (20,000 articles; 100,000 too in the full run), their text beside "
                             "the corpus's and the generator's, import, search and first sync beside git; scale: "
                             "status, syncs, history, verify and rebuild at 10^4, 10^5 and 10^6 events; hub: "
                             "clients syncing at once with one hub, then with two hubs in step; summary: every "
                             "goal figure from the saved results")
    parser.add_argument("--scale-max", type=int, default=1_000_000,
                        help="the largest journal of --only scale, in events (10000, 100000 or 1000000)")
    parser.add_argument("--hub-clients", type=int, default=100, help="client replicas (--only hub)")
    parser.add_argument("--hub-seconds", type=int, default=60, help="seconds of edit and sync rounds (--only hub)")
    parser.add_argument("--idle", type=int, default=120, help="seconds the watches are left idle (--only watch)")
    parser.add_argument("--files", type=int, default=50, help="files sent one after another (--only watch)")
    parser.add_argument("--baseline", default="0ff2ec1", help="the revision before signatures (--only signatures)")
    parser.add_argument("--baseline-bin", help="archive-sync built from --baseline (scripts/bench builds it)")
    parser.add_argument("--signatures-bench", help="archive-sync-bench-signatures (scripts/bench builds it)")
    args = parser.parse_args()

    if args.only == "watch":
        import bench_watch
        figures = bench_watch.bench_watch(args.bin, generated, files=args.files, idle=args.idle, log=log)
        print(bench_watch.write_results(RESULTS, figures, time.strftime("%Y-%m-%d %H:%M")))
        return

    if args.only == "signatures":
        if not (args.baseline_bin and args.signatures_bench):
            parser.error("--only signatures needs --baseline-bin and --signatures-bench (scripts/bench passes them)")
        section, figures = bench_signatures(args.bin, args.baseline_bin, args.signatures_bench, args.baseline, args.runs)
        stamp = time.strftime("%Y-%m-%d %H:%M")
        text = "\n".join([
            f"# archive-sync benchmark: signed origins, {stamp} ({os.cpu_count()} cores, median of {args.runs} runs)", "",
            f"The binary built from {args.baseline} (before signatures) and this one, by turns (A B, B A, ...), "
            "on the generated 20,000 articles; each syncs over loopback with a server of its own build. "
            "Wall time of the whole command.", "", section, ""])
        print(text)
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "signatures.md").write_text(text + "\n", encoding="utf-8")
        (RESULTS / "signatures.json").write_text(json.dumps(dict(figures, baseline=args.baseline, date=stamp,
                                                                 runs=args.runs), indent=2) + "\n", encoding="utf-8")
        return

    corpus = Path(os.environ.get("ARCHIVE_SYNC_CORPUS", ROOT.parent / "shared" / "corpus"))
    parts = {"realtext": lambda: realtext_part(args, corpus, [20_000]), "scale": lambda: scale_part(args),
             "hub": lambda: hub_part(args), "summary": summary_part}
    if args.only in parts:
        print(parts[args.only]())
        return

    report = [f"# archive-sync benchmark, {time.strftime('%Y-%m-%d %H:%M')} ({os.cpu_count()} cores, median of {args.runs} runs)", ""]
    counts = [20_000] if args.quick or args.only == "recaptures" else [20_000, 100_000]
    plain_name, recaptures_name = "generated 20,000", "generated 20,000 with 10% recaptures"
    recaptures_folders, recaptures_expected = with_recaptures(args.bin, 20_000)
    plain_expected = {"created": 20_000, "recaptured": 0, "identical_copies": 0}
    full = args.only != "recaptures"
    replicas, syncs = {}, {}
    plain_folders = generated(args.bin, 20_000)
    if args.only in (None, "replica", "recaptures"):
        results = []
        if full and (corpus / "articles").exists():
            results.append(bench_replica(args.bin, "corpus", [corpus / "articles" / "plain", corpus / "articles" / "frontmatter"], args.runs))
        elif full:
            log(f"no corpus at {corpus}: only generated archives are measured")
        # The plain and the recaptures archive run by turns: their ratio is what is asked of them.
        pair = alternate(args.runs, [
            lambda: bench_replica(args.bin, plain_name, plain_folders, 1, expected=plain_expected,
                                  reference_and_search=full),
            lambda: bench_replica(args.bin, recaptures_name, recaptures_folders, 1, expected=recaptures_expected,
                                  reference_and_search=full)])
        replicas[plain_name], replicas[recaptures_name] = merge_replica(pair[0]), merge_replica(pair[1])
        results.append(replicas[plain_name])
        for count in counts[1:]:
            results.append(bench_replica(args.bin, f"generated {count:,}", generated(args.bin, count), args.runs,
                                         expected=dict(plain_expected, created=count)))
        results.append(replicas[recaptures_name])
        if full:
            save_figures("replica", {"results": results, "runs": args.runs})
            report += ["## Replica: import, rebuild, search", "", replica_table(results), "",
                       search_line(results), ""]
    if args.only in (None, "sync", "recaptures"):
        pair = alternate(args.runs, [
            lambda: bench_sync(args.bin, plain_name, plain_folders[0], 1, git_reference=full),
            lambda: bench_sync(args.bin, recaptures_name, recaptures_folders[0], 1, git_reference=full)])
        syncs[plain_name], syncs[recaptures_name] = merge_sync(pair[0]), merge_sync(pair[1])
        sync_results = [syncs[plain_name]]
        for count in counts[1:]:
            sync_results.append(bench_sync(args.bin, f"generated {count:,}", generated(args.bin, count)[0], args.runs))
        sync_results.append(syncs[recaptures_name])
        if full:
            save_figures("sync", {"results": sync_results, "runs": args.runs})
            report += ["## Sync over loopback, beside git", "",
                       "Wall time of the whole command (median), bytes counted by a proxy in front of each server, "
                       "peak memory from GNU time.", "", sync_table(sync_results), ""]
    report += ["## Recaptures: 20,000 files, 10% of them recaptures of articles already held", "",
               "18,000 generated articles and, for 2,000 of them, a second file with the same url at "
               "archived/<date>/<name>: 1/4 identical copies, 1/4 another front matter, 1/2 a sentence added and "
               "a later capture time; beside the generated archive of 20,000 files, measured in the same run, "
               "the two archives by turns (A B, B A, ...).", "",
               recaptures_section(replicas.get(plain_name), replicas.get(recaptures_name),
                                  syncs.get(plain_name), syncs.get(recaptures_name)), ""]
    if args.only is None:
        # The sections of the goals, each also in bench-results/<name>.md, then the summary.
        sections = [realtext_part(args, corpus, counts)]
        if not args.quick:
            sections += [scale_part(args), hub_part(args)]
        sections.append(summary_part())
        for section in filter(None, sections):
            heading, body = section.split("\n", 1)
            report += ["## " + heading.removeprefix("# archive-sync benchmark: "), "", body.strip(), ""]
    text = "\n".join(report)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.md").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
