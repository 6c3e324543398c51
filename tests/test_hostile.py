"""Hostile input, by machine: every public name, every kind of bad or extreme array.

For each spec of ``tests/hostile_specs.py`` hypothesis draws a seed, a dtype, one argument and one
corruption of it (wrong rank, mismatched shape, empty, int/bool/complex/object dtype, Python
list, 0-d, non-contiguous, Fortran order, read-only, NaN, ±inf, huge and tiny magnitudes). Every
case must end in one of two ways:

- a result: equal to the result for the clean contiguous copy (layout corruptions), equal to a
  float64 NumPy reference where the spec has one, and never a NaN made from finite input;
- a ``ValueError``/``TypeError`` whose message names the corrupted argument.

Anything else fails: another exception type, a numba typing error, an input modified in place
(other than an optimizer's parameters), a NaN invented from finite numbers.
"""

from __future__ import annotations

import copy
import sys
import os
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hostile_specs import SPECS, public_callables, spec_base

CASES = {"count": 0}
HUGE = {np.float64: 1e300, np.float32: 1e30}
TINY = {np.float64: 1e-300, np.float32: 1e-40}  # 1e-40 is a float32 denormal

LAYOUT = ("list", "noncontiguous", "fortran", "readonly")
STRUCTURE = ("rank_up", "rank_down", "zero_d", "empty", "mismatch", "int", "bool", "complex", "object", "other_float")
NONFINITE = ("nan", "posinf", "neginf")
MAGNITUDE = ("huge", "tiny", "huge_negative")
FLOAT_MUTATIONS = LAYOUT + STRUCTURE + NONFINITE + MAGNITUDE
LABEL_MUTATIONS = ("list", "noncontiguous", "readonly", "rank_up", "empty", "mismatch", "fraction", "negative",
                   "too_large", "whole_float", "bool", "complex", "object", "nan")


def _flatten(out):
    """Every float/int array in a result (tuples, lists, dicts, scalars)."""
    if isinstance(out, dict):
        return [a for k in sorted(out) for a in _flatten(out[k])]
    if isinstance(out, (list, tuple)):
        return [a for item in out for a in _flatten(item)]
    if isinstance(out, (np.ndarray, np.generic, float, int, bool)):
        return [np.asarray(out)]
    return []


def _noncontiguous(a):
    if a.ndim == 0:
        return a
    wide = np.repeat(a, 2, axis=-1)
    view = wide[..., ::2]
    assert not view.flags.c_contiguous or view.size <= 1
    return view


def _mutate(kind, a, rng, dtype):
    """(corrupted value, clean value it must behave like or None)."""
    if kind == "list":
        return a.tolist(), a
    if kind == "noncontiguous":
        return _noncontiguous(a), a
    if kind == "fortran":
        return np.asfortranarray(a.copy()), a
    if kind == "readonly":
        b = a.copy()
        b.flags.writeable = False
        return b, a
    if kind == "rank_up":
        return a[None], None
    if kind == "rank_down":
        return (a[0] if a.ndim and a.shape[0] else a.reshape(())), None
    if kind == "zero_d":
        return np.asarray(a.reshape(-1)[0] if a.size else 0.0, dtype=a.dtype), None
    if kind == "empty":
        shape = list(a.shape) or [0]
        shape[int(rng.integers(0, len(shape)))] = 0
        return np.zeros(shape, dtype=a.dtype), None
    if kind == "mismatch":
        if a.ndim == 0:
            return a[None], None
        axis = int(rng.integers(0, a.ndim))
        extra = np.take(a, [0], axis=axis)
        return np.concatenate([a, extra], axis=axis), None
    if kind == "int":
        return np.round(a).astype(np.int64), None
    if kind == "bool":
        return a > 0, None
    if kind == "complex":
        return a.astype(np.complex128), None
    if kind == "object":
        return a.astype(object), None
    if kind == "other_float":
        return a.astype(np.float32 if a.dtype == np.float64 else np.float64), None
    if kind in NONFINITE:
        b = a.astype(a.dtype if a.dtype.kind == "f" else np.float64, copy=True)
        if b.size:
            b.reshape(-1)[int(rng.integers(0, b.size))] = {"nan": np.nan, "posinf": np.inf, "neginf": -np.inf}[kind]
        return b, None
    if kind in MAGNITUDE:
        scale = HUGE[dtype] if kind.startswith("huge") else TINY[dtype]
        peak = np.max(np.abs(a)) if a.size else 1.0
        b = (a.astype(np.float64) / (peak or 1.0) * scale).astype(a.dtype)
        if kind == "huge_negative":
            b = -np.abs(b)
        return b, None
    # label corruptions
    if kind == "fraction":
        return a.astype(np.float64) + 0.5, None
    if kind == "negative":
        b = a.copy()
        b.reshape(-1)[0] = -1
        return b, None
    if kind == "too_large":
        b = a.copy()
        b.reshape(-1)[0] = 1000
        return b, None
    if kind == "whole_float":
        return a.astype(np.float64), a
    raise AssertionError(kind)


