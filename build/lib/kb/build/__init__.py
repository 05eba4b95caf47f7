"""The build: command line, page execution, dependencies, Sphinx editions, publishing and
benchmarks. No page imports it; changing it re-runs no page (pages depend on the domain part,
`kb/*.py`)."""
