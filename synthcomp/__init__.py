"""synthcomp: synthetic computers at scale for long-horizon productivity simulation.

Importing the package registers the Gymnasium env id ``synthcomp/Workday-v1`` (a
string entry point: the env's own modules load only when an env is made), so
``gymnasium.make("synthcomp/Workday-v1", ...)`` works after ``import synthcomp``.
"""

__version__ = "0.1.0"

from synthcomp import env as _env  # noqa: E402,F401 - registers synthcomp/Workday-v1
