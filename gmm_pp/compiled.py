"""nutpie's compiled PyMC model, with its two C callbacks cached on disk.

``nutpie.compile_pymc_model`` wraps PyTensor's log-density (and the function
that expands a draw into the stored variables) in ``numba.cfunc`` callbacks for
its Rust sampler.  Those callbacks close over the data arrays, which numba
cannot cache, so every new process paid 10-17 s of LLVM work even with a warm
PyTensor cache.  Here the same two callbacks are generated as source that reads
the data's addresses and shapes from a small ``int64`` array (nutpie's
``user_data`` pointer) and calls the same PyTensor function; they are cached by
numba under a key made of PyTensor's own graph key and the generated source, in
PyTensor's compile directory.  A new process loads them in well under a second.

The sampler, the log-density and the expansion are nutpie's and PyTensor's own;
only the glue between them differs.  ``tests/gmm_pp/test_compiled.py`` checks
that the draws equal those of ``nutpie.compile_pymc_model`` bit for bit.

This is the one module of gmm-pp that touches private APIs: nutpie 0.16's
``_make_functions``, ``_wrap_with_lock``, ``_prepare_dims_and_coords`` and its
dataclass fields, PyTensor's numba cache helpers, and PyMC's naming of value
variables and transforms.  :data:`SUPPORTED` names the versions it was written
against (``pyproject.toml`` pins them); with any other version
:func:`compile_model` falls back, with a warning, to ``nutpie.compile_pymc_model``
(correct, slower: its callbacks are rebuilt in every process), and
:func:`free_variables` refuses a model whose transforms are not those the
closed forms of :mod:`gmm_pp.model` assume.
"""

from __future__ import annotations

import ctypes
import dataclasses
import hashlib
import warnings
from collections.abc import Iterable
from importlib import metadata

import numba
import numpy as np
from numba.core import cgutils, types
from numba.extending import intrinsic
from nutpie import compile_pymc as _nutpie
from pytensor.link.numba.cache import CACHED_SRC_FUNCTIONS, compile_numba_function_src

__all__ = [
    "REPRODUCIBLE_FLAGS",
    "SUPPORTED",
    "CachedPyMCModel",
    "FallbackWarning",
    "compile_model",
    "free_variables",
    "logp_and_grad",
    "supported",
]

#: The versions (major.minor) whose internals this module uses, as pinned in pyproject.toml.
SUPPORTED: dict[str, str] = {"nutpie": "0.16", "pytensor": "3.3", "pymc": "6.4"}


class FallbackWarning(UserWarning):
    """Installed versions differ from :data:`SUPPORTED`: nutpie's own (slower) compile is used."""


def supported() -> tuple[bool, str]:
    """Whether the installed nutpie, PyTensor and PyMC are the :data:`SUPPORTED` ones.

    Returns
    -------
    ok : bool
    detail : str
        The installed and supported versions, in words.
    """
    mismatched = []
    for name, want in SUPPORTED.items():
        try:
            have = metadata.version(name)
        except metadata.PackageNotFoundError:
            have = "not installed"
        if have.split(".")[:2] != want.split("."):
            mismatched.append(f"{name} {have} (supported: {want}.x)")
    return not mismatched, "; ".join(mismatched)


#: Part of every cache key: change it whenever the generated source's meaning changes.
_GLUE_VERSION = "1"

#: PyTensor settings every compile of gmm-pp runs under, so the same seed gives the
#: same draws from every entry point, whatever the environment (PYTENSOR_FLAGS)
#: or the compile cache holds: numba's fastmath lets LLVM reorder floating-point
#: operations, and builds made with and without it (both cached) differ in the
#: last digits, which NUTS amplifies into different draws.  PyTensor keys its
#: cache by this flag, so these builds never mix with fastmath ones.
REPRODUCIBLE_FLAGS: dict[str, object] = {"numba__fastmath": False}

_LOGP_SIG = types.int64(
    types.uint64,
    types.CPointer(types.double),
    types.CPointer(types.double),
    types.CPointer(types.double),
    types.voidptr,
)
_EXPAND_SIG = types.int64(
    types.uint64,
    types.uint64,
    types.CPointer(types.double),
    types.CPointer(types.double),
    types.voidptr,
)


