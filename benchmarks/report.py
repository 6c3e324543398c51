"""The Performance page, rendered from a results file and the hand-written notes.

The page is a pure function of ``benchmarks/results/latest.json`` and ``benchmarks/notes.yml``
(no clock, no machine access), so a test can check that the committed page is exactly what
the committed results give.
"""

from __future__ import annotations

import html
import re

from pathlib import Path

NOTES = Path(__file__).resolve().parent / "notes.yml"
NAMES = {
    "ours": "glossary_dl", "numpy": "NumPy", "torch": "PyTorch", "sklearn": "scikit-learn",
    "products": "matrix products alone (NumPy BLAS)", "numba": "numba prange",
}
# What each column runs, per workload (kept here, not in the results, so that the wording can
# improve without a new measurement).
WHAT_RUNS = {
    "optimizers": {
        "ours": "`glossary_dl.optimizers.<name>.apply([θ], [g])`, in place",
        "numpy": "Keras' update rule with in-place ufuncs and one preallocated scratch array",
        "torch": "`torch.optim.<name>` with `fused=True` where this torch build runs it on the CPU, "
                 "else `foreach=True` (named per optimizer below); ε placement as torch's own",
    },
    "softmax-cross-entropy": {
        "ours": "`glossary_dl.backprop.softmax_cross_entropy(logits, labels)` → (loss, grad)",
        "numpy": "max-shifted `exp`, row sums, `log`, then the gradient `softmax − onehot` divided by N",
        "torch": "`F.cross_entropy(logits, labels)` on a leaf that requires grad, then `.backward()`",
    },
    "rbf-kernel": {
        "ours": "`glossary_dl.kernels.rbf_kernel(X)`",
        "sklearn": "`sklearn.metrics.pairwise.rbf_kernel(X)`",
        "numpy": "the expansion ‖x‖² + ‖y‖² − 2·X·Xᵀ (one BLAS product), clipped at 0, then `exp`",
        "torch": "`torch.exp(−γ·torch.cdist(X, X)²)`",
    },
    "chapter2-mlp": {
        "ours": "`glossary_dl.models.Sequential([Dense(512, 'relu'), Dense(10, 'softmax')])`, "
                "`compile('rmsprop', 'sparse_categorical_crossentropy', ['accuracy'])`, `fit(epochs=1)`",
        "numpy": "the same forward, backward and RMSprop step in vectorised NumPy",
        "torch": "two `nn.Linear`, `F.cross_entropy`, `backward()`, and Keras' RMSprop as in-place tensor "
                 "ops (torch.optim.RMSprop adds ε outside the root: a different update for small gradients)",
        "products": "only the step's five products x·W1, xᵀ·δ1, h·W2, hᵀ·δ2, δ2·W2ᵀ, NumPy's BLAS, "
                    "over the same batch sizes: the FLOP bound",
    },
}
FIGURES = (
    ("performance_speed", "How many times faster our implementation is than each other one, per workload, "
                          "with the goal marked"),
    ("performance_bandwidth", "Effective memory bandwidth of each optimizer step against the measured "
                              "STREAM triad"),
)


def load_notes(path: Path = NOTES) -> dict[str, str]:
    import yaml

    notes = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {key: (value or "").strip() for key, value in notes.items()}


def render(results: dict, notes: dict[str, str]) -> str:
    parts = [
        _header(results),
        _machine(results),
        _summary(results),
        _api(results, notes),
        _limits(results, notes),
        *(_workload(w, notes) for w in results["workloads"]),
        _site(results, notes),
    ]
    return "\n".join(part for part in parts if part).rstrip() + "\n"


# ---------------------------------------------------------------- formatting
def seconds(value: float) -> str:
    if value >= 1:
        return f"{value:.2f} s"
    if value >= 1e-3:
        return f"{value * 1e3:.3g} ms"
    return f"{value * 1e6:.3g} µs"


def spread(timing: dict) -> str:
    """Half the interquartile range, relative to the median: how noisy the rounds were."""
    return f"±{(timing['q3_s'] - timing['q1_s']) / 2 / timing['median_s']:.0%}"


def _verdict(goal: dict) -> str:
    return "met" if goal["met"] else "**not met**"