def _names(spec, arg):
    return (arg, *spec.aliases.get(arg, ()))


def _is_numba_error(error):
    text = f"{type(error).__module__}.{type(error).__name__}: {error}"
    return "numba" in type(error).__module__ or "No implementation of function" in text or "TypingError" in text


def _assert_same(result, expected, context):
    got, want = _flatten(result), _flatten(expected)
    assert len(got) == len(want), context
    for g, w in zip(got, want):
        assert g.shape == w.shape, f"{context}: shape {g.shape} != {w.shape}"
        # exactly the same numbers: only the layout of the input changed (tolerance: none)
        assert np.array_equal(g, w, equal_nan=True), f"{context}: {g} != {w}"


def _assert_reference(spec, result, args, dtype, context):
    if spec.reference is None:
        return
    ref_args = {k: (np.asarray(v, dtype=np.float64) if isinstance(v, np.ndarray) and v.dtype.kind == "f" else v)
                for k, v in args.items()}
    try:
        with np.errstate(all="ignore"):
            want = spec.reference(**ref_args)
    except (ValueError, IndexError):
        return  # the reference itself cannot say (e.g. a 0-d input)
    got = _flatten(result)
    want = _flatten(want)
    for g, w in zip(got, want):
        if g.shape != w.shape:
            raise AssertionError(f"{context}: shape {g.shape}, reference {w.shape}")
        with np.errstate(all="ignore"):
            w_cast = w.astype(g.dtype)
        finite = np.isfinite(w_cast) & np.isfinite(g)
        # float32: rtol 1e-4 (loops accumulate in float32); float64: rtol 1e-9; atol scaled to the
        # largest reference value so that cancellation in sums of huge terms is not a failure
        rtol = 1e-4 if g.dtype == np.float32 else 1e-9
        atol = rtol * (np.max(np.abs(w[np.isfinite(w)])) if np.isfinite(w).any() else 0.0) + 1e-300
        np.testing.assert_allclose(g[finite], w_cast[finite], rtol=rtol, atol=atol, err_msg=context)
        # an infinity where the reference (in the result's dtype) is finite, or the reverse
        assert np.array_equal(np.isfinite(g), np.isfinite(w_cast)) or g.dtype == np.float32, context


