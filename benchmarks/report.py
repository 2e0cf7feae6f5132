"""results.json -> results.md: the headline table, then one table per section with its command, date and load."""

from __future__ import annotations

from collections.abc import Callable


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
    lines += ["| " + " | ".join(_f(c) if not isinstance(c, str) else c for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _meta(record: dict) -> str:
    return (
        f"`{record['command']}` — {record['date']}, {record['wall_s']} s; load (1/5/15 min) "
        f"before {_load(record['load_before'])}, after {_load(record['load_after'])}"
    )


def render(results: dict) -> str:
    sections = results["sections"]
    m = results["machine"]
    out = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m benchmarks.run`); see docs/benchmarks.md for how to read and re-run it.",
        "Every figure is the median of the runs stated; ratios compare two things measured side by side in one",
        "run (alternating A B A B). Each section gives the load average before and after it: on a busy machine",
        "absolute times stretch (a 2-core machine at load 10 is several times slower), ratios much less.",
        "",
        f"**Machine:** {m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB RAM, {m['os']}, Python {m['python']}; "
        f"torch default threads {m['torch_default_threads']}, OMP_WAIT_POLICY {m.get('omp_wait_policy', '?')}; "
        + ", ".join(f"{k} {v}" for k, v in m["versions"].items()),
        "",
    ]
    runs = results.get("runs", [])
    if runs:  # every invocation that wrote this file, newest last: a partial re-run never hides a full one
        out += ["**Runs:**", ""]
        out += [
            f"- {r['date']}: sections {', '.join(r['sections'])}, {r['wall_s']} s (sweep grid: {r['sweep']})"
            for r in runs
        ]
        out.append("")
    out += ["## Headline", "", headline(sections), ""]
    for key, title, fn in SECTION_RENDERERS:
        record = sections.get(key)
        if record is None:
            continue
        out += [f"## {title}", "", _meta(record), ""]
        out += [fn(record["result"]) if "result" in record else f"FAILED: `{record['error'][-300:]}`", ""]
    return "\n".join(out)


def headline(sections: dict) -> str:
    rows = []

    def get(key):
        record = sections.get(key)
        return record.get("result") if record else None

    if r := get("embed"):
        rows.append(
            [
                "embed stage path vs bare `encode` (texts/s, model load included)",
                f"{r['project_texts_per_s']:.0f} vs {r['bare_texts_per_s']:.0f}",
                f"{r['ratio_project_vs_bare']:.2f}",
                ">= 0.90",
            ]
        )
    if r := get("embed_cache"):
        for change in ("added", "removed"):
            rows.append(
                [
                    f"embed, 10% of rows {change} vs cold ({r['texts']:,} news articles, s)",
                    f"{r['seconds'][change + '_10pct']:.2f} vs {r['seconds']['cold']:.1f}",
                    f"{r['ratio_' + change]:.3f}",
                    "<= 0.15",
                ]
            )
    if r := get("train"):
        stage = r["threads"].get(str(_threads_key(r)), {})
        if stage:
            rows.append(
                [
                    f"train_mlp loop vs bare torch loop (samples/s, {_threads_key(r)} thread(s))",
                    f"{stage['project_samples_per_s']:.0f} vs {stage['bare_samples_per_s']:.0f}",
                    f"{stage['ratio_project_vs_bare']:.2f}",
                    ">= 0.90",
                ]
            )
        one, every = r["threads"].get("1"), r["threads"].get(str(max(int(k) for k in r["threads"])))
        if one and every and one is not every:
            rows.append(
                [
                    "train_mlp: 1 thread vs every core (samples/s)",
                    f"{one['project_samples_per_s']:.0f} vs {every['project_samples_per_s']:.0f}",
                    f"{one['project_samples_per_s'] / every['project_samples_per_s']:.2f}",
                    "",
                ]
            )
    if r := get("crossval"):
        rows.append(
            [
                "one CV fold vs one train run (s)",
                f"{r['fold_s']:.2f} vs {r['train_s']:.2f}",
                f"{r['ratio_fold_vs_train']:.2f}",
                "",
            ]
        )
    for grid in ("full", "small"):
        if r := get(f"sweep_{grid}"):
            rows.append(
                [
                    f"sweep ({grid}: {r['dvc']['experiments']} experiments), DVC queue -j 2 vs plain loop (s)",
                    f"{r['dvc']['wall_s']:.0f} vs {r['loop']['wall_s']:.0f}",
                    f"{r['ratio_dvc_vs_loop']:.2f}",
                    f"{r['dvc_overhead_per_experiment_s']:+.1f} s/experiment",
                ]
            )
    if r := get("e2e"):
        rows.append(
            [
                "`dvc repro` from scratch, TREC-6 (s)",
                f"{r['wall_s']:.0f}",
                "",
                f"DVC's own share {r['dvc_overhead_s']:.0f} s",
            ]
        )
    if r := get("scale"):
        rows.append(
            [
                f"pipeline at {r['rows']:,} rows: total s, peak RSS",
                f"{r['wall_s']:.0f} s, {r['peak_rss_mb'] / 1024:.1f} GiB",
                "",
                f"< {r['memory_limit_gib']} GiB: {'yes' if r['within_memory_limit'] else 'NO'}",
            ]
        )
    if r := get("balance"):
        flagged = [m["method"] for m in r["methods"] if m["worse_than_nlogn"]]
        rows.append(["resamplers growing faster than n log n", ", ".join(flagged) or "none", "", ""])
    if r := get("startup"):
        for stage, goal in (("split", "goal <= 0.3"), ("balance", "goal <= 0.3"), ("evaluate", "loads torch")):
            ratio = r["ratios_cpu"][stage]
            rows.append([f"{stage} start-up CPU vs {r['reference_commit'][:7]}", f"{ratio:.2f}x", "", goal])
    return _table(["what", "measured", "ratio", "goal / note"], rows)


def _threads_key(r: dict) -> int:
    for key, run in r["threads"].items():
        if run.get("train.threads") == r["stage_threads"]:
            return int(key)
    return int(next(iter(r["threads"])))


def embed_section(r: dict) -> str:
    t = r["times_s"]
    rows = [
        ["project path: embed_table (load + encode)", _f(r["project_texts_per_s"], 0), len(t["project"])],
        ["project path, encode part (minus warm load)", _f(r["project_encode_texts_per_s"], 0), len(t["project"])],
        ["bare SentenceTransformer.encode (model loaded)", _f(r["bare_texts_per_s"], 0), len(t["bare_encode"])],
        ["tfidf backend (TF-IDF + SVD 256)", _f(r["tfidf_texts_per_s"], 0), len(t["tfidf"])],
    ]
    return "\n".join(
        [
            f"{r['texts']:,} TREC-6 texts, batch {r['batch_size']}, torch threads {r['torch_threads']}.",
            "",
            _table(["path", "texts/s", "runs"], rows),
            "",
            f"Ratio project/bare: **{r['ratio_project_vs_bare']:.3f}** (encode part only: "
            f"{r['ratio_project_encode_vs_bare']:.3f}). Vectors identical: {r['identical_vectors']} "
            f"(max abs diff {r['max_abs_diff']:.1e}): the project path batches texts of one token length, so "
            "nothing is padded and a vector does not depend on its batch (the embedding cache needs that); "
            "`encode` pads each batch to its longest text, which is also why it is slower.",
            f"Model load: {r['warm_load_s']:.2f} s warm in-process (bare {r['bare_warm_load_s']:.2f} s); "
            f"{r['fresh_process_load_s']:.2f} s in a fresh process (Python + torch + transformers imports "
            f"+ load); `import sentence_transformers` {r['sentence_transformers_import_s']:.2f} s.",
        ]
    )


def embed_cache_section(r: dict) -> str:
    t = r["seconds"]
    rows = [
        ["cold (empty cache)", r["texts"], _f(t["cold"], 1), "1"],
        [f"{r['removed']} rows removed", r["texts"] - r["removed"], _f(t["removed_10pct"]), _f(r["ratio_removed"], 4)],
        [f"{r['added']} rows added", r["texts"] + r["added"], _f(t["added_10pct"]), _f(r["ratio_added"], 3)],
    ]
    return "\n".join(
        [
            f"Reuters single-topic articles (median {r['median_words']:.0f} words; {r['truncated']:,} of "
            f"{r['texts'] + r['added']:,} cut at 256 tokens), sentence-transformers, cold "
            f"{r['cold_texts_per_s']:.0f} texts/s.",
            "",
            _table(["file", "rows", "embed s", "vs cold"], rows),
            "",
            f"Warm vectors vs a cold embed of the same texts ({r['checked_rows']:,} rows: every added one and as "
            f"many cached): identical {r['warm_equals_cold']}, max abs diff {r['warm_vs_cold_max_abs_diff']:.1e}. "
            "Small changes cost more per text than a cold run: fewer texts share a token length, so batches are "
            "smaller.",
        ]
    )


def train_section(r: dict) -> str:
    rows = []
    for threads, run in r["threads"].items():
        rows.append(
            [
                f"{threads} (train.threads {run['train.threads']})",
                _f(run["project_samples_per_s"], 0),
                _f(run["bare_samples_per_s"], 0),
                _f(run["ratio_project_vs_bare"], 3),
                len(run["times_s"]["project"]),
            ]
        )
    return "\n".join(
        [
            f"{r['data']}: {r['train_rows']:,} training rows, {r['epochs']} epochs (no early stop), batch "
            f"{r['batch_size']}, MLP {r['hidden_dims']}, AdamW, grad clip {r['grad_clip']}. The stage sets "
            f"train.threads = {r['stage_threads']}.",
            "",
            _table(["torch threads", "train_mlp samples/s", "bare loop samples/s", "ratio", "runs"], rows),
        ]
    )


def crossval_section(r: dict) -> str:
    rows = [
        [
            f"fold {i + 1}",
            f["rows"],
            f["epochs"],
            _f(f["resample_s"], 3),
            _f(f["train_mlp_s"]),
            _f(f["predict_logits_s"], 3),
            _f(f["s_per_epoch"], 3),
        ]
        for i, f in enumerate(r["fold_runs"])
    ]
    rows += [
        [f"train run {i + 1}", t["rows"], t["epochs"], "", _f(t["wall_s"]), "", _f(t["wall_s"] / t["epochs"], 3)]
        for i, t in enumerate(r["train_runs"])
    ]
    return "\n".join(
        [
            f"{r['data']}, {r['folds']} folds, balance.method {r['method']}, default train params (early stopping).",
            "",
            _table(["run", "fit rows", "epochs", "resample s", "train s", "predict s", "s/epoch"], rows),
            "",
            f"Median fold {r['fold_s']:.2f} s vs median train run {r['train_s']:.2f} s: ratio "
            f"**{r['ratio_fold_vs_train']:.2f}**; per epoch {r['ratio_epoch_fold_vs_train']:.2f}. Whole "
            f"cross_validate {r['cv_wall_s']:.1f} s, of which {r['cv_outside_folds_s']:.2f} s outside the folds.",
        ]
    )


def balance_section(r: dict) -> str:
    sizes = sorted({c["rows"] for m in r["methods"] for c in m["cases"]})
    rows = []
    for m in r["methods"]:
        by_rows = {c["rows"]: c for c in m["cases"]}
        cells = [_balance_cell(by_rows.get(n)) for n in sizes]
        flag = "**yes**" if m["worse_than_nlogn"] else ("no" if m["exponent"] is not None else "?")
        rows.append([m["method"], *cells, _f(m["exponent"]), flag])
    header = ["method", *(f"{n // 1000}k rows" for n in sizes), "exponent", "> n log n"]
    return "\n".join(
        [
            f"Synthetic unit-norm embeddings, {r['dim']} dims, 6 classes (40/25/15/10/7/3 %), sampling_strategy auto, "
            f"k_neighbors 5. Each cell: median seconds of resample() (runs), peak RSS of the process. "
            f"Each case runs in a forked child with a {r['timeout_s']:.0f} s timeout; a size the measured growth "
            f'predicts over the timeout is not run ("> {r["timeout_s"]:.0f} s, ~N s extrapolated"). Exponent: '
            f"slope of log time on log rows over the measured main sizes (n log n over 5k..200k fits ~1.1; "
            f"flagged above {r['nlogn_exponent']} if its largest measured case takes 1 s or more; sub-second "
            "timings are dominated by constant costs).",
            "",
            _table(header, rows),
        ]
    )


def _balance_cell(case: dict | None) -> str:
    if case is None:
        return ""
    if case["status"] == "ok":
        return f"{case['seconds']:.2f} s ({case['runs']}), {case['peak_rss_mb']:.0f} MB"
    if case["status"] == "error":
        return f"error: {case['error'][:60]}"
    extra = f", ~{case['extrapolated_s']:.0f} s extrapolated" if case.get("extrapolated_s") else ""
    verb = "timed out" if case["status"] == "timeout" else "not run"
    return f"> {case['lower_bound_s']:.0f} s ({verb}{extra})"


def _stage_rows(stages: list[dict]) -> list[list]:
    return [[s["stage"], _f(s["wall_s"]), _f(s["cpu_s"]), _f(s["peak_rss_mb"], 0), _load(s["load"])] for s in stages]


def pipeline_section(r: dict) -> str:
    lines = []
    if "rows" in r:
        lines += [
            f"{r['rows']:,} synthetic rows x 384 float32 features + label in a {r['table_mb']:.0f} MB parquet "
            f"(features backend), default params except train.max_epochs {r.get('max_epochs', 60)} (train and "
            f"each CV fold); train ran {r['train_epochs']} epochs, test macro-F1 {r['test_macro_f1']:.3f}.",
            "",
        ]
    lines += [
        _table(["stage", "wall s", "CPU s", "peak RSS MB", "load at end"], _stage_rows(r["stages"])),
        "",
        f"`dvc repro` wall {r['wall_s']:.1f} s = stage processes {r['stage_wall_s']:.1f} s + DVC's own "
        f"{r['dvc_overhead_s']:.1f} s (hashing, lock file, checks). Peak RSS of any stage: {r['peak_rss_mb']:.0f} MB.",
    ]
    return "\n".join(lines)


def startup_section(r: dict) -> str:
    before = r.get("reference", {})
    rows = []
    for name, s in r["stages"].items():
        b = before.get(name)
        ratio = f"{s['cpu_s'] / b['cpu_s']:.2f}" if b else ""
        rows.append(
            [name, _f(s["wall_s"]), _f(s["cpu_s"]), _f(b["cpu_s"]) if b else "", ratio, _f(s["peak_rss_mb"], 0)]
        )
    return "\n".join(
        [
            '`python -c "import stages.X; load_params()"`: what every stage process pays before any work '
            f"(median of {r['repeats']}, interleaved with the reference). Reference: the same at commit "
            f"{r.get('reference_commit', '?')[:7]} (before the strategies redesign), checked out in a temporary "
            "git worktree and run with the same interpreter.",
            "",
            _table(["stage", "wall s", "CPU s", "CPU s reference", "ratio", "RSS MB"], rows),
        ]
    )


def sweep_section(r: dict) -> str:
    d, lp = r["dvc"], r["loop"]
    n = d["experiments"]
    same = r["metrics_identical"]
    rows = [
        ["DVC: `dvc exp run --queue` x N + `dvc queue start -j 2`", _f(d["wall_s"], 1), _f(d["wall_s"] / n, 1)],
        ["  of which queueing (`dvc exp run --queue` calls)", _f(d["queueing_s"], 1), _f(d["queueing_s"] / n, 1)],
        ["  stage processes (sum over both workers)", _f(d["stage_process_wall_s"], 1), ""],
        ["plain loop, one process (imports included)", _f(lp["wall_s"], 1), _f(lp["wall_s"] / n, 1)],
    ]
    return "\n".join(
        [
            f"Grid {r['grid']}: strategies {', '.join(r['strategies'])} x seeds {r['seeds']} = {n} experiments, "
            "each running split, balance, train, cross-validate, evaluate, threshold-tune (embed cached by the "
            "baseline run).",
            "",
            _table(["path", "wall s", "s / experiment"], rows),
            "",
            f"Ratio DVC/loop **{r['ratio_dvc_vs_loop']:.2f}**, DVC overhead "
            f"{r['dvc_overhead_per_experiment_s']:+.1f} s per experiment. Stage runs: {d['stage_runs']}. "
            f"Embed runs during the sweep: **{d['embed_runs']}** "
            f"(log: {d['embed_log_line'] or 'n/a'}). Failed: {d['failed'] or 'none'}. Metrics identical to the "
            f"loop (test macro-F1, tuned macro-F1, CV mean): {sum(same.values())}/{len(same)}.",
        ]
    )


def multilabel_section(r: dict) -> str:
    rows = []
    for x in r["resamplers"].values():
        for method in ("random_over", "mlsmote"):
            cells = [x["shape"], f"{x['rows']:,}", x["labels_per_row"], method, x[method]["rows_after"]]
            rows.append([*cells, _f(x[method]["s"]), x["minority_labels"], x["minority_rows"]])
    t, e = r["thresholds"], r["reuters"]
    return "\n".join(
        [
            "Synthetic: 100 labels, label k on 0.3 / k^s of the rows (zipf: s = 1.35; flat: s = 0.4), 384 features; "
            "`random_over` is ML-ROS. MLSMOTE's neighbour search is per minority label over that label's rows "
            "(grows with the squared label sizes).",
            "",
            _table(
                ["labels", "rows", "labels/row", "method", "rows after", "s", "minority labels", "their rows"], rows
            ),
            "",
            f"Per-label thresholds at {t['labels']} labels x {t['rows']:,} rows (5 folds, 3 shrinkage candidates: "
            f"{t['fits']} fits): {t['s']:.2f} s.",
            "",
            f"Reuters-21578 multi-label, `dvc repro` with split.min_class_count 20 ({e['labels']} labels; embed from "
            f"the embedding cache): test macro-F1 {e['metrics']['macro_f1']:.3f}, micro-F1 "
            f"{e['metrics']['micro_f1']:.3f}.",
            "",
            pipeline_section(e),
        ]
    )


SECTION_RENDERERS: list[tuple[str, str, Callable[[dict], str]]] = [
    ("e2e", "End to end: `dvc repro` from scratch on TREC-6", pipeline_section),
    ("startup", "Stage start-up", startup_section),
    ("embed", "embed: project path vs bare SentenceTransformer.encode", embed_section),
    ("embed_cache", "embed cache: a changed file vs a cold embed", embed_cache_section),
    ("train", "train: train_mlp vs a bare torch loop", train_section),
    ("crossval", "cross-validate: time per fold vs one train run", crossval_section),
    ("balance", "balance: resamplers at 5k / 50k / 200k rows", balance_section),
    ("sweep_full", "Sweep (full grid): DVC queue vs plain loop", sweep_section),
    ("sweep_small", "Sweep (small grid): DVC queue vs plain loop", sweep_section),
    ("scale", "Scale: the pipeline on 200k synthetic rows", pipeline_section),
    (
        "multilabel",
        "Multi-label: ML-ROS and MLSMOTE at 10k / 50k rows, thresholds at 100 labels, Reuters",
        multilabel_section,
    ),
]
