"""Push-based operators, one file per family: stateless (fused filter + project), aggregate (group and
window aggregation), over (window functions), joins, subqueries, output (projection, DISTINCT, ORDER BY,
LIMIT, keys, sinks); build.py wires a plan's operators."""