def run_case(spec, seed, dtype, kind, arg):
    CASES["count"] += 1
    rng = np.random.default_rng(seed)
    clean = spec.build(rng, dtype)
    args = copy.deepcopy(clean)
    value, equivalent = _mutate(kind, clean[arg], rng, dtype)
    args[arg] = value
    before = {k: np.array(v, copy=True) for k, v in args.items() if isinstance(v, np.ndarray) and v.dtype != object}
    context = f"{spec.name}({arg}: {kind}, {np.dtype(dtype).name}, seed {seed})"
    try:
        with np.errstate(all="ignore"):
            result = spec.call(**args)
    except (ValueError, TypeError) as error:
        assert not _is_numba_error(error), f"{context}: numba error {error}"
        names = _names(spec, arg)
        if kind in ("mismatch", "rank_up", "rank_down", "zero_d", "empty"):
            # a changed shape is a mismatch with the other arrays: the message may name either side
            names = tuple(n for a in (*spec.arrays, *spec.labels) for n in _names(spec, a))
        assert any(n in str(error) for n in names), f"{context}: message does not name {arg}: {error}"
        if spec.nonfinite == "propagate" and kind in NONFINITE:
            raise AssertionError(f"{context}: non-finite input must propagate, got {error!r}")
        return "refused"
    except Exception as error:  # noqa: BLE001 - any other type is the failure we look for
        raise AssertionError(f"{context}: {type(error).__module__}.{type(error).__name__}: {error}") from error
    if spec.nonfinite == "refuse" and kind in NONFINITE and arg in spec.arrays:
        raise AssertionError(f"{context}: a non-finite input must be refused with ValueError, got a result")
    invalid = ("nan",) if spec.any_labels else ("fraction", "negative", "too_large", "nan", "complex", "object")
    if arg in spec.labels and kind in invalid:
        raise AssertionError(f"{context}: invalid labels must be refused, got a result")
    # inputs are never written to, except an optimizer's parameters
    if not spec.aliases.get(arg, ("",))[0].startswith("params"):
        for k, v in before.items():
            if spec.aliases.get(k, ("",))[0].startswith("params"):
                continue
            assert np.array_equal(np.asarray(args[k]), v, equal_nan=True), f"{context}: {k} was modified in place"
    if equivalent is not None:
        expected_args = copy.deepcopy(clean)
        expected_args[arg] = equivalent
        with np.errstate(all="ignore"):
            expected = spec.call(**expected_args)
        if kind == "list" and any(g.dtype != w.dtype for g, w in zip(_flatten(result), _flatten(expected))):
            # a list of numbers is float64 data: it must act like the float64 array of it
            expected_args[arg] = np.asarray(args[arg])
            try:
                with np.errstate(all="ignore"):
                    expected = spec.call(**expected_args)
            except TypeError:  # a float64 array refused beside float32 partners: compare the values
                expected = _flatten(expected)
                result = [g.astype(w.dtype) for g, w in zip(_flatten(result), expected)]
        _assert_same(result, expected, context)
        return "same"
    arrays = _flatten(result)
    finite_input = all(np.all(np.isfinite(v)) for k, v in args.items()
                       if isinstance(v, np.ndarray) and v.dtype.kind == "f")
    if finite_input and not (spec.extreme_nan_ok and kind in MAGNITUDE):
        for a in arrays:
            if a.dtype.kind == "f":
                assert not np.isnan(a).any(), f"{context}: NaN from finite input: {a}"
    if kind in MAGNITUDE and spec.float32_overflow_ok and dtype == np.float32:
        return "result"  # documented float32 overflow (see the spec)
    if kind in MAGNITUDE or kind in ("rank_up", "rank_down", "zero_d", "empty", "other_float"):
        _assert_reference(spec, result, args, dtype, context)
    return "result"


def _cases(spec):
    choices = [(a, k) for a in spec.arrays for k in FLOAT_MUTATIONS]
    choices += [(a, k) for a in spec.labels for k in LABEL_MUTATIONS]
    return choices


HOSTILE = [s for s in SPECS if _cases(s)]


