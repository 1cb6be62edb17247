"""The plan's dependency graph (paper 2.2.2) and the order files are written in (2.3)."""

from __future__ import annotations

import networkx as nx

from synthcomp.errors import InputError
from synthcomp.models import FilePlan, PlannedFile


def plan_graph(plan: FilePlan) -> nx.DiGraph:
    """A DiGraph over file ids; edge ``u -> v`` means v depends on u (attribute ``kind``)."""
    graph = nx.DiGraph()
    for f in plan.files:
        graph.add_node(f.id, path=f.path, type=f.artifact_type)
    for e in plan.edges:
        graph.add_edge(e.source, e.target, kind=e.kind)
    return graph


def creation_order(plan: FilePlan) -> list[PlannedFile]:
    """Kahn's topological order, ties broken by timestamp (then id), so every file is
    written after everything it depends on and the history reads forward in time.

    Raises:
        InputError: the plan's graph has a cycle (it must be a DAG).
    """
    graph = plan_graph(plan)
    by_id = {f.id: f for f in plan.files}
    try:
        order = nx.lexicographical_topological_sort(graph, key=lambda i: (by_id[i].timestamp.isoformat(), i))
        return [by_id[i] for i in order]
    except nx.NetworkXUnfeasible:
        cycle = nx.find_cycle(graph)
        raise InputError(f"the file plan has a dependency cycle: {cycle}") from None
