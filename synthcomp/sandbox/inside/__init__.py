"""The supervisor: the trusted program that is PID 1 of every jail (standard library only).

The agent's shell is untrusted, so nothing the host asks of a sandbox runs through it.
Every jail starts this package (zipped, ``python3 -I -S supervisor.pyz``) as its first
process, under an identity the agent cannot reach: in Docker it is the container's
uid 0 with four capabilities and the agent is uid 1000 with none; under bubblewrap
each agent command runs in a nested user and PID namespace where the supervisor's
process does not even exist. The supervisor

- does all file work itself, in Python, with a fixed environment and no shell
  (``files.Tree``: one set of path rules for every tool, regular files only, bounded);
- runs each agent command in a fresh bash and ends everything it started when the
  command ends (``commands``), as a terminal closing would;
- moves trees in and out as strictly checked tar streams (``archive``);
- speaks length-prefixed frames on stdin/stdout (``protocol``) and exits when its
  stdin closes, so a jail never outlives the process that owns it.

Nothing here imports synthcomp or any third-party package: the jail's own python3 runs
it. The host imports the same modules, so the fake backend resolves paths with the
same ``Tree`` and the host checks archives with the same ``archive.check_member``.
"""
