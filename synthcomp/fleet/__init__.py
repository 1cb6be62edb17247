"""Fleet scale: creating many computers, simulate-many, the train/held-out split,
evaluation and the dataset view.

These drivers sit above ``sim`` (they run simulations) and below ``cli``; they fan out
on a local process pool or on Ray through ``synthcomp.pool`` (executors, the manifest).
"""
