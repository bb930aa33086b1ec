"""Array backends for the vectorized engine other than NumPy (JAX: CPU, GPU or TPU)."""
