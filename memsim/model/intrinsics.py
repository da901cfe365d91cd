"""Processor instructions the compiled per-page loops ask for directly: prefetch and bit counts.

**Prefetch.** The per-page kernels (:mod:`memsim.model.kernels`,
:mod:`memsim.model.backing_kernels`, :mod:`memsim.model.away`, the page-sharing table's probe)
visit pages in an order the model sets — random victims, random touches — so on a large host
each visit of the page arrays is a cache miss, and a loop whose iterations update shared
counters keeps only a few misses in flight. :func:`prefetch` asks the processor to start
loading the cache line of the element the loop visits :data:`AHEAD` iterations later, so the
loads overlap instead of following one another (BENCHMARKS.md, "Issue 12: prefetch in the
per-page kernels"). A prefetch is only a hint: it changes no value and does not fault, so a
kernel computes exactly what it computed without it.

**Bit counts.** :func:`popcount` and :func:`trailing_zeros` are the processor's single
instructions for the set bits of a word and the zeros below its lowest set bit, where a
portable bit-twiddling formula takes a dozen operations (the away index counts the set bits
of up to 64 words per lookup, :func:`memsim.model.away._select`).

All are numba intrinsics: usable in compiled code only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

#: iterations between the prefetch of an element and its visit: far enough for the load to
#: arrive (a miss costs about a hundred nanoseconds, an iteration tens), near enough for the
#: lines of the visits in between to stay in the first-level cache
AHEAD = 16

# numba's code-generation helpers carry no annotations
_item_pointer: Callable[..., Any] = cgutils.get_item_pointer
_declare: Callable[..., Any] = cgutils.get_or_insert_function

_READ, _WRITE = 0, 1
_LOCALITY = 3  #: keep the line in every cache level until it is used
_DATA_CACHE = 1


def _prefetch_codegen(rw: int) -> Any:
    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        array_type = signature.args[0]
        array = context.make_array(array_type)(context, builder, args[0])
        address = _item_pointer(context, builder, array_type, array, [args[1]], wraparound=False)
        byte_pointer = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        hint = ir.FunctionType(ir.VoidType(), [byte_pointer, i32, i32, i32])
        function = _declare(builder.module, hint, "llvm.prefetch.p0")
        arguments = [builder.bitcast(address, byte_pointer), i32(rw), i32(_LOCALITY)]
        builder.call(function, [*arguments, i32(_DATA_CACHE)])
        return context.get_dummy_value()

    return codegen


@intrinsic
def _prefetch(typingctx: Any, array: Any, index: Any) -> Any:
    """Start loading the cache line of ``array[index]`` to read it (the index is not
    checked: callers pass the index of an element they visit later)."""
    return types.void(array, index), _prefetch_codegen(_READ)


@intrinsic
def _prefetch_write(typingctx: Any, array: Any, index: Any) -> Any:
    """Start loading the cache line of ``array[index]`` to write it."""
    return types.void(array, index), _prefetch_codegen(_WRITE)


def _bit_count_codegen(name: str, extra: tuple[Any, ...]) -> Any:
    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        i64 = ir.IntType(64)
        kinds = [i64] + [argument.type for argument in extra]
        function = _declare(builder.module, ir.FunctionType(i64, kinds), name)
        return builder.call(function, [args[0], *extra])

    return codegen


@intrinsic
def _popcount(typingctx: Any, word: Any) -> Any:
    """The number of set bits of the 64-bit unsigned ``word``."""
    return types.int64(types.uint64), _bit_count_codegen("llvm.ctpop.i64", ())


@intrinsic
def _trailing_zeros(typingctx: Any, word: Any) -> Any:
    """The number of zero bits below the lowest set bit of the 64-bit unsigned ``word``
    (64 for 0)."""
    zero_is_defined = ir.IntType(1)(0)
    return types.int64(types.uint64), _bit_count_codegen("llvm.cttz.i64", (zero_is_defined,))


# the intrinsics as compiled code calls them (numba passes the typing context itself)
prefetch = cast(Callable[[Any, Any], None], _prefetch)
prefetch_write = cast(Callable[[Any, Any], None], _prefetch_write)
popcount = cast(Callable[[Any], int], _popcount)
trailing_zeros = cast(Callable[[Any], int], _trailing_zeros)