@intrinsic
def _void_pointer(typingctx, address):
    """An integer address as a ``void*`` (numba intrinsic)."""

    def codegen(context, builder, signature, args):
        return builder.inttoptr(args[0], cgutils.voidptr_t)

    return types.voidptr(address), codegen


@dataclasses.dataclass(frozen=True)
class CachedPyMCModel(_nutpie.CompiledPyMCModel):
    """A ``nutpie`` compiled model whose callbacks read the data through ``user_data``.

    ``user_data`` is an ``int64`` array: for each shared variable, its data
    address followed by its shape, at the offset ``offsets[key]``.
    """

    offsets: dict[str, int] = dataclasses.field(default_factory=dict)

    def with_data(self, **updates) -> CachedPyMCModel:
        """The model with new values of ``pm.Data`` variables (same shapes; no compile).

        Raises
        ------
        KeyError
            For a name that is not a shared variable of the model.
        ValueError
            For a value whose shape differs from the compiled one.
        """
        shared_data = dict(self.shared_data)
        for name, value in updates.items():
            keys = [key for var, key in self.shared_var_keys.items() if var.name == name]
            if len(keys) != 1:
                raise KeyError(f"Unknown shared variable: {name}")
            old = shared_data[keys[0]]
            new = np.array(value, dtype=old.dtype, order="C", copy=True)
            if new.shape != old.shape:
                raise ValueError(
                    f"{name} has shape {new.shape}; this model was compiled for {old.shape}"
                )
            new.flags.writeable = False
            shared_data[keys[0]] = new
        return dataclasses.replace(
            self, shared_data=shared_data, user_data=_user_data(shared_data, self.offsets)
        )

    def logp_and_grad(self, x: np.ndarray) -> tuple[float, np.ndarray, int]:
        """:func:`logp_and_grad` of this model."""
        return logp_and_grad(self, x)


def _user_data(shared_data: dict[str, np.ndarray], offsets: dict[str, int]) -> np.ndarray:
    """The ``int64`` array of data addresses and shapes the callbacks read."""
    size = max((offsets[key] + 1 + shared_data[key].ndim for key in offsets), default=1)
    meta = np.zeros(size, dtype=np.int64)
    for key, offset in offsets.items():
        array = shared_data[key]
        meta[offset] = array.ctypes.data
        meta[offset + 1 : offset + 1 + array.ndim] = array.shape
    return meta


def _unpack_lines(offsets: list[int], arrays: list[np.ndarray]) -> tuple[list[str], list[str]]:
    """Source lines that view each shared array through ``meta``, and their names."""
    lines, names = [], []
    for i, (offset, array) in enumerate(zip(offsets, arrays, strict=True)):
        shape = "".join(f"meta[{offset + 1 + j}], " for j in range(array.ndim))
        lines.append(
            f"        s{i} = numba.carray(_void_pointer(meta[{offset}]), ({shape}), "
            f"np.{array.dtype.name})"
        )
        names.append(f"s{i}")
    return lines, names


def _logp_source(n_dim: int, n_meta: int, offsets: list[int], arrays: list[np.ndarray]) -> str:
    """The logp callback nutpie expects (same codes), reading the data through ``meta``."""
    lines, names = _unpack_lines(offsets, arrays)
    return "\n".join(
        [
            "def gmm_pp_logp(dim, x_, out_, logp_, user_data_):",
            f"    if dim != {n_dim}:",
            "        return -1",
            "    try:",
            f"        meta = numba.carray(user_data_, ({n_meta},), np.int64)",
            *lines,
            f"        x = numba.carray(x_, ({n_dim},))",
            f"        out = numba.carray(out_, ({n_dim},))",
            "        logp = numba.carray(logp_, ())",
            f"        logp_val, grad = inner({', '.join(['x', *names])})",
            "        logp[()] = logp_val",
            "        out[...] = grad",
            "        if not np.all(np.isfinite(out)):",
            "            return 3",
            "        if not np.isfinite(logp_val):",
            "            return 4",
            "    except Exception:",
            "        return 1",
            "    return 0",
        ]
    )


