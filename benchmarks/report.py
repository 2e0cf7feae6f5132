"""results.json -> results.md: the headline table, then one section per benchmark with its command, date and load."""

from __future__ import annotations


def _f(x, digits: int = 2) -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:,.{digits}f}"
    return f"{x:,}" if isinstance(x, int) else str(x)


def _load(values) -> str:
    return "/".join(f"{v:.1f}" for v in values) if values else "–"


def _table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return "\n".join(lines + ["| " + " | ".join(_f(c) for c in row) + " |" for row in rows])


INTRO = """# Benchmarks

Written by `make bench` (`python -m benchmarks.run`); see docs/benchmarks.md for how to read and re-run it.
Every figure is the median of the runs stated; ratios compare two things measured side by side in one
run (alternating A B A B). Each section gives the load average before and after it: on a busy machine
absolute times stretch (a 2-core machine at load 10 is several times slower), ratios much less.
"""


def render(results: dict) -> str:
    m, sections = results["machine"], results["sections"]
    out = [
        INTRO,
        f"**Machine:** {m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB RAM, {m['os']}, Python {m['python']}; "
        f"torch default threads {m['torch_default_threads']}, OMP_WAIT_POLICY {m['omp_wait_policy']}; "
        + ", ".join(f"{k} {v}" for k, v in m["versions"].items()),
        "",
        "**Runs:**",
        "",
        *(
            f"- {r['date']}: sections {', '.join(r['sections'])}, {r['wall_s']} s (sweep grid: {r['sweep']})"
            for r in results.get("runs", [])
        ),
        "",
        "## Headline",
        "",
        _table(["what", "measured", "ratio", "goal"], headline(sections)),
        "",
    ]
    for key, title, body in SECTIONS:
        if record := sections.get(key):
            meta = (
                f"`{record['command']}` — {record['date']}, {record['wall_s']} s; load (1/5/15 min) "
                f"before {_load(record['load_before'])}, after {_load(record['load_after'])}"
            )
            text = body(record["result"]) if "result" in record else f"FAILED: `{record['error'][-300:]}`"
            out += [f"## {title}", "", meta, "", text, ""]
    return "\n".join(out)


def pipeline(r: dict) -> str:
    rows = [[s["stage"], s["wall_s"], s["cpu_s"], _f(s["peak_rss_mb"], 0), _load(s["load"])] for s in r["stages"]]
    return (
        _table(["stage", "wall s", "CPU s", "peak RSS MB", "load at end"], rows)
        + f"\n\n`dvc repro` wall {r['wall_s']:.1f} s = stage processes {r['stage_wall_s']:.1f} s + DVC's own "
        f"{r['dvc_overhead_s']:.1f} s. Peak RSS of any stage: {r['peak_rss_mb']:.0f} MB."
    )


def startup(r: dict) -> str:
    ref = r["reference"]
    header = ["stage", "wall s", "CPU s", f"CPU s at {r['reference_commit'][:7]}", "ratio", "RSS MB"]
    rows = [
        [k, s["wall_s"], s["cpu_s"], ref[k]["cpu_s"], r["ratios_cpu"][k], s["peak_rss_mb"]]
        for k, s in r["stages"].items()
    ]
    return _table(header, rows)


def embed(r: dict) -> str:
    rows = [
        ["project path: embed_table (model load + encode)", _f(r["project_texts_per_s"], 0)],
        ["bare SentenceTransformer.encode (model loaded)", _f(r["bare_texts_per_s"], 0)],
        ["tfidf backend (TF-IDF + SVD 256)", _f(r["tfidf_texts_per_s"], 0)],
    ]
    return (
        f"{r['texts']:,} TREC-6 texts, batch {r['batch_size']}, torch threads {r['torch_threads']}.\n\n"
        + _table(["path", "texts/s"], rows)
        + f"\n\nVectors identical to `encode`'s: {r['identical_vectors']} (max abs diff {r['max_abs_diff']:.1e})."
    )


def embed_cache(r: dict) -> str:
    t, n = r["seconds"], r["texts"]
    rows = [
        ["cold (empty cache)", n, _f(t["cold"], 1), "1"],
        [f"{r['removed']} rows removed", n - r["removed"], t["removed_10pct"], _f(r["ratio_removed"], 4)],
        [f"{r['added']} rows added", n + r["added"], t["added_10pct"], _f(r["ratio_added"], 3)],
    ]
    return (
        _table(["Reuters articles", "rows", "embed s", "vs cold"], rows)
        + f"\n\nWarm vectors vs a cold embed ({r['checked_rows']:,} rows): identical {r['warm_equals_cold']}."
    )


