"""Timing that compares like with like: interleaved batches, medians, percentiles.

Paths that are compared are measured in the same rounds, one call of each in turn, in an
order that rotates from call to call, so a slow stretch of the machine (another process, a
checkpoint of the database) falls on all of them alike; a ratio is the median of the ratios of
the same rounds. Warm-up rounds are run and thrown away. The garbage collector is paused
during a round and run between rounds, as ``timeit`` does, so that one path does not pay for
another's garbage.
"""

import gc
import math
import statistics
import time


def interleaved(paths, *, rounds, warmup, ops):
    """Seconds per call of each path, one figure per round: ``paths`` is ``{name: call}``.

    A round runs every path ``ops`` times, one call of each in turn, in an order that rotates
    from call to call. Returns ``{name: [seconds per call in each measured round]}``.
    """
    names = list(paths)
    samples = {name: [] for name in names}
    turn = 0
    for index in range(warmup + rounds):
        totals = dict.fromkeys(names, 0.0)
        gc.collect()
        gc.disable()
        try:
            for _ in range(ops):
                shift = turn % len(names)
                order = names[shift:] + names[:shift]
                if (turn // len(names)) % 2:
                    order.reverse()
                turn += 1
                for name in order:
                    call = paths[name]
                    started = time.perf_counter()
                    call()
                    totals[name] += time.perf_counter() - started
        finally:
            gc.enable()
        if index >= warmup:
            for name in names:
                samples[name].append(totals[name] / ops)
    return samples


def median(values):
    return statistics.median(values)


def paired_ratio(numerators, denominators):
    """The median over rounds of ``numerator / denominator`` of the same round."""
    return statistics.median(a / b for a, b in zip(numerators, denominators, strict=True))


def percentile(values, fraction):
    """The ``fraction`` (0..1) percentile of ``values`` by the nearest-rank method; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]
