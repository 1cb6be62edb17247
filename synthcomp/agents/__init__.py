"""The non-policy roles: setup agent, collaborators, judge (DESIGN.md, "Roles apart")."""
