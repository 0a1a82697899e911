"""Random-number positions that survive a save and a load.

Keras saves a layer's weights but not where its `keras.random.SeedGenerator` stands in its
stream, so a reloaded model, or a training run resumed from a backup, would draw its noise,
diffusion steps or dropout masks from the start of the stream again. A layer or model that
mixes in `KeepsSeedState` saves the state of its `seed_generator` beside its own weights and
restores it when loaded: it then draws exactly what the saved one would have drawn next.
"""

from __future__ import annotations


class KeepsSeedState:
    """Mixin, before the Keras base class: `class Sampling(KeepsSeedState, keras.layers.Layer)`.

    Acts on the object's `seed_generator` attribute; an object without one (Keras's `Dropout`
    at rate 0) saves and loads its weights as usual.
    """

    def save_own_variables(self, store):
        super().save_own_variables(store)
        generator = getattr(self, "seed_generator", None)
        if generator is not None:
            store["seed_state"] = generator.state

    def load_own_variables(self, store):
        generator = getattr(self, "seed_generator", None)
        if generator is not None and "seed_state" in store:  # absent from older files
            generator.state.assign(store["seed_state"])
        # Keras's own loader refuses a store holding more entries than weights: assign them here.
        for i, variable in enumerate(self._trainable_variables + self._non_trainable_variables):
            variable.assign(store[f"{i}"])
