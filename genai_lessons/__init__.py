"""genai_lessons: the tested companion package of the genai-lessons course.

Importing the package is cheap: TensorFlow and Keras are imported by the modules that need
them, so that `genai_lessons.settings.setup()` can quiet TensorFlow before it is loaded.
"""

__version__ = "0.1.0"