def _check(check: dict) -> str:
    return (f"Checked before timing: {check['what']}, every implementation against "
            f"{NAMES.get(check['against'], check['against'])} with `assert_allclose(rtol={check['rtol']:g}, "
            f"atol={check['atol']:g})`: {'passed' if check['passed'] else 'FAILED'}.")


def _note(key: str, notes: dict[str, str]) -> str:
    text = notes.get(key, "")
    if not text:
        return (f'!!! note "Explanation (written by hand)"\n    *Not written yet.* Add it under `{key}:` in '
                "`benchmarks/notes.yml`, then run `bash scripts/bench.sh --render`.\n")
    body = "\n".join(f"    {line}" if line else "" for line in text.splitlines())
    return f'!!! note "Explanation (written by hand, `benchmarks/notes.yml`: `{key}`)"\n{body}\n'


def _timing_table(timings: dict) -> str:
    ours = timings.get("ours") or next(iter(timings.values()))
    lines = ["| implementation | median | spread | time ÷ ours | rounds |", "| --- | ---: | ---: | ---: | ---: |"]
    for name, t in timings.items():
        lines.append(f"| {NAMES.get(name, name)} | {seconds(t['median_s'])} | {spread(t)} | "
                     f"{t['median_s'] / ours['median_s']:.2f}× | {t['repeats']} |")
    return "\n".join(lines) + "\n"


def _goal_table(goals: list[dict]) -> str:
    lines = ["| goal | measured | verdict |", "| --- | --- | --- |"]
    lines += [f"| {g['goal']} | {g['shown']} | {_verdict(g)} |" for g in goals]
    reasons = [f"**Why not met ({g['goal']}):** {g['why_not']}" for g in goals if not g["met"]]
    return "\n".join(lines) + "\n" + "".join(f"\n{r}\n" for r in reasons)


# ---------------------------------------------------------------- every public function
API_TITLE = "Every public function"


def code_name(text: str, *, call: bool = False) -> str:
    """``text`` as code that a table cell wraps only after a dot (a call's opening bracket too, with
    ``call``) or at a space, never mid-name.

    Material lets code break anywhere (``word-break: break-word``), so the browser squeezed the
    name columns to a few letters (``trees.Gra|dientBoos|ting…`` on a phone); ``glossary-name``
    (docs/assets/stylesheets/reader.css) turns that off and ``<wbr>`` marks where a name may break.
    """
    escaped = html.escape(text).replace(".", ".<wbr>")
    if call:  # after the bracket that opens a call's arguments, not after "(" of a remark or "()"
        escaped = re.sub(r"(?<=\w)\((?!\))", "(<wbr>", escaped)
    return f'<code class="glossary-name">{escaped}</code>'


def _function_cell(row: dict, with_counterpart: bool) -> str:
    """The name, and on the large size's table the counterpart's call under it (one column for both:
    side by side, the two made the table wider than a desktop's content column)."""
    name = code_name(row["name"])
    if not with_counterpart:
        return name
    return f"{name}<br>{NAMES[row['counterpart']]}: {code_name(row['call'], call=True)}"
LARGE_GOAL, READER_GOAL, GEOMEAN_GOAL = 1.0, 1.0, 1.5


def api_goals(api: dict | None) -> list[dict]:
    """The issue's goals for the whole API, in the page's one convention (the other's time ÷ ours)."""
    if not api or not api["rows"]:
        return []
    rows = api["rows"]
    goals = []
    for size, goal, what in (("large", LARGE_GOAL, "at the large size"), ("reader", READER_GOAL, "at the reader's size")):
        timed = [r for r in rows if r.get(size)]
        if not timed:
            continue
        met = [r for r in timed if r[size]["ratio"] >= goal]
        worst = min(timed, key=lambda r: r[size]["ratio"])
        goals.append({"goal": f"every function ≥ {goal:.1f}× {what}",
                      "shown": f"{len(met)} of {len(timed)}; worst {code_name(worst['name'])} {worst[size]['ratio']:.2f}×",
                      "met": len(met) == len(timed)})
    if api["geometric_mean"].get("large") is not None:
        mean = api["geometric_mean"]["large"]
        goals.append({"goal": f"geometric mean ≥ {GEOMEAN_GOAL:.1f}× at the large size", "shown": f"{mean:.2f}×",
                      "met": mean >= GEOMEAN_GOAL})
    return goals