@pytest.mark.parametrize("spec", HOSTILE, ids=[s.name for s in HOSTILE])
def test_hostile_input(spec):
    choices = _cases(spec)

    @settings(max_examples=int(os.environ.get("HOSTILE_MAX_EXAMPLES", spec.max_examples)), deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(seed=st.integers(0, 2**32 - 1), dtype=st.sampled_from([np.float64, np.float32]),
           choice=st.sampled_from(choices))
    def check(seed, dtype, choice):
        arg, kind = choice
        run_case(spec, seed, dtype, kind, arg)

    check()


def test_every_public_name_has_a_spec():
    """A new public function or method must get a row in tests/hostile_specs.py."""
    have = {spec_base(s.name) for s in SPECS}
    missing = [name for name in public_callables() if name not in have]
    assert not missing, f"add a Spec to tests/hostile_specs.py for: {missing}"
    # every spec has at least 200 generated cases unless it has no array to corrupt
    assert all(s.max_examples >= 200 for s in HOSTILE)


def test_hostile_cases_reach_numba_without_typing_errors():
    """Every spec's clean call works in both dtypes (the baseline the corruptions start from)."""
    for spec in SPECS:
        for dtype in (np.float64, np.float32):
            out = spec.call(**spec.build(np.random.default_rng(0), dtype))
            for a in _flatten(out):
                if a.dtype.kind == "f" and spec.arrays:
                    assert a.dtype in (np.dtype(np.float32), np.dtype(np.float64)), spec.name
                    assert np.all(np.isfinite(a)), spec.name


def test_hostile_case_counter_counts():
    # the session summary reports CASES["count"]; a case run here must be counted
    start = CASES["count"]
    spec = next(s for s in SPECS if s.name == "glossary_dl.tensors.elementwise_add")
    assert run_case(spec, 0, np.float64, "list", "x") in ("same", "refused")
    assert CASES["count"] == start + 1


def test_math_reference_is_what_the_check_uses():
    # guard: the reference check really fails on a wrong number (it is not vacuous)
    spec = next(s for s in SPECS if s.name == "glossary_dl.tensors.matrix_dot")
    args = spec.build(np.random.default_rng(0), np.float64)
    wrong = spec.reference(**args) + 1.0
    with pytest.raises(AssertionError):
        _assert_reference(spec, wrong, args, np.float64, "guard")
    assert math.isfinite(float(np.sum(spec.call(**args))))


# ------------------------------------------------------------------ hyper-parameters, across families
BAD_HYPER = [float("nan"), float("inf"), float("-inf"), True, "1", 1j]


def _hyper_call(spec, name, value):
    """Call the spec's public name with one hyper-parameter replaced."""
    import importlib

    parts = spec_base(spec.name).split(".")
    module = importlib.import_module(".".join(parts[:2]))
    owner = getattr(module, parts[2])
    args = spec.build(np.random.default_rng(0), np.float64)
    args.pop("dt", None)
    if isinstance(owner, type):  # the constructor takes the hyper-parameters
        obj = owner(**{name: value})
        if len(parts) == 4 and parts[3] == "fit":
            obj.fit(**args)
        return obj
    if spec.name.endswith("_kernel") or spec.name.startswith("glossary_dl.normalization.batch_norm"):
        return owner(**args, **{name: value})
    if "activations" in spec.name:
        return owner(*args.values(), **{name: value})
    if spec.name == "glossary_dl.calculus.derivative":
        return owner(np.sin, args["x"], **{name: value})
    if spec.name == "glossary_dl.calculus.gradient":
        return owner(lambda v: float(np.sum(v * v)), args["x"], **{name: value})
    if spec.name == "glossary_dl.training.gradient_descent":
        kw = {"learning_rate": 0.1, "steps": 3, name: value}
        return owner(lambda v: 2.0 * v, args["x0"], kw["learning_rate"], kw["steps"])
    if spec.name == "glossary_dl.training.iterate_minibatches":
        kw = {"n_samples": 10, "batch_size": 3, name: value}
        return list(owner(kw["n_samples"], kw["batch_size"]))
    if spec.name == "glossary_dl.training.minibatch_sgd":
        from glossary_dl.backprop import DenseNetwork

        net = DenseNetwork([3, 4, 2], seed=0, dtype=np.float64)
        return owner(net, args["x"], args["labels"], seed=0, **{name: value})
    raise AssertionError(f"no hyper-parameter call for {spec.name}")


HYPER_CASES = [(s, name, bad) for s in SPECS for name in s.hyper for bad in BAD_HYPER]


@pytest.mark.parametrize(
    "spec, name, bad", HYPER_CASES,
    ids=[f"{s.name}-{n}-{b!r}" for s, n, b in HYPER_CASES],
)
def test_hyper_parameters_refuse_nan_inf_bool_and_strings(spec, name, bad):
    """Every real/integer hyper-parameter refuses NaN, ±inf, bool, str and complex (PyTorch refuses them too)."""
    # the valid value is accepted (so a refusal below is about the bad value)
    _hyper_call(spec, name, spec.hyper[name])
    with pytest.raises((TypeError, ValueError)) as info:
        with np.errstate(all="ignore"):
            _hyper_call(spec, name, bad)
    assert not _is_numba_error(info.value)
    assert name in str(info.value), f"{spec.name}: message does not name {name}: {info.value}"


# ------------------------------------------------------------------ determinism
SEEDED = [s for s in SPECS if s.seeded]


@pytest.mark.parametrize("spec", SEEDED, ids=[s.name for s in SEEDED])
def test_seeded_functions_are_bit_for_bit_reproducible(spec):
    for dtype in (np.float64, np.float32):
        args = spec.build(np.random.default_rng(3), dtype)
        first = [a.tobytes() for a in _flatten(spec.call(**copy.deepcopy(args)))]
        second = [a.tobytes() for a in _flatten(spec.call(**copy.deepcopy(args)))]
        assert first and first == second, spec.name
        other = dict(args, **{spec.seeded: args[spec.seeded] + 1})
        third = [a.tobytes() for a in _flatten(spec.call(**copy.deepcopy(other)))]
        if spec.name.startswith("glossary_dl.initializers") or spec.name.endswith("DenseNetwork"):
            assert third != first, f"{spec.name}: the seed changes nothing"


def test_every_seeded_public_function_is_in_the_determinism_table():
    """A public function with a ``seed`` argument must be in SEEDED (so it is checked above)."""
    import importlib
    import inspect

    covered = {spec_base(s.name) for s in SEEDED} | {spec_base(s.name).rsplit(".", 1)[0] for s in SEEDED}
    missing = []
    for dotted in public_callables():
        parts = dotted.split(".")
        obj = importlib.import_module(".".join(parts[:2]))
        for part in parts[2:]:
            obj = getattr(obj, part)
        try:
            params = inspect.signature(obj).parameters
        except (TypeError, ValueError):
            continue
        if "seed" in params and dotted not in covered:
            missing.append(dotted)
    assert not missing, f"seeded public names without a determinism spec: {missing}"


# ------------------------------------------------------------------ the verification record
def test_verification_record_is_current():
    """docs/_registry/verification.json equals what this session's test files declare."""
    import json

    from verification_record import RECORD, current, dump, restrict

    record, files = current()
    assert record is not None
    committed = json.loads(RECORD.read_text(encoding="utf-8"))
    fresh = json.loads(dump(record))
    assert restrict(committed, files) == restrict(fresh, files), (
        "docs/_registry/verification.json is stale: run "
        "`GLOSSARY_WRITE_VERIFICATION=1 python -m pytest tests --collect-only -q`"
    )


def test_verification_record_names_public_implementations():
    import json

    from hostile_specs import public_callables as names
    from verification_record import RECORD

    public = set(names())
    committed = json.loads(RECORD.read_text(encoding="utf-8"))
    unknown = [name for name in committed if name not in public]
    assert not unknown, f"verification.json names what is not public: {unknown}"


# ------------------------------------------------------------------ conventions tables
def _convention_rows():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    rows = []
    for page in sorted((root / "docs" / "terms").glob("*.md")):
        section = None
        for line in page.read_text(encoding="utf-8").splitlines():
            if line.startswith("## "):
                title = line[3:].strip()
                section = title if re.search(r"PyTorch vs Keras|conventions", title, re.I) else None
                continue
            if section and line.startswith("|") and not re.match(r"^\|[\s|:-]+\|$", line):
                rows.append((page.name, section, line))
    # drop each table's header row (the first row of each section)
    out, seen = [], set()
    for page, section, line in rows:
        if (page, section) not in seen:
            seen.add((page, section))
            continue
        out.append((page, section, line))
    return out


def _existing_tests():
    import ast
    from pathlib import Path

    names = set()
    for path in sorted(Path(__file__).resolve().parent.glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                names.add(node.name)
                names.add(f"tests/{path.name}::{node.name}")
    return names


def test_convention_rows_name_an_existing_test():
    """Every row of a "PyTorch vs Keras" / "… conventions" table names a test that exists."""
    import re

    tests = _existing_tests()
    bad = []
    previous = {}
    for page, section, row in _convention_rows():
        named = set(re.findall(r"(?:tests/test_\w+\.py::)?test_\w+", row))
        if not named and re.search(r"same test", row, re.I):  # "same test": the row above's
            named = previous.get((page, section), set())
        previous[(page, section)] = named
        if not named & tests:
            bad.append(f"{page} [{section}]: {row.strip()[:120]}")
    assert not bad, "convention rows without an existing test:\n" + "\n".join(bad)


# ------------------------------------------------------------------ numerical policy (docs/numerical-policy.md)
def test_policy_no_fastmath_anywhere():
    """No numba fastmath=True, nor the nnan/ninf flags: they would drop NaN/inf semantics.

    Only the safe flags (reassoc, contract, nsz, arcp) are allowed, on every compiled function.
    """
    from pathlib import Path

    import glossary_dl

    src = Path(glossary_dl.__file__).parent
    assert not [p.name for p in src.glob("*.py") if "fastmath=True" in p.read_text(encoding="utf-8")]
    unsafe = {"nnan", "ninf", "fast", "afn"}
    loops = _compiled_loops()
    for name, loop in loops.items():
        flags = loop.targetoptions.get("fastmath", set())
        assert flags is not True, name
        assert not (set(flags or ()) & unsafe), f"{name}: {flags}"
    assert len(loops) > 50  # the compiled loops were found


def _compiled_loops():
    """Every numba dispatcher the package defines, by qualified name."""
    import importlib
    import pkgutil
    from pathlib import Path

    from numba.core.registry import CPUDispatcher

    import glossary_dl

    loops = {}
    for info in pkgutil.iter_modules([str(Path(glossary_dl.__file__).parent)]):
        module = importlib.import_module(f"glossary_dl.{info.name}")
        for name, value in vars(module).items():
            if isinstance(value, CPUDispatcher) and value.py_func.__module__ == module.__name__:
                loops[f"{info.name}.{name}"] = value
    return loops


def _called_loops(loop):
    """The dispatchers a compiled function names: globals, and attributes of modules it names."""
    import inspect
    import types

    from numba.core.registry import CPUDispatcher

    names, codes = set(), [loop.py_func.__code__]
    while codes:
        code = codes.pop()
        names.update(code.co_names)
        codes += [const for const in code.co_consts if inspect.iscode(const)]
    found = []
    for name in names:
        value = loop.py_func.__globals__.get(name)
        if isinstance(value, types.ModuleType):
            found += [getattr(value, attr) for attr in names if isinstance(getattr(value, attr, None), CPUDispatcher)]
        elif isinstance(value, CPUDispatcher):
            found.append(value)
    return found


def test_policy_a_cached_caller_of_parallel_code_is_parallel_itself():
    """numba issue #8578: a cached plain function that calls a parallel one, compiled while the
    callee came from the cache, is saved in a state that crashes the next process that loads it
    (it segfaulted the first-network notebook). Every cached loop that reaches parallel code is
    compiled parallel=True itself, which saves it whole."""
    from numba.core.caching import NullCache

    loops = _compiled_loops()

    def reaches_parallel(loop, seen):
        for callee in _called_loops(loop):
            if id(callee) not in seen:
                seen.add(id(callee))
                if callee.targetoptions.get("parallel") or reaches_parallel(callee, seen):
                    return True
        return False

    cached = {name for name, loop in loops.items() if not isinstance(loop._cache, NullCache)}
    assert "backprop._dense_forward_loop" in cached  # the cache is seen
    plain_callers = [name for name in sorted(cached) if not loops[name].targetoptions.get("parallel")
                     and reaches_parallel(loops[name], set())]
    assert not plain_callers, f"cached, not parallel, calling parallel code: {plain_callers}"
    parallel_callers = [name for name, loop in loops.items()
                        if any(c.targetoptions.get("parallel") for c in _called_loops(loop))]
    assert "backprop._dense_forward_loop" in parallel_callers  # the walk sees the calls


def test_a_dense_layer_loaded_from_the_cache_runs(tmp_path):
    """The sequence that crashed, replayed in fresh processes over one empty numba cache: the tiled
    product is compiled and cached first (as a test does), then a process compiles the dense
    layer's loop on top of the cached product, then a third loads that loop and runs it."""
    import subprocess

    steps = [
        "from glossary_dl._dots import _dots_loop\n"
        "a = np.ones((8, 64), np.float32); _dots_loop(a, a, np.empty((8, 8), np.float32))",
        "from glossary_dl.backprop import _dense_forward_loop as f\n"
        "x = np.ones((4, 64), np.float32); f(x, np.ones((512, 64), np.float32), np.zeros(512, np.float32), np.empty((4, 512), np.float32))",
        "from glossary_dl.backprop import _dense_forward_loop as f\n"
        "x = np.full((128, 64), 0.5, np.float32); z = np.empty((128, 512), np.float32)\n"
        "f(x, np.ones((512, 64), np.float32), np.zeros(512, np.float32), z); assert (z == 32).all(), z",
    ]
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    for step, code in enumerate(steps):
        run = subprocess.run([sys.executable, "-c", "import numpy as np\n" + code], env=env,
                             capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, f"step {step + 1} ended with {run.returncode}: {run.stderr[-2000:]}"


@pytest.mark.parametrize("name", ["binary_crossentropy", "categorical_crossentropy",
                                  "binary_crossentropy_grad", "categorical_crossentropy_grad"])
@pytest.mark.parametrize("bad", [-1e-3, 1.0 + 1e-3])
def test_policy_probabilities_outside_unit_interval_are_refused(name, bad):
    from glossary_dl import losses

    y_true = np.array([[0.0, 1.0]])
    y_pred = np.array([[0.5, bad]])
    with pytest.raises(ValueError, match="y_pred"):
        getattr(losses, name)(y_true, y_pred)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_policy_losses_finite_at_extremes(dtype):
    """Logits ±1e4 and probabilities exactly 0 and 1 give finite losses and gradients."""
    from glossary_dl import losses

    logits = np.array([[1e4, -1e4], [-1e4, 1e4]], dtype=dtype)
    onehot = np.array([[0.0, 1.0], [1.0, 0.0]], dtype=dtype)
    probs = np.array([[0.0, 1.0], [1.0, 0.0]], dtype=dtype)
    for f in ("binary_crossentropy", "categorical_crossentropy"):
        for g in (f, f + "_grad"):
            for y_pred, from_logits in ((logits, True), (probs, False)):
                out = np.asarray(getattr(losses, g)(onehot, y_pred, from_logits=from_logits))
                assert out.dtype == dtype and np.all(np.isfinite(out)), (g, from_logits)
    labels = np.array([1, 0])
    for g in ("sparse_categorical_crossentropy", "sparse_categorical_crossentropy_grad"):
        assert np.all(np.isfinite(getattr(losses, g)(labels, logits, from_logits=True)))
        assert np.all(np.isfinite(getattr(losses, g)(labels, probs)))
    # the clip: a certain wrong probability costs -ln(1e-7) per element, not inf (rtol 1e-6)
    cost = losses.binary_crossentropy(np.array([1.0]), np.array([0.0]))
    np.testing.assert_allclose(cost, -np.log(1e-7), rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_policy_sigmoid_softmax_stable_at_1000(dtype):
    from glossary_dl import activations

    x = np.array([[-1000.0, 0.0, 1000.0]], dtype=dtype)
    s = activations.sigmoid(x)
    # exact limits: 0, 1/2, 1 (tolerance: none, they are representable)
    np.testing.assert_array_equal(s, np.array([[0.0, 0.5, 1.0]], dtype=dtype))
    p = activations.softmax(x)
    np.testing.assert_array_equal(p, np.array([[0.0, 0.0, 1.0]], dtype=dtype))
    for g in (activations.sigmoid_grad, activations.softmax_grad):
        assert np.all(np.isfinite(g(x, np.ones_like(x))))


@pytest.mark.parametrize("spec", [s for s in SPECS if s.arrays and not s.name.split(".")[2][0].isupper()
                                  and s.name.split(".")[1] in
                                  ("activations", "losses", "kernels", "backprop", "residual", "tensors",
                                   "normalization", "convolutions", "hardware")],
                         ids=lambda s: s.name)
def test_policy_result_dtype_follows_input_dtype(spec):
    for dtype in (np.float64, np.float32):
        out = spec.call(**spec.build(np.random.default_rng(1), dtype))
        floats = [a for a in _flatten(out) if a.dtype.kind == "f"]
        assert floats and all(a.dtype == dtype for a in floats), (spec.name, [a.dtype for a in floats])


@pytest.mark.parametrize("kind", NONFINITE)
def test_policy_optimizers_propagate_non_finite_gradients(kind):
    from glossary_dl import optimizers

    value = {"nan": np.nan, "posinf": np.inf, "neginf": -np.inf}[kind]
    for cls in (optimizers.SGD, optimizers.RMSprop, optimizers.Adagrad, optimizers.Adam):
        theta = np.array([1.0, 2.0])
        cls().apply([theta], [np.array([value, 0.5])])
        assert not np.isfinite(theta[0]), cls  # as Keras and torch.optim: no check, no repair
        assert np.isfinite(theta[1]), cls  # other elements are untouched by the bad one
