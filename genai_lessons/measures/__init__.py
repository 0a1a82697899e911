"""What the lessons measure their claims with: metrics, the digit judge, probes of hidden
layers and counting language models. Imports `core`, `datasets` and `models`."""
