"""The budget table that ends scripts/bench.sh: every `BUDGET <name> <figure>` line the benchmarks
printed, beside its target, with ✓ or ✗. A figure a run did not produce (PostgreSQL without
BENCH_POSTGRES_URL, say) shows as not measured.

    python bench/_budget.py < bench-output.log
"""
import sys

# name: (what it is, target, higher is better)
TARGETS = {
    "first_visit_wasm_brotli_bytes": ("first visit to /login, wasm brotli (B)", 200_000, False),
    "confirm_sqlite_req_s": ("confirm, SQLite (req/s)", 3_000, True),
    "confirm_postgres_req_s": ("confirm, PostgreSQL (req/s)", 1_800, True),
    "rss_60s_after_load_mib": ("RSS 60 s after each of 5 mixed loads, worst (MiB)", 60, False),
    "login_vs_argon2_bound": ("login rate / argon2 bound", 0.9, True),
}


def main():
    figures = {}
    for line in sys.stdin:
        parts = line.split()
        if len(parts) == 3 and parts[0] == "BUDGET":
            figures[parts[1]] = float(parts[2])
    print("\n| budget | figure | target | |")
    print("|---|---|---|---|")
    for name, (label, target, higher) in TARGETS.items():
        figure = figures.get(name)
        if figure is None:
            print(f"| {label} | not measured | {'≥' if higher else '≤'} {target:g} | |")
            continue
        ok = figure >= target if higher else figure <= target
        print(f"| {label} | {figure:g} | {'≥' if higher else '≤'} {target:g} | {'✓' if ok else '✗'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
