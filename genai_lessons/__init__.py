"""genai_lessons: the tested companion package of the genai-lessons course.

Its folders are its layers, and imports point only downward (tests/test_layers.py checks it):

    core      validation, backend, settings, training, timing, downloads, results, inference
    datasets  image sets, 2D points, image worlds (shapes), text, tokenizer
    models    the networks, their losses and samplers
    measures  metrics, the digit judge, probes, n-grams
    course    the command line, the notebook runner, benchmark and plotting

`exercises` sits beside them and may use every layer but `course`. Importing the package is
cheap: TensorFlow and Keras are imported by the modules that need them, so that
`genai_lessons.core.settings.setup()` can quiet TensorFlow before it is loaded.
"""

__version__ = "0.1.0"