def _passes_sentence(api: dict) -> str:
    passes = api.get("passes", 1)
    if passes < 2:
        return ""
    return (f" The whole table was timed {passes} times over, a few minutes apart; each row shows its median run"
            f" (times and ratio), and under the ratio the lowest and highest of its {passes} ratios.")


def _pass_range(timing: dict) -> str:
    ratios = timing.get("pass_ratios", [])
    return f"<br>{min(ratios):.2f}–{max(ratios):.2f}" if len(ratios) > 1 else ""


def _api(results: dict, notes: dict) -> str:
    api = results.get("api")
    if not api:
        return ""
    lines = [
        f"## {API_TITLE} {{#public-api}}", "",
        "Each public function of the package (and its gradient or backward) against the counterpart's best "
        "call on the same input: PyTorch on the CPU, scikit-learn for the kernels, NumPy where neither has "
        "the function. float32 throughout; the reader's size is what a call costs beyond its arithmetic "
        "(validation, dispatch), the large size what the loop costs. Both results are checked equal with "
        "`assert_allclose` (tolerances in `benchmarks/api.py`) before the two are timed, interleaved, on "
        f"{api['threads']} thread(s) at the large size and on one at the reader's size, where ours runs on the "
        "calling thread anyway (a waking thread pool costs more than such a call: PyTorch's took 60–110 µs "
        "of a `tanh`, `softmax` or `mm` of 320 values on two threads). "
        "**ratio = the counterpart's median time ÷ ours** (above 1: ours is faster), as everywhere on this page."
        + _passes_sentence(api), "",
    ]
    # one table per size: ten columns side by side did not fit a desktop's content column (the large
    # size's ratio, the one the goals are about, sat behind a horizontal scroll)
    for size, title in (("large", "At the large size (the loop's cost)"), ("reader", "At the reader's size (the call's cost)")):
        with_counterpart = size == "large"
        lines += [f"**{title}**", "",
                  "| function" + (" and counterpart" if with_counterpart else "") + " | size | ours | theirs | ratio |",
                  "| --- | --- | ---: | ---: | ---: |"]
        for row in api["rows"]:
            cells = [_function_cell(row, with_counterpart)]
            t = row.get(size)
            if t:
                mark = "" if t["ratio"] >= (LARGE_GOAL if size == "large" else READER_GOAL) else " ✗"
                cells += [row["sizes"][size], seconds(t["ours_s"]), seconds(t["theirs_s"]),
                          f"{t['ratio']:.2f}×{mark}{_pass_range(t)}"]
            else:
                cells += [row["sizes"][size], "—", "—", "not timed (quick mode)"]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    mean = api["geometric_mean"]
    lines += ["✗: below the goal. Geometric mean of the ratios: "
              + ", ".join(f"{size} {mean[size]:.2f}×" for size in ("large", "reader") if mean.get(size) is not None)
              + "; worst rows: " + ", ".join(f"{size} `{api['worst'][size]}`" for size in ("large", "reader")
                                            if api["worst"].get(size)) + ".", ""]
    lines += ["Public names timed elsewhere on this page: "
              + ", ".join(f"`{name}` ([{anchor}](#{anchor}))" for name, anchor in sorted(api["timed_elsewhere"].items()))
              + ".", "", "Public names without a row, and why:", ""]
    lines += [f"- `{name}`: {why}" for name, why in sorted(api["not_timed"].items())]
    return "\n".join(lines) + "\n\n" + _note("public-api", notes)


