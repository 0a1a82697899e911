"""The networks: builders, registered layers and models, their losses and samplers, from the
NumPy network of lesson 1 to the diffusion model of lesson 7. Imports `core` and `datasets`."""
