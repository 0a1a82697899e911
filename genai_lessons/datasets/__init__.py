"""Data, offline first: bundled and downloaded images, generated 2D points and image worlds,
text corpora and the byte-pair tokenizer. Imports only `core`."""