# ---------------------------------------------------------------- sections
def _header(results: dict) -> str:
    quick = results["mode"] == "quick"
    return f"""# Performance

!!! info "Generated page"
    Generated by `{results['command']}` from `benchmarks/results/latest.json`; do not edit it by hand.
    The explanations come from `benchmarks/notes.yml`; after editing them, `bash scripts/bench.sh --render`
    rewrites this page without measuring anything.
    **Measured at commit `{results['machine']['git_commit']}`** ({results['machine']['date'][:16].replace('T', ' ')} UTC):
    every number below comes from that commit's code. A commit that ships this page after it may change
    only the results file, this page, the notes and the wording of the page (`benchmarks/report.py`);
    any change to `src/` means the page must be measured again.{'''
    **Quick mode:** tiny sizes and one or two rounds, a smoke test of the benchmarks, not a measurement.'''
                                                    if quick else ''}

Each benchmark runs our implementation, idiomatic NumPy and PyTorch on the CPU (and scikit-learn where
it has the function) in one process, **interleaved** round by round (ours, NumPy, PyTorch, ours, …)
after a warm-up round, with the same number of threads for numba, torch and NumPy's BLAS. The tables
give medians, the spread of the rounds (half the interquartile range) and ratios; a shared or busy
machine shows up as a large spread, and affects every implementation alike. Before timing, each
benchmark checks with `numpy.testing.assert_allclose` that the implementations compute the same
result, so no table compares different computations. The machine's own limits, memory bandwidth
(STREAM triad) and matrix-product rate (SGEMM), are measured in the same run.
"""


def _machine(results: dict) -> str:
    m = results["machine"]
    blas = m["numpy_blas"]
    versions = ", ".join(f"{name} {version}" for name, version in m["versions"].items())
    rows = [
        ("CPU", m["cpu_model"]),
        ("cores", f"{m['logical_cpus']} logical CPUs, {m['usable_cpus']} usable by this process"),
        ("threads used", f"{m['threads']} (numba, torch and NumPy's BLAS)"),
        ("NumPy BLAS", f"{blas.get('internal_api')} {blas.get('version') or ''} "
                       f"({blas.get('architecture') or '?'}, threading: {blas.get('threading_layer') or '?'})"),
        ("numba threading layer", m["numba_threading_layer"]),
        ("waiting threads", f"OMP_WAIT_POLICY={m.get('omp_wait_policy', '?')}: threads sleep between calls, so the "
                            "threads of one library do not spin on the cores the other's next call needs"),
        ("Python", f"{m['python']} on {m['platform']}"),
        ("versions", versions),
        ("commit measured", f"`{m['git_commit']}`"),
        ("date", m["date"]),
        ("run time", f"{results['elapsed_s']:.0f} s for the benchmarks"),
    ]
    lines = ["## Machine", "", "| | |", "| --- | --- |", *(f"| {k} | {v} |" for k, v in rows)]
    return "\n".join(lines) + "\n"


def _summary(results: dict) -> str:
    lines = ["## Goals", "", "| workload | case | goal | measured | verdict |", "| --- | --- | --- | --- | --- |"]
    for w in results["workloads"]:
        for case in w["cases"]:
            for g in case["goals"]:
                lines.append(f"| [{w['title']}](#{w['id']}) | {case['name']} | {g['goal']} | {g['shown']} | "
                             f"{_verdict(g)} |")
    lines += [f"| [{API_TITLE}](#public-api) | every public function | {g['goal']} | {g['shown']} | {_verdict(g)} |"
              for g in api_goals(results.get("api"))]
    figures = "\n".join(f"![{alt}](figures/{name}.svg)\n" for name, alt in FIGURES)
    return "\n".join(lines) + "\n\n" + figures


def _limits(results: dict, notes: dict) -> str:
    triad, gemm = results["limits"]["triad"], results["limits"]["sgemm"]
    lines = [
        "## Machine limits {#machine-limits}", "",
        f"**STREAM triad** `a[i] = b[i] + s·c[i]` on float64 arrays of {triad['n']:,} elements "
        f"({triad['array_mib']:.0f} MiB each), bytes counted as STREAM does: 3 arrays × 8 B per element. "
        "numba's `prange` loop is the reference; NumPy needs two passes (`multiply`, then `+=`) and "
        "`torch.add(b, c, alpha=s, out=a)` one. " + _check(triad["check"]), "",
        "| implementation | median | spread | GB/s |", "| --- | ---: | ---: | ---: |",
    ]
    for name, t in triad["timings"].items():
        lines.append(f"| {NAMES[name]} | {seconds(t['median_s'])} | {spread(t)} | {triad['gb_per_s'][name]:.1f} |")
    lines += [
        "", f"**SGEMM** float32 {gemm['n']} × {gemm['n']} times {gemm['n']} × {gemm['n']}, "
        f"2·n³ = {gemm['flops'] / 1e9:.3g} GFLOP per product. " + _check(gemm["check"]), "",
        "| implementation | median | spread | GFLOP/s |", "| --- | ---: | ---: | ---: |",
    ]
    for name, t in gemm["timings"].items():
        lines.append(f"| {NAMES[name]} | {seconds(t['median_s'])} | {spread(t)} | {gemm['gflop_per_s'][name]:.0f} |")
    return "\n".join(lines) + "\n\n" + _note("machine-limits", notes)


