"""Fleet scale: executors, simulate-many, the train/held-out split, evaluation, the manifest
and the dataset view.

DESIGN.md's layout has no folder for this; "Scale" says the same tasks run on a local
process pool or on Ray. Those drivers sit above ``sim`` (they run simulations) and
beside ``cli``, so they get their own package rather than stretching ``sim``, which
runs one simulation. ``executor`` and ``manifest`` import nothing of ours but errors, so
``computer.batch`` (below ``sim``) fans out with them without importing upward.
"""