def train(r: dict) -> str:
    header = ["torch threads", "train_mlp samples/s", "bare loop samples/s", "ratio"]
    rows = [
        [n, _f(x["project_samples_per_s"], 0), _f(x["bare_samples_per_s"], 0), _f(x["ratio_project_vs_bare"], 3)]
        for n, x in r["threads"].items()
    ]
    return f"{r['train_rows']:,} rows, {r['epochs']} epochs, batch {r['batch_size']}.\n\n" + _table(header, rows)


def balance(r: dict) -> str:
    if "limits" not in r:  # a results.json written before the limits were measured
        return "(re-run `python -m benchmarks.run --only balance`)"
    sizes = r["sizes"]
    head = ["what", *(f"{n // 1000}k rows" for n in sizes)]
    limit_rows = [
        [
            f"limit, {search}: every row's {r['k_limit']} nearest among all rows, bare faiss"
            + (" (HNSW built on one thread)" if search == "approximate" else " (IndexFlatL2)"),
            *(_limit_cell(r["limits"][search].get(str(n))) for n in sizes),
        ]
        for search in ("exact", "approximate")
        if r["limits"].get(search)
    ]
    rows = [
        [f"`{m['method']}`", m["search"], *(_balance_cell(_case_at(m, n)) for n in sizes), _f(m["exponent"])]
        for m in r["methods"]
    ]
    goals = r["goals"]
    return (
        _table(head, limit_rows)
        + "\n\nA cell: median seconds (runs), **x ratio** to the limit of the same search at that size, peak RSS; "
        "with `balance.neighbors: approximate`, the recall of the exact nearest neighbours logged by the run. "
        f"Goals at 200k rows: <= {goals['seconds']:.0f} s, ratio <= {goals['ratio']:.0f}, "
        f"< {goals['peak_rss_mb'] / 1024:.0f} GB.\n\n"
        + _table(["method", "balance.neighbors", *head[1:], "exponent"], rows)
        + "\n\n"
        + _balance_goals(r)
    )


def _case_at(method: dict, rows: int) -> dict | None:
    return next((c for c in method["cases"] if c["rows"] == rows), None)


def _limit_cell(case: dict | None) -> str:
    if case is None:
        return "–"
    return f"{case['seconds']:.2f} s, {case['peak_rss_mb']:.0f} MB" if case["status"] == "ok" else case["status"]


def _balance_cell(case: dict | None) -> str:
    if case is None:
        return "–"
    if case["status"] == "timeout":
        return "**timed out**"
    if case["status"] != "ok":
        return f"error: {case['error'][:60]}"
    ratio = f" **x{case['ratio']:.2f}**" if "ratio" in case else ""
    recall = f", recall {case['recall']:.3f}" if case.get("recall") is not None else ""
    return f"{case['seconds']:.2f} s ({case['runs']}){ratio}, {case['peak_rss_mb']:.0f} MB{recall}"


def _balance_goals(r: dict) -> str:
    """Which resamplers meet each goal at the largest size, per search."""
    top, goals, lines = max(r["sizes"]), r["goals"], []
    for search in ("exact", "approximate"):
        cases = {m["method"]: _case_at(m, top) for m in r["methods"] if m["search"] == search}
        if not cases:
            continue
        ok = {name: c for name, c in cases.items() if c and c["status"] == "ok"}
        miss = [
            ("over {:.0f} s".format(goals["seconds"]), [n for n, c in ok.items() if c["seconds"] > goals["seconds"]]),
            (f"over x{goals['ratio']:.0f} the limit", [n for n, c in ok.items() if c.get("ratio", 0) > goals["ratio"]]),
            (
                f"over {goals['peak_rss_mb'] / 1024:.0f} GB",
                [n for n, c in ok.items() if c["peak_rss_mb"] > goals["peak_rss_mb"]],
            ),
            ("not finished", sorted(set(cases) - set(ok))),
        ]
        said = "; ".join(f"{what}: {', '.join(names)}" for what, names in miss if names) or "every goal met"
        lines.append(f"- {search}, {top // 1000}k rows, {len(cases)} resamplers: {said}")
    return "\n".join(lines)


