"""Dynamic providers, one module per Hyper-V object, on the framework in `base`."""
