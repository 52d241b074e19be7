"""The benchmark's sections, one module each; `run(bench)` measures and returns the section's results."""