def _workload(w: dict, notes: dict) -> str:
    lines = [f"## {w['title']} {{#{w['id']}}}", "", f"{w['size']}.", ""]
    what = WHAT_RUNS.get(w["id"], {})
    if what:
        lines += [*(f"- **{NAMES[name]}**: {text}" for name, text in what.items()), ""]
    if w["id"] == "cold-start":
        lines.append(_cold_start(w["cases"][0]))
    else:
        for case in w["cases"]:
            lines.append(_case(case, several=len(w["cases"]) > 1))
    return "\n".join(lines) + "\n" + _note(w["id"], notes)


def _case(case: dict, several: bool) -> str:
    lines = [f"### {case['name']}", ""] if several else []
    if several and case.get("torch_variant"):
        slower = (" **A slower path than PyTorch's best:** this torch build has no fused CPU kernel for it, "
                  "so the ratio compares our single pass with several passes of `foreach` tensor operations."
                  if case.get("torch_slower_path") else "")
        lines += [f"PyTorch: `{case['torch_variant']}`.{slower}", ""]
    lines += [_check(case["check"]), "", _timing_table(case["timings"])]
    return "\n".join(lines) + "\n" + _metrics(case) + _goal_table(case["goals"])


def _metrics(case: dict) -> str:
    m = case["metrics"]
    facts = []
    if "bandwidth_gb_per_s" in m:
        bw = m["bandwidth_gb_per_s"]
        facts.append(f"{case['bytes_per_step'] / 1e6:.0f} MB moved per step; effective bandwidth "
                     + ", ".join(f"{NAMES[k]} {v:.1f} GB/s" for k, v in bw.items()) + ".")
    if "sgemm_bound_s" in m:
        facts.append(f"{case['flops_per_epoch'] / 1e9:.1f} GFLOP of matrix products per epoch: "
                     f"{seconds(m['sgemm_bound_s'])} at the measured SGEMM rate (ours takes "
                     f"{m['time_vs_sgemm_bound']:.1f}× that); the products alone ran at "
                     f"{m['products_gflop_per_s']:.0f} GFLOP/s at this batch size.")
    return "".join(f"{fact}\n\n" for fact in facts)


def _cold_start(case: dict) -> str:
    lines = ["| process | import | first call | in the process | whole process |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for child in case["children"].values():
        lines.append(f"| `{child['code']}` | {seconds(child['import_s'])} | {seconds(child['first_call_s'])} | "
                     f"{seconds(child['in_process_s'])} | {seconds(child['wall_s'])} |")
    lines += ["", "Medians; the whole process includes the interpreter's start-up and exit.", ""]
    return "\n".join(lines) + "\n" + _goal_table(case["goals"])


def _site(results: dict, notes: dict) -> str:
    rows = []
    for label, entry in (("`mkdocs build --strict`, every notebook executed", results["site"]["build"]),
                         ("the full test command `bash scripts/test.sh`", results["site"]["test_command"])):
        if entry["measured"]:
            when = f" (finished {entry['finished']})" if "finished" in entry else " (one run)"
            rows.append(f"| {label} | {seconds(entry['seconds'])}{when} |")
        else:
            rows.append(f"| {label} | {entry['reason']} |")
    lines = ["## Site build and test command {#site}", "",
             "| command | wall time |", "| --- | --- |", *rows, "",
             "The test command's time is read from `artifacts/test-command.json`, written by the test "
             "command itself."]
    return "\n".join(lines) + "\n\n" + _note("site", notes)