def finetune(r: dict) -> str:
    rows = [
        ["bare sentence-transformers loop", _f(r["bare"]["training_s"], 1), "", _f(r["bare"]["peak_rss_mb"], 0)],
        [
            "train.encoder finetune (imbalance_lab/models/finetune.py)",
            _f(r["project"]["training_s"], 1),
            _f(r["project"]["epoch_with_val_s"], 1),
            _f(r["project"]["peak_rss_mb"], 0),
        ],
    ]
    return (
        f"{r['texts']} training texts of TREC-6, batch {r['batch_size']}, {r['threads']} torch threads; "
        "loading the model and one epoch's training steps.\n\n"
        + _table(["path", "s", "s with the validation pass", "peak RSS MB"], rows)
        + f"\n\nRatio **{r['ratio_project_vs_bare']:.2f}** (goal <= 1.1)."
        + (_reuters_steps(r["reuters"]) if "reuters" in r else "")
    )


def _reuters_steps(r: dict) -> str:
    rows = [
        [
            f"{'every layer' if layers == 0 else 'top layer only'}, {tokens} tokens",
            _f(x["s_per_step"], 2),
            x["epoch_min"],
        ]
        for key, x in r.items()
        if isinstance(x, dict)
        for layers, tokens in [tuple(int(v) for v in key.replace("layers", "").split("_tokens"))]
    ]
    return (
        f"\n\nReuters-21578 on this CPU ({r['articles']:,} articles, an epoch = {r['epoch_texts']:,}, batch 32):\n\n"
        + _table(["train.finetune_layers, embed.max_seq_length", "s per step", "min per epoch"], rows)
    )


def balance_choices(r: dict) -> str:
    svm_rows, kmeans_rows = [], []
    for d in r["data_sets"]:
        s = d["svm_smote"]
        for kernel in ("rbf", "linear"):
            x = s[kernel]
            shared = f"{s['support_vectors_shared']} shared" if kernel == "linear" else ""
            svm_rows.append(
                [d["data"], kernel, _f(x["seconds"]), f"{x['support_vectors']} {shared}".strip(), x["new_rows"]]
                + [_f(x["new_row_distance_to_class"], 3), _f(x["new_rows_nearest_own_class"], 3)]
            )
        c = d["cluster_centroids"]
        for kmeans in ("full", "minibatch"):
            x = c[kmeans]
            kmeans_rows.append(
                [d["data"], kmeans, _f(x["seconds"]), x["centroids"], _f(x["rows_to_centroid_sq_distance"], 4)]
                + [_f(x["centroids_nearest_own_class"], 3)]
            )
    svm_head = ["data", "balance.svm_kernel", "s", "support vectors (grown classes)", "new rows"]
    svm_head += ["new row to nearest real row of its class", "new rows whose nearest real row is of their class"]
    kmeans_head = ["data", "balance.cluster_kmeans", "s", "centroids", "row to nearest centroid (squared)"]
    kmeans_head += ["centroids whose nearest real row is of their class"]
    return _table(svm_head, svm_rows) + "\n\n" + _table(kmeans_head, kmeans_rows)


def sweep(r: dict) -> str:
    d, n, same = r["dvc"], r["dvc"]["experiments"], r["metrics_identical"]
    rows = [
        ["DVC: `dvc exp run --queue` x N + `dvc queue start -j 2`", _f(d["wall_s"], 1), _f(d["wall_s"] / n, 1)],
        ["  of which queueing (`dvc exp run --queue` calls)", _f(d["queueing_s"], 1), _f(d["queueing_s"] / n, 1)],
        ["plain loop: the stages' main() in one process", _f(r["loop"]["wall_s"], 1), _f(r["loop"]["wall_s"] / n, 1)],
        *(
            [["  the loop before and after the DVC run", " / ".join(map(str, r["loop"]["runs_s"])), ""]]
            if "runs_s" in r["loop"]
            else []
        ),
    ]
    return (
        f"{', '.join(r['strategies'])} x seeds {r['seeds']} = {n} experiments.\n\n"
        + _table(["path", "wall s", "s / experiment"], rows)
        + f"\n\nRatio **{r['ratio_dvc_vs_loop']:.2f}** ({r['dvc_overhead_per_experiment_s']:+.1f} s per experiment). "
        f"Stage runs: {d['stage_runs']}; failed: {d['failed'] or 'none'}; "
        f"metrics identical: {sum(same.values())}/{len(same)} (the two loops agree: {r.get('loops_agree', '–')})."
    )


def multilabel(r: dict) -> str:
    rows = [
        [x["shape"], x["rows"], x["labels_per_row"], m, x[m]["rows_after"], x[m]["s"]]
        for x in r["resamplers"].values()
        for m in ("random_over", "mlsmote")
    ]
    t, e = r["thresholds"], r["reuters"]
    return (
        _table(["labels", "rows", "labels/row", "method", "rows after", "s"], rows)
        + f"\n\nPer-label thresholds, {t['labels']} labels x {t['rows']:,} rows ({t['fits']} fits): {t['s']:.2f} s.\n\n"
        f"Reuters-21578 ({e['labels']} labels): test macro-F1 {e['metrics']['macro_f1']:.3f}, micro-F1 "
        f"{e['metrics']['micro_f1']:.3f}.\n\n" + pipeline(e)
    )


