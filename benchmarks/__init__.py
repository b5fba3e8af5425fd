"""barenet's speed and memory benchmark against plain NumPy, PyTorch and scikit-learn.

Run it with ``make bench`` (full, writes ``benchmarks/results.md`` and ``results.png``) or
``make bench-smoke`` (a few hundred batches, for CI). See ``docs/performance.md``.
"""
