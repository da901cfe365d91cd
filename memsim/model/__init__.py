"""The domain core: ESXi host memory as numpy arrays, no simpy, pandas or YAML (docs/model.md)."""
