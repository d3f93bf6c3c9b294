"""Development-only tools: the generated load-test data set and the benchmarks, as management
commands. Installed only when DJANGO_ENV is development or test; nothing in the product
imports this package (an import-linter contract in pyproject.toml)."""
