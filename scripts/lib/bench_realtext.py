"""`scripts/bench --only realtext`: archives made from the real corpus, as hard to compress as
real text.

Article N of an archive takes the header of a corpus article (front matter, capture time, title
link, dashes; the url made unique by `-r<N>` before `.html`), that article's own opening (dateline,
image or video, caption) and closing (feed footer, wrapper), and between them as many paragraphs
as it had, drawn (seeded) from the paragraphs of the whole corpus. No two files share a body, so
neither git's delta compression nor gzip finds whole articles repeated; a paragraph recurs about
as often as (files x paragraphs per file) / 72,719 paragraphs in the corpus.

The text is checked against the corpus, and so is `archive-sync generate`'s: share of CJK
characters, the total-variation distance between the frequencies of the 1,000 commonest
characters, of CJK character pairs and of Latin words, mean file size, and how well gzip
compresses a file alone and 100 files together.
"""
import collections
import random
import re
import shutil
import time
import zlib

import bench

PARAGRAPH = re.compile(r"<p>.*?</p>", re.S)
TAG = re.compile(r"<[^>]*>")
LATIN_WORD = re.compile(r"[A-Za-z]+")
SAMPLE_FILES = 2_000


def corpus_folders(corpus):
    return [corpus / "articles" / "plain", corpus / "articles" / "frontmatter"]


def split_body(body):
    """(opening, paragraphs, closing) of an article body."""
    paragraphs = [m for m in PARAGRAPH.finditer(body)]
    if not paragraphs:
        return body, [], ""
    return body[:paragraphs[0].start()], [m.group(0) for m in paragraphs], body[paragraphs[-1].end():]


def realtext(corpus, count, seed=7):
    """The folder of `count` articles made from the corpus (cached under .bench-data/, with a
    .complete marker); returns [folder]."""
    folder = bench.DATA / f"realtext-{count}-seed{seed}"
    marker = folder / ".complete"
    if marker.exists():
        return [folder]
    bench.log(f"  building {count:,} articles from the corpus into {folder} ...")
    if folder.exists():
        shutil.rmtree(folder)
    sources = bench.files_of(corpus_folders(corpus))
    if not sources:
        raise RuntimeError(f"no corpus articles under {corpus}/articles")
    articles, pool = [], []
    for path in sources:
        front, stamp, title, url, body = bench.parse_article(path.read_bytes().decode("utf-8"))
        opening, paragraphs, closing = split_body(body)
        pool.extend(paragraphs)
        articles.append((path.stem, front, stamp, title, url, opening, len(paragraphs), closing))
    rng = random.Random(seed)
    order = rng.sample(range(len(articles)), len(articles))
    for index in range(count):
        stem, front, stamp, title, url, opening, paragraphs, closing = articles[order[index % len(order)]]
        new_url = re.sub(r"(\.html)?$", rf"-r{index}\1", url, count=1)
        new_front = front.replace(url, new_url) if front else ""
        drawn = "".join(rng.choice(pool) for _ in range(max(paragraphs, 3)))
        text = f"{new_front}<!--{stamp}-->\n[{title}]({new_url})\n------\n\n{opening}{drawn}{closing}"
        month = time.strftime("%Y-%m", time.gmtime(stamp / 1000))
        target = folder / month / f"{stem}-r{index}.txt"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.encode("utf-8"))
    marker.write_text("ok\n")
    return [folder]


def is_cjk(character):
    code = ord(character)
    return 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0x20000 <= code <= 0x2FFFF


def text_profile(paths):
    """Character, CJK-pair and Latin-word counts of the visible text (tags removed) of `paths`,
    with file sizes and gzip ratios."""
    characters, pairs, words = collections.Counter(), collections.Counter(), collections.Counter()
    sizes, alone = [], []
    raw = []
    for path in paths:
        data = path.read_bytes()
        sizes.append(len(data))
        alone.append(len(zlib.compress(data, 6)) / len(data))
        raw.append(data)
        text = TAG.sub(" ", data.decode("utf-8"))
        characters.update(c for c in text if not c.isspace())
        cjk = "".join(c if is_cjk(c) else " " for c in text)
        for run in cjk.split():
            pairs.update(run[i:i + 2] for i in range(len(run) - 1))
        words.update(w.lower() for w in LATIN_WORD.findall(text))
    together = []
    for start in range(0, len(raw) - 99, 100):
        block = b"".join(raw[start:start + 100])
        together.append(len(zlib.compress(block, 6)) / len(block))
    total = sum(characters.values())
    return {"files": len(paths), "characters": characters, "pairs": pairs, "words": words,
            "cjk_share": sum(n for c, n in characters.items() if is_cjk(c)) / max(total, 1),
            "mean_bytes": sum(sizes) / max(len(sizes), 1),
            "gzip_alone": bench.median(alone), "gzip_100": bench.median(together) if together else float("nan")}


def distance(reference, other, top=1_000):
    """Total-variation distance between the frequencies of reference's `top` commonest items in
    the two counts (each normalised over those items): 0 is the same distribution, 1 disjoint."""
    keys = [key for key, _ in reference.most_common(top)]
    a_total = sum(reference[k] for k in keys) or 1
    b_total = sum(other[k] for k in keys) or 1
    return 0.5 * sum(abs(reference[k] / a_total - other[k] / b_total) for k in keys)


