"""synthcomp: synthetic computers at scale for long-horizon productivity simulation.

Importing the package registers the Gymnasium env id ``synthcomp/Workday-v1``, so
``gymnasium.make("synthcomp/Workday-v1", ...)`` works after ``import synthcomp``. It does
so without importing Gymnasium (``synthcomp.env``): commands that make no env, such as
``synthcomp render``, do not pay its start-up.
"""

__version__ = "0.1.0"

from synthcomp import env as _env  # noqa: E402,F401 - registers synthcomp/Workday-v1 once Gymnasium loads