def headline(sections: dict) -> list[list]:
    def get(key):
        return sections.get(key, {}).get("result")

    rows = []
    if r := get("embed"):
        speeds = f"{r['project_texts_per_s']:.0f} vs {r['bare_texts_per_s']:.0f}"
        rows.append(["embed stage path vs bare `encode` (texts/s)", speeds, r["ratio_project_vs_bare"], ">= 0.90"])
    if r := get("embed_cache"):
        for c in ("added", "removed"):
            times = f"{r['seconds'][c + '_10pct']:.2f} vs {r['seconds']['cold']:.1f}"
            rows.append([f"embed, 10% of rows {c} vs cold (s)", times, _f(r["ratio_" + c], 3), "<= 0.15"])
    if r := get("finetune"):
        times = f"{r['project']['training_s']:.0f} vs {r['bare']['training_s']:.0f}"
        rows.append(["finetune epoch vs bare loop, TREC-6 (s)", times, r["ratio_project_vs_bare"], "<= 1.1"])
    if r := get("train"):
        x = next(x for x in r["threads"].values() if x["train.threads"] == r["stage_threads"])
        speeds = f"{x['project_samples_per_s']:.0f} vs {x['bare_samples_per_s']:.0f}"
        rows.append(["train_mlp vs bare torch loop (samples/s)", speeds, x["ratio_project_vs_bare"], ">= 0.90"])
    for grid in ("full", "small"):
        if r := get(f"sweep_{grid}"):
            times = f"{r['dvc']['wall_s']:.0f} vs {r['loop']['wall_s']:.0f}"
            rows.append([f"sweep ({grid} grid), DVC queue vs loop (s)", times, r["ratio_dvc_vs_loop"], "<= 1.2"])
    if r := get("e2e"):
        rows.append(["`dvc repro` from scratch, TREC-6 (s)", f"{r['wall_s']:.0f}", "", ""])
    if r := get("scale"):
        rows.append(
            [f"pipeline at {r['rows']:,} rows", f"{r['wall_s']:.0f} s, {r['peak_rss_mb']:.0f} MB", "", "< 24 GiB"]
        )
    if (r := get("balance")) and "limits" in r:
        top = max(r["sizes"])
        for search in ("exact", "approximate"):
            cases = [c for m in r["methods"] if m["search"] == search and (c := _case_at(m, top))]
            if cases:
                done = [c for c in cases if c["status"] == "ok"]
                fast = sum(c["seconds"] <= r["goals"]["seconds"] for c in done)
                worst = max((c.get("ratio", 0) for c in done), default=None)
                what = f"resamplers at {top // 1000}k rows, {search} search: within {r['goals']['seconds']:.0f} s"
                rows.append([what, f"{fast} of {len(cases)}", "", ""])
                rows.append([f"... largest time / its search's limit ({search})", "", _f(worst), "<= 3"])
    if r := get("startup"):
        for stage in ("split", "balance", "evaluate", "threshold_tune"):
            rows.append([f"{stage} start-up CPU vs {r['reference_commit'][:7]}", "", r["ratios_cpu"][stage], "<= 0.3"])
    return rows


SECTIONS = [  # results.json key, title, body
    ("e2e", "End to end: `dvc repro` from scratch on TREC-6", pipeline),
    ("startup", "Stage start-up: `python -c 'import stages.X; load_params()'`", startup),
    ("embed", "embed: project path vs bare SentenceTransformer.encode", embed),
    ("embed_cache", "embed cache: a changed file vs a cold embed", embed_cache),
    ("train", "train: train_mlp vs a bare torch loop", train),
    ("finetune", "finetune: one epoch of train.encoder finetune vs a bare training loop", finetune),
    ("balance", "balance: resamplers by rows", balance),
    ("balance_choices", "balance: what the fast svm_smote and cluster_centroids change", balance_choices),
    ("sweep_full", "Sweep (full grid): DVC queue vs plain loop", sweep),
    ("sweep_small", "Sweep (small grid): DVC queue vs plain loop", sweep),
    ("scale", "Scale: the pipeline on 200k synthetic rows", pipeline),
    ("multilabel", "Multi-label: ML-ROS and MLSMOTE, thresholds at 100 labels, Reuters", multilabel),
]
