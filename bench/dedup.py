"""Duplicate-detection benchmark: `.venv/bin/python bench/dedup.py [--sizes 100000 1000000]`.

For each size, in a fresh process (so peak memory is that size's own): generate a labelled
synthetic set with ~10% duplicates (server/domain/dedup/synthetic.py, untimed), then time

* normalize — match keys, E.164 phones, region codes from the raw values: done once when a
  customer is saved, shown for reference (the nightly job reads the stored columns);
* match — blocking + scoring (`find_matches`): the nightly job's main cost;
* cluster — at the review threshold and at the auto-merge threshold;

and print candidate pairs, distinct pairs scored, peak RSS, CPU time (wall time suffers when
the machine is shared), and pairwise precision / recall / F1 against the labels.
Targets: 100k in < 60 s, F1 >= 0.95, well under 4 GB at 1M.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable from anywhere

from server.domain.dedup import (
    AUTO_MERGE_SCORE,
    LIKELY_SCORE,
    cluster,
    find_matches,
)
from server.domain.dedup.synthetic import evaluate, generate, match_records

DEFAULT_SIZES = (100_000, 1_000_000)


def run_one(size: int, seed: int) -> dict:
    """Benchmark one size in this process; returns the figures."""
    customers = generate(size, duplicate_share=0.1, seed=seed)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_at_start = usage.ru_utime + usage.ru_stime
    started = time.perf_counter()
    records = match_records(customers)
    normalized = time.perf_counter()
    matches, stats = find_matches(records, LIKELY_SCORE)
    matched = time.perf_counter()
    likely = cluster(records, matches, LIKELY_SCORE)
    auto = cluster(records, matches, AUTO_MERGE_SCORE)
    clustered = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    found, merged = evaluate(customers, likely), evaluate(customers, auto)
    return {
        "size": size,
        "normalize_s": round(normalized - started, 1),
        "match_s": round(matched - normalized, 1),
        "cluster_s": round(clustered - matched, 1),
        "candidate_pairs": stats.candidate_pairs,
        "exact_pairs": stats.exact_pairs,
        "scored_pairs": stats.scored,
        "likely_pairs": len(matches),
        "true_pairs": found.true_pairs,
        "peak_rss_mb": usage.ru_maxrss // 1024,
        "cpu_s": round(usage.ru_utime + usage.ru_stime - cpu_at_start, 1),
        "likely": _quality(found),
        "auto": _quality(merged),
    }


def _quality(quality) -> dict:
    return {
        "precision": round(quality.precision, 4),
        "recall": round(quality.recall, 4),
        "f1": round(quality.f1, 4),
    }


def _in_child(size: int, seed: int) -> dict:
    command = [sys.executable, __file__, "--child", str(size), "--seed", str(seed)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def _report(result: dict) -> None:
    dedup_s = result["match_s"] + result["cluster_s"]
    total_s = result["normalize_s"] + dedup_s
    print(f"\n== {result['size']:,} customers ({result['true_pairs']:,} true duplicate pairs)")
    print(
        f"  time: normalize {result['normalize_s']} s (at save time) + match "
        f"{result['match_s']} s + cluster {result['cluster_s']} s = {total_s:.1f} s "
        f"(nightly part: {dedup_s:.1f} s); CPU time {result['cpu_s']} s"
    )
    print(
        f"  pairs: {result['candidate_pairs']:,} candidates ({result['exact_pairs']:,} from "
        f"equal phone/email), {result['scored_pairs']:,} scored, "
        f"{result['likely_pairs']:,} likely (>= {LIKELY_SCORE:g})"
    )
    print(f"  peak memory (RSS): {result['peak_rss_mb']:,} MB")
    for name, threshold in (("likely", LIKELY_SCORE), ("auto", AUTO_MERGE_SCORE)):
        q = result[name]
        print(
            f"  {name:>6} (>= {threshold:g}): precision {q['precision']:.4f}  "
            f"recall {q['recall']:.4f}  F1 {q['f1']:.4f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(args.child, args.seed)))
        return
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
    for size in args.sizes:
        _report(_in_child(size, args.seed))
    print(f"\nload average {os.getloadavg()[0]:.1f} at end (the machine may be shared)")


if __name__ == "__main__":
    main()
