"""Use-cases, one verb each. They depend on ports only; wiring injects the concrete parts."""
