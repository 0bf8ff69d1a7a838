"""Specialisation of the stage functions for the population kernel (:func:`specialise`).

The kernel does not restate any equation: it calls the ``@njit`` stage functions of
:mod:`painsim.pk`, :mod:`painsim.occupancy`, :mod:`painsim.synapse`,
:mod:`painsim.dorsal_horn`, :mod:`painsim.population` and :mod:`painsim.chain` through
:func:`specialise`, which re-compiles their Python code for the kernel — ``error_model="numpy"``
(no division-by-zero branches, which block vectorisation), LLVM ``alwaysinline``, with
:mod:`painsim.vmath`'s ``exp``, ``log`` and ``power`` in place of libm's — and never touches the
shared dispatchers (numba compiles a callee with its caller's fast-math flags when the caller
compiles it first, and would cache that).

numba's disk cache is keyed on the file that defines the kernel and on its constants only, so
:func:`sources_hash` — a hash of every module whose code the kernel inlines, collected by
:func:`specialise` as it goes — is one of the kernel's compile-time constants: editing an
equation gives a new kernel rather than a stale cached one.
"""

from __future__ import annotations

import functools
import hashlib
import math
import sys
import types as _pytypes
from pathlib import Path
from typing import Any

import numba as nb
from numba.core.registry import CPUDispatcher

from painsim import vmath

__all__ = ["FLAGS", "hashed_modules", "power_unit", "sources_hash", "specialise"]

#: no ``reassoc`` (it would undo vmath's exact range reduction), no ``nnan``/``ninf`` (the stage
#: functions test ``isinf`` on parameters): contraction to FMA is what matters
FASTMATH = frozenset({"contract", "nsz", "arcp"})
FLAGS: dict[str, Any] = {"fastmath": set(FASTMATH), "error_model": "numpy"}


def _kernel_math_module() -> _pytypes.ModuleType:
    mod = _pytypes.ModuleType("painsim._kernel_math")
    mod.__dict__.update({k: getattr(math, k) for k in dir(math) if not k.startswith("__")})
    mod.exp = vmath.exp
    mod.log = vmath.log
    return mod


_KERNEL_MATH = _kernel_math_module()


@nb.njit(forceinline=True, **FLAGS)
def power_unit(x, n):
    """``x ** n`` where the caller has checked that n == 1: x itself (as ``x ** 1.0`` is)."""
    return x


_SPECIALISED: dict[tuple[int, int], CPUDispatcher] = {}
#: modules whose functions have been specialised (their source is inlined into the kernel)
_MODULES: set[str] = set()


def specialise(func: CPUDispatcher, power: CPUDispatcher = vmath.power) -> CPUDispatcher:
    """A copy of a ``@njit`` stage function compiled for the population kernel.

    The copy runs the same Python code (the same equations) compiled with the kernel's flags
    (``error_model="numpy"``, fast-math contraction) and LLVM ``alwaysinline`` (``forceinline``;
    numba's own ``inline="always"`` re-types every call site and made the kernel take minutes to
    compile). It calls :mod:`painsim.vmath` instead of libm for ``exp`` and ``log``, ``power``
    for powers written ``pow_libm(x, n)``, and specialised copies of the painsim stage functions
    it calls in turn. The original dispatcher is left as it is.

    Parameters
    ----------
    func : numba dispatcher
        A ``@nb.njit`` function of a painsim module.
    power : numba dispatcher
        What ``pow_libm`` becomes: :func:`painsim.vmath.power`, or :func:`power_unit` where the
        caller has checked that the exponent is 1.

    Returns
    -------
    numba dispatcher
        The specialised copy (memoised).
    """
    key = (id(func), id(power))
    if key in _SPECIALISED:
        return _SPECIALISED[key]
    subs = {id(math): _KERNEL_MATH, id(vmath.pow_libm): power}
    f = func.py_func
    _MODULES.add(f.__module__)
    glb = dict(f.__globals__)
    for name in _global_names(f.__code__):
        val = glb.get(name)
        if id(val) in subs:
            glb[name] = subs[id(val)]
        elif (isinstance(val, CPUDispatcher) and val.py_func.__module__.startswith("painsim.")
              and val.py_func.__module__ != vmath.__name__):
            glb[name] = specialise(val, power)
    g = _pytypes.FunctionType(f.__code__, glb, f.__name__, f.__defaults__, f.__closure__)
    g.__qualname__ = f"{f.__qualname__}__kernel"
    g.__doc__ = f.__doc__
    out = nb.njit(forceinline=True, **FLAGS)(g)
    _SPECIALISED[key] = out
    return out


def _global_names(code) -> set[str]:
    names = set(code.co_names)
    for c in code.co_consts:
        if hasattr(c, "co_names"):
            names |= _global_names(c)
    return names


def hashed_modules() -> tuple[str, ...]:
    """The modules :func:`sources_hash` covers: every module :func:`specialise` has taken a
    function from, :mod:`painsim.vmath`, and the kernel package itself (sorted names)."""
    kernel_modules = {name for name in sys.modules if name == "painsim.kernels" or name.startswith("painsim.kernels.")}
    return tuple(sorted(_MODULES | kernel_modules | {vmath.__name__}))


@functools.cache
def sources_hash() -> int:
    """A hash of the source of :func:`hashed_modules` (a compile-time constant of the kernel).

    Called once the kernel package is imported, when every stage function it uses has been
    specialised."""
    h = hashlib.sha256()
    for name in hashed_modules():
        h.update(name.encode())
        h.update(Path(sys.modules[name].__file__).read_bytes())
    return int(h.hexdigest()[:15], 16)