def coverage(reference, other, top=1_000):
    """The share of `other`'s items that are among reference's `top` commonest."""
    keys = {key for key, _ in reference.most_common(top)}
    total = sum(other.values()) or 1
    return sum(n for k, n in other.items() if k in keys) / total


def sample(folders, limit=SAMPLE_FILES, seed=7):
    paths = bench.files_of(folders)
    if len(paths) > limit:
        paths = sorted(random.Random(seed).sample(paths, limit))
    return paths


def compare_text(bin_path, corpus, realtext_folders):
    """How far the realtext archive and `archive-sync generate` output are from the corpus."""
    bench.log("[realtext] comparing the text with the corpus ...")
    corpus_profile = text_profile(bench.files_of(corpus_folders(corpus)))
    rows = {"corpus": corpus_profile,
            "realtext": text_profile(sample(realtext_folders)),
            "generated": text_profile(sample(bench.generated(bin_path, SAMPLE_FILES)))}
    figures = {}
    for name, profile in rows.items():
        figures[name] = {
            "files": profile["files"], "cjk_share": profile["cjk_share"], "mean_bytes": profile["mean_bytes"],
            "gzip_alone": profile["gzip_alone"], "gzip_100": profile["gzip_100"],
            "distinct_characters": len(profile["characters"]),
            "characters_tvd": distance(corpus_profile["characters"], profile["characters"]),
            "characters_coverage": coverage(corpus_profile["characters"], profile["characters"]),
            "pairs_tvd": distance(corpus_profile["pairs"], profile["pairs"]),
            "words_tvd": distance(corpus_profile["words"], profile["words"]),
        }
        bench.log(f"  {name}: {figures[name]['files']} files, CJK {figures[name]['cjk_share']:.1%}, "
                  f"characters TVD {figures[name]['characters_tvd']:.3f}, pairs TVD {figures[name]['pairs_tvd']:.3f}, "
                  f"words TVD {figures[name]['words_tvd']:.3f}, mean {figures[name]['mean_bytes']:,.0f} B, "
                  f"gzip {figures[name]['gzip_alone']:.3f} alone / {figures[name]['gzip_100']:.3f} by 100")
    return figures


def text_table(figures):
    lines = ["| text | files read | CJK share of characters | distinct characters | top-1,000 characters: TVD from "
             "the corpus | share of characters among the corpus's top 1,000 | top-1,000 CJK pairs: TVD | top-1,000 "
             "Latin words: TVD | mean file size | gzip, one file / 100 files together |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    labels = {"corpus": "the corpus (VOA Chinese)", "realtext": "realtext (corpus paragraphs reshuffled)",
              "generated": "`archive-sync generate`"}
    for name, f in figures.items():
        lines.append(f"| {labels[name]} | {f['files']:,} | {f['cjk_share']:.1%} | {f['distinct_characters']:,} "
                     f"| {f['characters_tvd']:.3f} | {f['characters_coverage']:.1%} | {f['pairs_tvd']:.3f} "
                     f"| {f['words_tvd']:.3f} | {f['mean_bytes'] / 1e3:.1f} KB "
                     f"| {f['gzip_alone']:.3f} / {f['gzip_100']:.3f} |")
    generated = figures["generated"]
    lines += ["", "TVD: total-variation distance between the frequencies of the corpus's 1,000 commonest items "
              "in the corpus and in the text (0: the same, 1: nothing in common); visible text only (tags removed). "
              f"The generator is {generated['characters_tvd']:.2f} from the corpus in characters, "
              f"{generated['pairs_tvd']:.2f} in character pairs and {generated['words_tvd']:.2f} in Latin words; "
              f"its files are {generated['mean_bytes'] / figures['corpus']['mean_bytes']:.2f}x the corpus's mean size "
              f"and gzip leaves {generated['gzip_100'] / figures['corpus']['gzip_100']:.2f}x as much of 100 of them."]
    return "\n".join(lines)


def bench_realtext(bin_path, corpus, counts, runs):
    """The text compared with the corpus, then the replica benchmark (import, rebuild, search,
    beside sqlite3) and the sync benchmark (beside git) on each realtext archive."""
    folders = {count: realtext(corpus, count) for count in counts}
    figures = {"text": compare_text(bin_path, corpus, folders[counts[0]]), "replicas": [], "syncs": []}
    for count in counts:
        name = f"realtext {count:,}"
        figures["replicas"].append(bench.bench_replica(
            bin_path, name, folders[count], runs, expected={"created": count, "recaptured": 0, "identical_copies": 0}))
        figures["syncs"].append(bench.bench_sync(bin_path, name, folders[count][0], runs, edit=bench.edit_text_files))
    return figures


def realtext_section(figures):
    return "\n".join([
        "### The text beside the corpus's", "", text_table(figures["text"]), "",
        "### Replica: import, rebuild, search", "", bench.replica_table(figures["replicas"]), "",
        bench.search_line(figures["replicas"]), "",
        "### Sync over loopback, beside git", "",
        "20 edits: a paragraph added to 20 files. Wall time of the whole command (median), bytes counted by a "
        "proxy in front of each server, peak memory from GNU time.", "", bench.sync_table(figures["syncs"])])
