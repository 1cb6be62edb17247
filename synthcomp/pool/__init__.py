"""Run one task function over many items and record how each ended.

``executor``: a local process pool or Ray, with backpressure and reported retries;
``manifest``: ``WS/manifest.jsonl``, one line per task. Both import nothing of
synthcomp's but errors, so any layer may fan out with them (DESIGN.md, "Layout").
"""
