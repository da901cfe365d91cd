"""The engine: simpy wiring of the model (build, processes, observer), no domain rule."""
