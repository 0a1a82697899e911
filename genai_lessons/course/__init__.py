"""Running the course: the `genai-lessons` command (run, doctor, bench), the headless notebook
runner, plotting helpers and the benchmark's reference models. May import every other layer."""