def _expand_source(
    n_dim: int, n_expanded: int, n_meta: int, offsets: list[int], arrays: list[np.ndarray]
) -> str:
    """The expand callback nutpie expects (same codes), reading the data through ``meta``."""
    lines, names = _unpack_lines(offsets, arrays)
    return "\n".join(
        [
            "def gmm_pp_expand(dim, expanded, x_, out_, user_data_):",
            f"    if dim != {n_dim}:",
            "        return -1",
            f"    if expanded != {n_expanded}:",
            "        return -1",
            "    try:",
            f"        meta = numba.carray(user_data_, ({n_meta},), np.int64)",
            *lines,
            f"        x = numba.carray(x_, ({n_dim},))",
            f"        out = numba.carray(out_, ({n_expanded},))",
            f"        (values,) = inner({', '.join(['x', *names])})",
            "        out[...] = values",
            "    except Exception:",
            "        return -2",
            "    return 0",
        ]
    )


def _cached_cfunc(source: str, name: str, inner, signature):
    """``numba.cfunc(signature, cache=True)`` of generated ``source`` calling ``inner``.

    The cache key joins PyTensor's key of ``inner`` (its graph), the source, the
    signature and this module's name, so a changed graph or glue never loads a
    stale callback.  When PyTensor gives no key (``numba__cache=False``), the
    callback is compiled without a cache, as nutpie does.
    """
    from pytensor import config

    inner_key = CACHED_SRC_FUNCTIONS.get(inner.py_func)
    cache_key = None
    if inner_key is not None and config.numba__cache:
        digest = hashlib.sha256(
            f"{_GLUE_VERSION}\n{__name__}\n{inner_key}\n{signature}\n{source}".encode()
        ).hexdigest()
        cache_key = f"gmm_pp_{digest}"
    function = compile_numba_function_src(
        source,
        name,
        # ``__name__`` lets numba rebuild the function's environment from the cache.
        global_env={
            "__name__": __name__,
            "numba": numba,
            "np": np,
            "inner": inner,
            "_void_pointer": _void_pointer,
        },
        cache_key=cache_key,
    )
    return numba.cfunc(signature, cache=cache_key is not None)(function)


def compile_model(model, var_names: Iterable[str] | None = None) -> CachedPyMCModel:
    """Compile a PyMC model for ``nutpie.sample``, like ``nutpie.compile_pymc_model``.

    Parameters
    ----------
    model : pymc.Model
    var_names : iterable of str, optional
        Variables to keep in the trace (default: all).

    Returns
    -------
    CachedPyMCModel
        Accepted by ``nutpie.sample``; ``with_data`` swaps ``pm.Data`` values.
        Compiled under :data:`REPRODUCIBLE_FLAGS`, set here and only for this
        compile (no global setting changes).
    """
    from pytensor import config

    ok, detail = supported()
    with config.change_flags(**REPRODUCIBLE_FLAGS):
        if not ok:
            warnings.warn(
                f"gmm-pp's cached nutpie callbacks were written for other versions ({detail}); "
                "using nutpie.compile_pymc_model instead: correct, but its callbacks are "
                "rebuilt in every process (10-20 s)",
                FallbackWarning,
                stacklevel=2,
            )
            return _nutpie.compile_pymc_model(model, var_names=var_names)
        return _compile_model(model, var_names)


def logp_and_grad(compiled, x: np.ndarray) -> tuple[float, np.ndarray, int]:
    """Call a compiled model's log-density callback from Python.

    Works for :class:`CachedPyMCModel` and for ``nutpie.compile_pymc_model``'s
    model alike (both hold the callback and its ``user_data``).

    Parameters
    ----------
    compiled : CachedPyMCModel or nutpie's CompiledPyMCModel
    x : ndarray of shape (n_dim,)
        A point in the flat unconstrained layout.

    Returns
    -------
    value : float
    gradient : ndarray of shape (n_dim,)
    status : int
        nutpie's code: 0 fine, 3 non-finite gradient, 4 non-finite value,
        anything else an error inside the function.
    """
    x = np.array(x, dtype=np.float64, order="C")
    grad = np.empty(compiled.n_dim)
    value = ctypes.c_double()
    status = compiled.compiled_logp_func.ctypes(
        compiled.n_dim,
        x.ctypes.data_as(ctypes.POINTER(ctypes.c_double)),
        grad.ctypes.data_as(ctypes.POINTER(ctypes.c_double)),
        ctypes.byref(value),
        compiled.user_data.ctypes.data_as(ctypes.c_void_p),
    )
    return value.value, grad, int(status)


