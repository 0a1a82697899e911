"""The foundation every other layer builds on: argument checks, the backend switch, settings
(quick or full mode, seeding), resumable training, downloads, reported results and batched
inference. Imports nothing from the other layers."""