#: The transforms the closed forms of gmm_pp.model assume, by free variable
#: (``covariances``: diag's variances, or tied and full covariance matrices).
_TRANSFORMS = {
    "weights": {"SimplexTransform"},
    "variances": {"LogTransform"},
    "covariances": {"LogTransform", "CholeskyCovTransform"},
    "means": {None},
}


def free_variables(model) -> dict[str, str]:
    """PyMC's name of each free variable's unconstrained value variable.

    Parameters
    ----------
    model : pymc.Model
        The mixture of :func:`gmm_pp.model.build_model` or
        :func:`gmm_pp.covariance_model.build_covariance_model`.

    Returns
    -------
    dict
        ``{"weights": ..., "variances" or "covariances": ..., "means": ...}`` -> value
        variable name.

    Raises
    ------
    RuntimeError
        When PyMC transforms a variable otherwise than the closed-form
        log-Jacobian and transforms of :mod:`gmm_pp.model` assume.
    """
    out = {}
    for rv in model.free_RVs:
        transform = model.rvs_to_transforms.get(rv)
        kind = None if transform is None else type(transform).__name__
        if rv.name not in _TRANSFORMS or kind not in _TRANSFORMS[rv.name]:
            raise RuntimeError(
                f"PyMC transforms {rv.name!r} with {kind}, where gmm-pp assumes "
                f"{' or '.join(map(str, sorted(_TRANSFORMS.get(rv.name, {None}), key=str)))}; "
                f"this PyMC ({SUPPORTED['pymc']}.x is supported) "
                "needs gmm_pp.model updated"
            )
        out[rv.name] = model.rvs_to_values[rv].name
    return out


def _compile_model(model, var_names) -> CachedPyMCModel:
    from pymc.initial_point import make_initial_point_fn

    pymc_initial_point = _nutpie._wrap_with_lock(
        make_initial_point_fn(model=model, jitter_rvs=set(model.free_RVs), return_transformed=True)
    )
    n_dim, n_expanded, logp_fn, expand_fn, initial_point, shape_info, reparameterized = (
        _nutpie._make_functions(
            model,
            mode="NUMBA",
            compute_grad=True,
            join_expanded=True,
            pymc_initial_point_fn=pymc_initial_point,
            var_names=var_names,
        )
    )

    shared_var_keys: dict = {}
    shared_data: dict[str, np.ndarray] = {}
    offsets: dict[str, int] = {}
    size = 0
    for var in [*logp_fn.get_shared(), *expand_fn.get_shared()]:
        if var in shared_var_keys:
            continue
        key = f"shared{len(shared_var_keys)}"
        value = np.array(var.get_value(), order="C", copy=True)
        value.flags.writeable = False
        shared_var_keys[var], shared_data[key], offsets[key] = key, value, size
        size += 1 + value.ndim
    n_meta = max(size, 1)

    def layout(fn) -> tuple[list[int], list[np.ndarray]]:
        keys = [shared_var_keys[var] for var in fn.get_shared()]
        return [offsets[key] for key in keys], [shared_data[key] for key in keys]

    logp_c = _cached_cfunc(
        _logp_source(n_dim, n_meta, *layout(logp_fn)), "gmm_pp_logp", logp_fn.vm.jit_fn, _LOGP_SIG
    )
    expand_c = _cached_cfunc(
        _expand_source(n_dim, n_expanded, n_meta, *layout(expand_fn)),
        "gmm_pp_expand",
        expand_fn.vm.jit_fn,
        _EXPAND_SIG,
    )
    dims, coords = _nutpie._prepare_dims_and_coords(model, shape_info, reparameterized)
    return CachedPyMCModel(
        _n_dim=n_dim,
        dims=dims,
        _coords=coords,
        _shapes={name: tuple(shape) for name, _, shape in zip(*shape_info, strict=True)},
        compiled_logp_func=logp_c,
        compiled_expand_func=expand_c,
        initial_point_func=initial_point,
        shared_data=shared_data,
        shared_var_keys=shared_var_keys,
        user_data=_user_data(shared_data, offsets),
        n_expanded=n_expanded,
        shape_info=shape_info,
        logp_func=logp_fn,
        expand_func=expand_fn,
        reparameterized_names=reparameterized,
        offsets=offsets,
    )
